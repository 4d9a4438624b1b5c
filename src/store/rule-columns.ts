// Mapping between the canonical Rule and its columns, shared by the
// rule_versions and change_events tables.
import type { Rule, Direction, SourceKind } from "../model/types.js";

/** The rule columns as stored. */
export interface RuleColumns {
  direction: string;
  protocol: string;
  from_port: number | null;
  to_port: number | null;
  source_kind: string;
  source: string;
  source_account: string | null;
  peering_id: string | null;
  description: string | null;
}

export function ruleToColumns(r: Rule): RuleColumns {
  return {
    direction: r.direction,
    protocol: r.protocol,
    from_port: r.fromPort,
    to_port: r.toPort,
    source_kind: r.sourceKind,
    source: r.source,
    source_account: r.sourceAccount,
    peering_id: r.peeringId,
    description: r.description,
  };
}

export function columnsToRule(c: RuleColumns): Rule {
  return {
    direction: c.direction as Direction,
    protocol: c.protocol,
    fromPort: c.from_port,
    toPort: c.to_port,
    sourceKind: c.source_kind as SourceKind,
    source: c.source,
    sourceAccount: c.source_account,
    peeringId: c.peering_id,
    description: c.description,
  };
}

/** Tags as JSON with sorted keys, so equal tag sets store as equal text. */
export function tagsToJson(tags: Record<string, string>): string {
  const sorted: Record<string, string> = {};
  for (const k of Object.keys(tags).sort()) sorted[k] = tags[k] as string;
  return JSON.stringify(sorted);
}
