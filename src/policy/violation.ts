// Does a rule break a guardrail? Pure. The judge asks it of every added rule
// (before approvals are looked at: a guardrail cannot be approved), and a
// posture report can ask it of every current rule: both pass a rule and the
// group it is in, so nothing here depends on how the rule was found.

import { entryChecks, selectorCheck } from "../approvals/coverage.js";
import { cidrContains, parseCidr } from "../model/cidr.js";
import { isBroadOpen, isWorldOpen, type BroadSources } from "../model/severity.js";
import type { Change, Rule } from "../model/types.js";
import type { ForbidEntry, ForbiddenSource, Guardrail, GuardrailHit } from "./guardrail.js";

/** The group a rule belongs to, as selectors see it. */
export interface GroupContext {
  /** sg-… id. */
  groupId: string;
  /** The group's name. */
  groupName: string;
  /** The group's tags. */
  groupTags: Record<string, string>;
}

/** Where the group is. */
export interface PlaceContext {
  /** The target's account. */
  account: string;
  /** The target's region. */
  region: string;
}

const isIcmp = (p: string): boolean => p === "icmp" || p === "icmpv6";
const PORT_PROTOCOLS = new Set(["tcp", "udp"]);

function protocolTouches(f: ForbidEntry, rule: Rule): boolean {
  // A rule for all traffic passes every protocol, so it breaks a tcp guardrail too.
  return f.protocol === "any" || rule.protocol === "all" || f.protocol === rule.protocol;
}

/** Ports overlap (not containment: tcp 20-25 breaks "never port 22"). */
function portsTouch(f: ForbidEntry, rule: Rule): boolean {
  if (f.ports === null || rule.protocol === "all") return true;
  const { from, to } = f.ports;
  if (isIcmp(rule.protocol)) {
    // ICMP "ports" are types and mean something only to an ICMP guardrail; -1 is every type.
    if (!isIcmp(f.protocol)) return false;
    return rule.fromPort === null || rule.fromPort < 0 || (rule.fromPort >= from && rule.fromPort <= to);
  }
  if (!PORT_PROTOCOLS.has(rule.protocol)) return false;
  if (rule.fromPort === null || rule.toPort === null) return true;
  return rule.fromPort <= to && rule.toPort >= from;
}

/** Does the rule's peer reach as far as the forbidden source? */
export function sourceReaches(s: ForbiddenSource, rule: Rule, broad: BroadSources): boolean {
  const cidrRule = rule.sourceKind === "ipv4" || rule.sourceKind === "ipv6";
  switch (s.kind) {
    case "any":
      return true;
    case "world":
      return isWorldOpen(rule);
    case "broad":
      return isBroadOpen(rule, broad);
    case "wider": {
      const c = cidrRule ? parseCidr(rule.source) : null;
      return c !== null && c.family === s.family && c.prefix <= s.prefix;
    }
    case "ipv4":
    case "ipv6": {
      const outer = cidrRule ? parseCidr(rule.source) : null;
      const inner = parseCidr(s.value);
      return outer !== null && inner !== null && cidrContains(outer, inner);
    }
    case "prefix-list":
    case "security-group":
      return rule.sourceKind === s.kind && rule.source.toLowerCase() === s.value;
  }
}

/** Does this forbid entry catch the rule? */
export function forbids(f: ForbidEntry, rule: Rule, broad: BroadSources): boolean {
  return f.direction === rule.direction && protocolTouches(f, rule) && portsTouch(f, rule) && sourceReaches(f.source, rule, broad);
}

/** Does the guardrail cover this group at this place (target and selector)? */
export function guardrailApplies(g: Guardrail, group: GroupContext, place: PlaceContext): boolean {
  if (g.target.account !== null && g.target.account !== place.account) return false;
  if (g.target.region !== null && g.target.region !== place.region) return false;
  return g.selector === null || selectorCheck(group, g.selector).ok;
}

/** Is the rule let through by one of the guardrail's exceptions? Judged by the approval matcher's own entry checks. */
export function excepted(g: Guardrail, rule: Rule, group: GroupContext): boolean {
  const asAdded: Change = { kind: "rule-added", ...group, vpcId: null, rule };
  return g.except.some(
    (x) => (x.selector === null || selectorCheck(group, x.selector).ok) && x.allow.some((entry) => entryChecks(asAdded, entry).every((c) => c.ok)),
  );
}

/** The first guardrail (in config order) the rule breaks in this group, or null. */
export function ruleViolation(rule: Rule, group: GroupContext, place: PlaceContext, guardrails: readonly Guardrail[], broad: BroadSources): GuardrailHit | null {
  for (const g of guardrails) {
    if (!guardrailApplies(g, group, place)) continue;
    if (!g.forbid.some((f) => forbids(f, rule, broad))) continue;
    if (excepted(g, rule, group)) continue;
    return { id: g.id, reason: g.reason };
  }
  return null;
}

/**
 * The guardrail a change breaks, or null. Only an added rule can break one:
 * a removal or a description edit makes nothing reachable that was not
 * already (a new group's rules each arrive as rule-added).
 */
export function changeViolation(change: Change, place: PlaceContext, guardrails: readonly Guardrail[], broad: BroadSources): GuardrailHit | null {
  if (change.kind !== "rule-added" || change.rule === undefined) return null;
  return ruleViolation(change.rule, change, place, guardrails, broad);
}
