// Short-lived openings, decided by joining the two sensors (DESIGN.md "Two
// sensors"): CloudTrail says when a rule was added and removed again; poll
// history says whether any poll saw it in between. A rule no poll saw is a
// transient opening, a change of its own. Pure: the store part
// (transient-store.ts) loads events and polls and writes the verdicts.
//
// The rule of time. CloudTrail's eventTime is AWS's clock cut to the whole
// second; a poll's times are sgwatch's clock around a DescribeSecurityGroups
// snapshot taken somewhere between started_at and finished_at. So a call at
// eventTime t happened in [t, t + 1 s), give or take the skew between the two
// clocks (`skewMs`). An opening added at t1 and removed at t2 was live inside
// [t1 − skew, t2 + 1 s + skew]: the window. Then:
// - a poll that overlaps the window and saw the rule: not transient (an
//   ordinary change, or the baseline, that CloudTrail gives times to);
// - no successful poll started after the window yet: wait (a poll in flight,
//   or recorded late, might still have seen it); decide on a later join;
// - no successful poll started before the window ended: sgwatch was not
//   watching yet (before the baseline); not reported, like the baseline;
// - otherwise no poll saw it: transient.
// Polls overlapping the window that did NOT see the rule change nothing: the
// rule was not live at their snapshot. So a skew guessed too large only makes
// sgwatch wait a little longer; it never turns a seen rule into a transient.
import type { Rule } from "../model/types.js";
import { ruleKey } from "../model/rule-key.js";
import type { ModifiedRule, RuleWithId } from "./event-record.js";

/** A successful security-group call as the join reads it from trail_events. */
export interface RuleEvent {
  /** CloudTrail eventID. */
  eventId: string;
  /** eventTime, ms since epoch (whole seconds). */
  timeMs: number;
  /** The API call. */
  eventName: string;
  /** The group it names. */
  groupId: string | null;
  /** Rules it added (Authorize*). */
  added: readonly Rule[];
  /** Rules it removed by content (Revoke*). */
  removed: readonly Rule[];
  /** ModifySecurityGroupRules: rule ids and their new content. */
  modified: readonly ModifiedRule[];
  /** Authorize*: the sgr- id of each added rule, when the record's response names it. */
  addedIds?: readonly RuleWithId[];
  /** Revoke*: the sgr- ids the request named; resolveRuleIds turns them into `removed` content. */
  removedIds?: readonly string[];
  /** ModifySecurityGroupRules: the content each named rule held before (resolveRuleIds), for finding 4's removed side. */
  replaced?: ReadonlyArray<{ rule: Rule; anyDirection: boolean }>;
}

/**
 * Rules named by sgr- id only, given their content from the calls read: a
 * revoke by id (a record without revokedSecurityGroupRuleSet: older records,
 * or responseElements null) removes what the id held, and a
 * ModifySecurityGroupRules replaces it. An id's content is known from the
 * Authorize response (securityGroupRuleSet) that created it or the last
 * Modify that named it, among these events; poll history has no rule ids
 * (DescribeSecurityGroups does not return them), so an id first seen in a
 * revoke or modify stays unknown. Events in time order; within one second
 * adds and modifies come before revokes, as in findOpenings. Pure.
 */
export function resolveRuleIds(events: readonly RuleEvent[]): RuleEvent[] {
  const order = [...events].sort((a, b) => a.timeMs - b.timeMs || a.eventId.localeCompare(b.eventId));
  const isRemove = (e: RuleEvent): boolean => e.eventName.startsWith("Revoke") || e.eventName === "DeleteSecurityGroup";
  const content = new Map<string, { groupId: string | null; rule: Rule; anyDirection: boolean }>();
  const out = new Map<string, RuleEvent>();
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && (order[j] as RuleEvent).timeMs === (order[i] as RuleEvent).timeMs) j++;
    const second = order.slice(i, j);
    for (const e of [...second.filter((x) => !isRemove(x)), ...second.filter(isRemove)]) {
      const ids = e.removedIds ?? [];
      if (e.modified.length > 0) {
        const replaced = e.modified.flatMap((m) => {
          const before = m.ruleId === null ? undefined : content.get(m.ruleId);
          if (before === undefined || before.groupId !== e.groupId) return [];
          // A description set by modify replaces no rule.
          const newKeys = openingKeys({ rule: m.rule, anyDirection: true });
          return openingKeys(before).some((k) => newKeys.includes(k)) ? [] : [{ rule: before.rule, anyDirection: before.anyDirection }];
        });
        for (const m of e.modified) if (m.ruleId !== null) content.set(m.ruleId, { groupId: e.groupId, rule: m.rule, anyDirection: true });
        out.set(e.eventId, replaced.length > 0 ? { ...e, replaced } : e);
        continue;
      }
      for (const a of e.addedIds ?? []) content.set(a.ruleId, { groupId: e.groupId, rule: a.rule, anyDirection: false });
      if (e.eventName === "DeleteSecurityGroup") {
        for (const [id, c] of content) if (c.groupId === e.groupId) content.delete(id);
      }
      if (ids.length === 0) {
        out.set(e.eventId, e);
        continue;
      }
      // The revoke's own Ingress/Egress says the direction, which a modified rule's content does not.
      const direction: Rule["direction"] = e.eventName.endsWith("Egress") ? "egress" : "ingress";
      const known = new Set(e.removed.map(ruleKey));
      const removed = [...e.removed];
      for (const id of ids) {
        const c = content.get(id);
        content.delete(id);
        if (c === undefined || c.groupId !== e.groupId) continue;
        const rule: Rule = { ...c.rule, direction };
        if (!known.has(ruleKey(rule))) removed.push(rule);
      }
      out.set(e.eventId, { ...e, removed });
    }
    i = j;
  }
  return events.map((e) => out.get(e.eventId) ?? e);
}

/** A rule that went live by one call, and the call that ended it (if known yet). */
export interface Opening {
  /** The call that added it: with the rule's key, what makes a transient unique. */
  addEventId: string;
  /** When it was added (eventTime, ms). */
  openedMs: number;
  /** The group. */
  groupId: string;
  /** The rule. For a modified rule the direction is a placeholder (CloudTrail does not say it): see anyDirection. */
  rule: Rule;
  /** True for ModifySecurityGroupRules content: either direction's key counts as the rule. */
  anyDirection: boolean;
  /** The call that removed it (Revoke*, ModifySecurityGroupRules of the same rule id, DeleteSecurityGroup), once known. */
  closeEventId: string | null;
  /** The call's name. */
  closeEventName: string | null;
  /** When it was removed (eventTime, ms). */
  closedMs: number | null;
}

/** The rule keys that identify an opening in poll history (both directions for a modified rule). */
export function openingKeys(o: Pick<Opening, "rule" | "anyDirection">): string[] {
  if (!o.anyDirection) return [ruleKey(o.rule)];
  return [ruleKey({ ...o.rule, direction: "ingress" }), ruleKey({ ...o.rule, direction: "egress" })];
}

interface Open {
  opening: Opening;
  keys: Set<string>;
  ruleId: string | null;
}

/**
 * Every rule the calls added, each with the call that removed it. Calls are
 * taken in time order; within one second (CloudTrail's resolution) adds come
 * before removes, so "opened and closed 20 ms later" pairs up. A remove with
 * nothing open (a rule older than the events read) closes nothing.
 */
export function findOpenings(events: readonly RuleEvent[]): Opening[] {
  const sorted = [...events].sort((a, b) => a.timeMs - b.timeMs || a.eventId.localeCompare(b.eventId));
  const out: Opening[] = [];
  const open: Open[] = [];
  const close = (o: Open, e: RuleEvent): void => {
    o.opening.closeEventId = e.eventId;
    o.opening.closeEventName = e.eventName;
    o.opening.closedMs = e.timeMs;
    open.splice(open.indexOf(o), 1);
  };
  const start = (e: RuleEvent, rule: Rule, anyDirection: boolean, ruleId: string | null): void => {
    if (e.groupId === null) return;
    const opening: Opening = { addEventId: e.eventId, openedMs: e.timeMs, groupId: e.groupId, rule, anyDirection, closeEventId: null, closeEventName: null, closedMs: null };
    out.push(opening);
    open.push({ opening, keys: new Set(openingKeys({ rule, anyDirection })), ruleId });
  };
  // One second at a time: its adds first, then its removes.
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j < sorted.length && (sorted[j] as RuleEvent).timeMs === (sorted[i] as RuleEvent).timeMs) j++;
    const second = sorted.slice(i, j);
    for (const e of second) {
      // The id AWS gave the rule: a later Modify of that id ends this content.
      for (const r of e.added) start(e, r, false, e.addedIds?.find((a) => ruleKey(a.rule) === ruleKey(r))?.ruleId ?? null);
      for (const m of e.modified) {
        // A rule id given new content: its previous content (if opened here) ends now.
        const held = open.filter((x) => x.ruleId !== null && x.ruleId === m.ruleId && x.opening.groupId === e.groupId);
        // Only its description set (the same rule): it stays open as it was, not closed and opened again.
        const newKeys = openingKeys({ rule: m.rule, anyDirection: true });
        if (held.length > 0 && held.every((x) => newKeys.some((k) => x.keys.has(k)))) continue;
        for (const o of held) close(o, e);
        start(e, m.rule, true, m.ruleId);
      }
    }
    for (const e of second) {
      if (e.eventName === "DeleteSecurityGroup") {
        for (const o of open.filter((x) => x.opening.groupId === e.groupId && x.opening.addEventId !== e.eventId)) close(o, e);
        continue;
      }
      for (const r of e.removed) {
        const key = ruleKey(r);
        const anyKey = openingKeys({ rule: r, anyDirection: true });
        // The oldest open one: a rule can be open once at a time (AWS refuses a duplicate).
        const o = open.find((x) => x.opening.groupId === e.groupId && (x.keys.has(key) || (x.opening.anyDirection && anyKey.some((k) => x.keys.has(k)))));
        if (o) close(o, e);
      }
    }
    i = j;
  }
  return out;
}

/** One successful poll of the target, and whether it saw the opening's rule. */
export interface PollSight {
  /** polls.id. */
  id: number;
  /** started_at, ms. */
  startedMs: number;
  /** finished_at, ms. */
  finishedMs: number;
  /** Whether the rule was in the state this poll recorded. */
  saw: boolean;
}

/** What the join decides about one opening. */
export type Verdict =
  | { kind: "wait"; why: "still-open" | "no-poll-after" }
  | { kind: "seen"; pollId: number }
  | { kind: "before-monitoring" }
  | { kind: "transient"; previousPoll: PollSight | null; nextPoll: PollSight };

/** CloudTrail's eventTime is cut to the second: a call at t happened before t + 1 s. */
export const EVENT_TIME_RESOLUTION_MS = 1000;

/** The window the rule was live in, widened by the time rule above: [from, until]. */
export function openingWindow(o: Pick<Opening, "openedMs" | "closedMs">, skewMs: number): { from: number; until: number } | null {
  if (o.closedMs === null) return null;
  return { from: o.openedMs - skewMs, until: o.closedMs + EVENT_TIME_RESOLUTION_MS + skewMs };
}

/**
 * The verdict on one opening, from the target's successful polls that matter
 * (those overlapping the window, the last before it, the first after it, and
 * at least the first poll ever, in time order).
 */
export function classify(o: Opening, polls: readonly PollSight[], skewMs: number): Verdict {
  const w = openingWindow(o, skewMs);
  if (w === null) return { kind: "wait", why: "still-open" };
  const seen = polls.find((p) => p.saw && p.finishedMs >= w.from && p.startedMs <= w.until);
  if (seen) return { kind: "seen", pollId: seen.id };
  if (!polls.some((p) => p.startedMs <= w.until)) return { kind: "before-monitoring" };
  const nextPoll = polls.find((p) => p.startedMs > w.until);
  if (!nextPoll) return { kind: "wait", why: "no-poll-after" };
  const before = polls.filter((p) => p.finishedMs < w.from);
  return { kind: "transient", previousPoll: before[before.length - 1] ?? null, nextPoll };
}

/**
 * The call behind a change a poll saw (finding 4): the last call in
 * (previous poll − skew − 1 s, detecting poll + skew] that made it, so
 * exposure can be measured from CloudTrail's times instead of the polls'.
 * For an added rule, the last call that added it (earlier short-lived
 * openings of the same rule are their own); for a removed rule, the last call
 * that removed it (by content, by an sgr- id whose content resolveRuleIds
 * knew, by a Modify that replaced it, or by deleting its group).
 */
export function eventForChange(
  change: { kind: "rule-added" | "rule-removed"; groupId: string; key: string; intervalStartMs: number | null; detectedMs: number },
  events: readonly RuleEvent[],
  skewMs: number,
): { eventId: string; timeMs: number } | null {
  const from = change.intervalStartMs === null ? Number.NEGATIVE_INFINITY : change.intervalStartMs - skewMs - EVENT_TIME_RESOLUTION_MS;
  const until = change.detectedMs + skewMs;
  const matches = (rules: readonly Rule[], anyDirection: boolean): boolean => rules.some((r) => openingKeys({ rule: r, anyDirection }).includes(change.key));
  let best: { eventId: string; timeMs: number } | null = null;
  for (const e of events) {
    if (e.groupId !== change.groupId || e.timeMs <= from || e.timeMs > until) continue;
    const made =
      change.kind === "rule-added"
        ? matches(e.added, false) || matches(e.modified.map((m) => m.rule), true)
        : e.eventName === "DeleteSecurityGroup" || matches(e.removed, false) || (e.replaced ?? []).some((x) => openingKeys(x).includes(change.key));
    if (made && (best === null || e.timeMs >= best.timeMs)) best = { eventId: e.eventId, timeMs: e.timeMs };
  }
  return best;
}
