// Stored state vs observed state ─► Change[] (pure).
//
// Rules are compared by ruleKey(), so a description edit is one
// `rule-description-changed`, never a removal plus an addition. A new or
// deleted group also reports each of its rules, so a group born open to the
// world is judged by severity rule by rule like any other addition.
//
// Group description and owner are immutable on AWS and are not reported; a
// groupId is never reused, so they cannot change under one id.

import { ruleKey } from "./rule-key.js";
import type { Change, GroupAttributes, GroupState, Rule } from "./types.js";

export { groupDigest } from "./digest.js";

function byId(groups: ReadonlyMap<string, GroupState> | GroupState[]): ReadonlyMap<string, GroupState> {
  return Array.isArray(groups) ? new Map(groups.map((g) => [g.groupId, g])) : groups;
}

/** The group fields every change carries; copies, so consumers cannot alias state. */
function context(g: GroupState): Pick<Change, "groupId" | "groupName" | "vpcId" | "groupTags"> {
  return { groupId: g.groupId, groupName: g.name, vpcId: g.vpcId, groupTags: { ...g.tags } };
}

function sameTags(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

function sameRule(a: Rule, b: Rule): boolean {
  return (
    a.direction === b.direction &&
    a.protocol === b.protocol &&
    a.fromPort === b.fromPort &&
    a.toPort === b.toPort &&
    a.sourceKind === b.sourceKind &&
    a.source === b.source &&
    a.sourceAccount === b.sourceAccount &&
    a.peeringId === b.peeringId &&
    a.description === b.description
  );
}

/**
 * Whether two canonical groups are identical. Canonical rule lists are sorted
 * by key, so equal groups have equal lists element by element; comparing
 * fields allocates nothing, which matters when nearly every group of a
 * 100,000-rule account is unchanged at every poll.
 */
function sameGroup(a: GroupState, b: GroupState): boolean {
  if (a === b) return true;
  if (a.name !== b.name || a.vpcId !== b.vpcId || a.description !== b.description || a.ownerId !== b.ownerId) return false;
  if (a.rules.length !== b.rules.length || !sameTags(a.tags, b.tags)) return false;
  for (let i = 0; i < a.rules.length; i++) if (!sameRule(a.rules[i] as Rule, b.rules[i] as Rule)) return false;
  return true;
}

function groupChange(before: GroupState, after: GroupState): Change | null {
  const was: Partial<GroupAttributes> = {};
  const now: Partial<GroupAttributes> = {};
  if (before.name !== after.name) [was.name, now.name] = [before.name, after.name];
  if (before.vpcId !== after.vpcId) [was.vpcId, now.vpcId] = [before.vpcId, after.vpcId];
  if (!sameTags(before.tags, after.tags)) [was.tags, now.tags] = [{ ...before.tags }, { ...after.tags }];
  if (Object.keys(now).length === 0) return null;
  return { kind: "group-changed", ...context(after), before: was, after: now };
}

function ruleChanges(before: GroupState, after: GroupState): Change[] {
  const ctx = context(after);
  const old = new Map(before.rules.map((r) => [ruleKey(r), r]));
  const found: { key: string; change: Change }[] = [];
  for (const rule of after.rules) {
    const key = ruleKey(rule);
    const prior = old.get(key);
    old.delete(key);
    if (prior === undefined) {
      found.push({ key, change: { kind: "rule-added", ...ctx, rule: { ...rule } } });
    } else if (prior.description !== rule.description) {
      found.push({
        key,
        change: { kind: "rule-description-changed", ...ctx, rule: { ...rule }, oldDescription: prior.description },
      });
    }
  }
  for (const [key, rule] of old) found.push({ key, change: { kind: "rule-removed", ...ctx, rule: { ...rule } } });
  return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((f) => f.change);
}

function eachRule(g: GroupState, kind: "rule-added" | "rule-removed"): Change[] {
  const ctx = context(g);
  // Canonical rules are already in key order; sort on keys built once
  // (a comparator rebuilding two keys per comparison was a baseline's cost).
  const keyed = g.rules.map((rule) => ({ key: ruleKey(rule), rule }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map(({ rule }) => ({ kind, ...ctx, rule: { ...rule } }));
}

/**
 * Every change between the stored state of a target and what a complete poll
 * observed, ordered by groupId, then the group-level change, then rule key.
 * Only call this with a complete poll: a missing group reads as deleted.
 */
export function diffGroups(stored: ReadonlyMap<string, GroupState> | GroupState[], observed: GroupState[]): Change[] {
  const before = byId(stored);
  // Observed groups come sorted by id from the normaliser; sort a copy only if
  // they are not, so an unchanged estate costs one pass, not a sort of every id.
  const sorted = isSortedById(observed) ? observed : [...observed].sort((a, b) => cmp(a.groupId, b.groupId));
  const seen = new Set<string>();
  const byGroup: Array<{ id: string; changes: Change[] }> = [];
  for (const now of sorted) {
    seen.add(now.groupId);
    const was = before.get(now.groupId);
    if (was === undefined) {
      byGroup.push({ id: now.groupId, changes: [{ kind: "group-created", ...context(now), groupDescription: now.description, ownerId: now.ownerId }, ...eachRule(now, "rule-added")] });
    } else if (!sameGroup(was, now)) {
      const g = groupChange(was, now);
      byGroup.push({ id: now.groupId, changes: [...(g !== null ? [g] : []), ...ruleChanges(was, now)] });
    }
  }
  for (const [id, was] of before) {
    if (!seen.has(id)) byGroup.push({ id, changes: [{ kind: "group-deleted", ...context(was) }, ...eachRule(was, "rule-removed")] });
  }
  // Only groups that changed are sorted, to keep the order by groupId.
  byGroup.sort((a, b) => cmp(a.id, b.id));
  return byGroup.flatMap((g) => g.changes);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isSortedById(groups: readonly GroupState[]): boolean {
  for (let i = 1; i < groups.length; i++) if ((groups[i - 1] as GroupState).groupId >= (groups[i] as GroupState).groupId) return false;
  return true;
}
