import type { Rule } from "./types.js";

/**
 * The identity of a rule: everything but its description. Two rules with the
 * same key are the same rule; a different description on the same key is a
 * `rule-description-changed`, never a removal plus an addition.
 */
export function ruleKey(r: Rule): string {
  return [
    r.direction,
    r.protocol,
    r.fromPort ?? "",
    r.toPort ?? "",
    r.sourceKind,
    r.source,
    r.sourceAccount ?? "",
    r.peeringId ?? "",
  ].join("|");
}

/** Total order on rules by key, so canonical rule lists sort the same everywhere. */
export function compareRules(a: Rule, b: Rule): number {
  const ka = ruleKey(a);
  const kb = ruleKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
