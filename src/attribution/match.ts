// Which CloudTrail event made a detected change (pure). An event explains a
// change when its call could have produced it: the right call for the change's
// kind and direction, on the change's group, touching the change's rule (by
// ruleKey, after reading the event's rules into canonical form). Among events
// that explain a change equally well, the latest wins: a rule that was added,
// revoked and added again in one poll interval was made by the last addition.

import type { Event } from "@aws-sdk/client-cloudtrail";
import { ruleKey } from "../model/rule-key.js";
import type { Change, Rule } from "../model/types.js";
import { parseTrailEvent, type Attribution, type TrailEvent } from "./trail-event.js";

export { toAttribution, parseTrailEvent, SECURITY_GROUP_EVENT_NAMES, type Attribution, type TrailEvent } from "./trail-event.js";

/**
 * How sure a match is.
 * - exact: the event names this change's rule (or group, or tags) and does what the change shows.
 * - likely: only one reading is possible, but the event does not name the rule
 *   (DeleteSecurityGroup for the rules that went with the group), or it fits in
 *   part (a description set to another value since; a tag event for some of the changed tags).
 * - possible: the right call on the right group, but the event does not say
 *   which rule (revoke by sgr- id; ModifySecurityGroupRules for the rule it
 *   replaced). Worth showing only when nothing better turns up.
 */
export type MatchQuality = "exact" | "likely" | "possible";

/** The event chosen for a change. */
export interface Match {
  /** The chosen event, as LookupEvents returned it. */
  event: Event;
  /** Who and from where. */
  attribution: Attribution;
  quality: MatchQuality;
}

/** Scores: 0 = does not explain the change. */
const EXACT = 3;
const STRONG = 2; // "likely"
const WEAK = 1; // "possible"

function sameRule(a: Rule, b: Rule): boolean {
  return ruleKey(a) === ruleKey(b);
}

/** ModifySecurityGroupRules does not record the direction; compare everything else. */
function sameRuleAnyDirection(modified: Rule, r: Rule): boolean {
  return ruleKey({ ...modified, direction: r.direction }) === ruleKey(r);
}

function isDefaultEgress(r: Rule): boolean {
  return r.direction === "egress" && r.protocol === "all" && r.sourceKind === "ipv4" && r.source === "0.0.0.0/0";
}

function directionOf(eventName: string): "ingress" | "egress" {
  return eventName.endsWith("Egress") ? "egress" : "ingress";
}

/** Tag keys whose value differs between before and after, with the value after (null when removed). */
function changedTags(change: Change): Map<string, string | null> {
  const before = change.before?.tags;
  const after = change.after?.tags;
  const out = new Map<string, string | null>();
  if (before === undefined || after === undefined) return out;
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const b = Object.hasOwn(before, k) ? before[k] : undefined;
    const a = Object.hasOwn(after, k) ? after[k] : undefined;
    if (a !== b) out.set(k, a ?? null);
  }
  return out;
}

function scoreRuleAdded(e: TrailEvent, r: Rule): number {
  switch (e.eventName) {
    case "AuthorizeSecurityGroupIngress":
    case "AuthorizeSecurityGroupEgress":
      if (directionOf(e.eventName) !== r.direction) return 0;
      if (e.added.some((x) => sameRule(x, r))) return EXACT;
      return e.added.length === 0 ? WEAK : 0;
    case "ModifySecurityGroupRules":
      return e.modified.some((m) => sameRuleAnyDirection(m.rule, r)) ? EXACT : 0;
    case "CreateSecurityGroup":
      // The only rule a new group is born with is its default egress rule.
      return isDefaultEgress(r) ? EXACT : 0;
    default:
      return 0;
  }
}

function scoreRuleRemoved(e: TrailEvent, r: Rule): number {
  switch (e.eventName) {
    case "RevokeSecurityGroupIngress":
    case "RevokeSecurityGroupEgress":
      if (directionOf(e.eventName) !== r.direction) return 0;
      if (e.removed.some((x) => sameRule(x, r))) return EXACT;
      return e.removed.length === 0 ? WEAK : 0;
    case "DeleteSecurityGroup":
      return STRONG;
    case "ModifySecurityGroupRules":
      // The event has the rule's new content only; the old one is what disappeared.
      return e.modified.some((m) => sameRuleAnyDirection(m.rule, r)) ? 0 : WEAK;
    default:
      return 0;
  }
}

function scoreDescriptionChanged(e: TrailEvent, r: Rule): number {
  switch (e.eventName) {
    case "UpdateSecurityGroupRuleDescriptionsIngress":
    case "UpdateSecurityGroupRuleDescriptionsEgress": {
      if (directionOf(e.eventName) !== r.direction) return 0;
      const hit = e.described.find((x) => sameRule(x, r));
      if (hit !== undefined) return hit.description === r.description ? EXACT : STRONG;
      return e.described.length === 0 ? WEAK : 0;
    }
    case "ModifySecurityGroupRules": {
      const hit = e.modified.find((m) => sameRuleAnyDirection(m.rule, r));
      if (hit === undefined) return 0;
      return hit.rule.description === r.description ? EXACT : STRONG;
    }
    case "AuthorizeSecurityGroupIngress":
    case "AuthorizeSecurityGroupEgress": {
      // Revoked and authorized again with another description within one interval.
      if (directionOf(e.eventName) !== r.direction) return 0;
      const hit = e.added.find((x) => sameRule(x, r));
      return hit !== undefined && hit.description === r.description ? STRONG : 0;
    }
    default:
      return 0;
  }
}

function scoreGroupChanged(e: TrailEvent, change: Change): number {
  const changed = changedTags(change);
  if (changed.size === 0) return 0;
  const keys = Object.keys(e.tags);
  if (e.eventName === "CreateTags") {
    const set = keys.filter((k) => changed.has(k) && changed.get(k) !== null);
    if (set.length === 0) return 0;
    const allValuesMatch = set.every((k) => changed.get(k) === e.tags[k]);
    return allValuesMatch && set.length === changed.size ? EXACT : allValuesMatch ? STRONG : WEAK;
  }
  if (e.eventName === "DeleteTags") {
    const removed = [...changed].filter(([, v]) => v === null).map(([k]) => k);
    // DeleteTags without tags removes them all.
    const hits = keys.length === 0 ? removed : keys.filter((k) => removed.includes(k));
    if (hits.length === 0) return 0;
    return hits.length === changed.size ? EXACT : STRONG;
  }
  return 0;
}

/** How well `e` explains `change`; 0 when it does not. */
export function score(change: Change, e: TrailEvent): number {
  if (e.failed) return 0;
  const onGroup =
    e.groupIds.has(change.groupId) ||
    // CreateSecurityGroup without a recorded response: same name in the same VPC.
    (e.created !== null && e.created.groupId === null && e.created.groupName === change.groupName && (e.created.vpcId === null || e.created.vpcId === change.vpcId)) ||
    (e.deleted !== null && e.deleted.groupId === null && e.deleted.groupName === change.groupName);
  if (!onGroup) return 0;
  switch (change.kind) {
    case "group-created":
      return e.eventName === "CreateSecurityGroup" ? EXACT : 0;
    case "group-deleted":
      return e.eventName === "DeleteSecurityGroup" ? EXACT : 0;
    case "group-changed":
      return scoreGroupChanged(e, change);
    case "rule-added":
      return change.rule ? scoreRuleAdded(e, change.rule) : 0;
    case "rule-removed":
      return change.rule ? scoreRuleRemoved(e, change.rule) : 0;
    case "rule-description-changed":
      return change.rule ? scoreDescriptionChanged(e, change.rule) : 0;
    case "exposure-added":
      // Made by interface calls (RunInstances, ModifyNetworkInterfaceAttribute), which the trail sweep does not read.
      return 0;
  }
}

/** Candidate events read once, to match many changes of one group against them. */
export function parseCandidates(events: readonly Event[]): TrailEvent[] {
  const seen = new Set<string>();
  const out: TrailEvent[] = [];
  for (const raw of events) {
    const e = parseTrailEvent(raw);
    if (e === null || (e.eventId !== "" && seen.has(e.eventId))) continue;
    seen.add(e.eventId);
    out.push(e);
  }
  return out;
}

/** Options of matchChange. */
export interface MatchOptions {
  /** Only events at or after this time (ms since epoch). */
  fromMs?: number;
  /** Only events at or before this time (ms since epoch). */
  toMs?: number;
}

/**
 * The event that made `change`, or null when none of `candidates` explains it.
 * Best score first; among equals, the latest event; among simultaneous ones,
 * the larger event id (any fixed order keeps the answer stable).
 */
export function matchChange(change: Change, candidates: readonly (Event | TrailEvent)[], opts: MatchOptions = {}): Match | null {
  const parsed = candidates.flatMap((c) => {
    if ("eventTimeMs" in c) return [c];
    const p = parseTrailEvent(c);
    return p === null ? [] : [p];
  });
  let best: { e: TrailEvent; s: number } | null = null;
  for (const e of parsed) {
    if (opts.fromMs !== undefined && e.eventTimeMs < opts.fromMs) continue;
    if (opts.toMs !== undefined && e.eventTimeMs > opts.toMs) continue;
    const s = score(change, e);
    if (s === 0) continue;
    if (
      best === null ||
      s > best.s ||
      (s === best.s && (e.eventTimeMs > best.e.eventTimeMs || (e.eventTimeMs === best.e.eventTimeMs && e.eventId > best.e.eventId)))
    ) {
      best = { e, s };
    }
  }
  if (best === null) return null;
  return { event: best.e.source, attribution: best.e.attribution, quality: best.s === EXACT ? "exact" : best.s === STRONG ? "likely" : "possible" };
}
