// Change[] applied to a state: the inverse of diffGroups, used by property
// tests and the soak test to prove apply(diff(a, b), a) = b. Strict on
// purpose: a change that does not fit the state it is applied to (adding a
// rule that exists, removing one that does not, a `before` that is not the
// current value) throws, so an inconsistent diff cannot pass unnoticed.
//
// Change carries no group description or owner (immutable on AWS), so a group
// created by a change gets description "" and ownerId "".

import { compareRules, ruleKey } from "./rule-key.js";
import type { Change, GroupState, Rule } from "./types.js";

/** A change that cannot be applied to the state it was given. */
export class ApplyError extends Error {
  constructor(change: Change, problem: string) {
    super(`${change.groupId}: ${change.kind}: ${problem}`);
    this.name = "ApplyError";
  }
}

/** A mutable working copy of one group: rules by key. */
interface Working {
  /** The group's attributes (rules replaced at the end). */
  group: GroupState;
  /** Its rules by ruleKey. */
  rules: Map<string, Rule>;
  /** Set by group-deleted; the group must have lost every rule by the end. */
  deleted: boolean;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function sortedTags(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function applyGroupChange(w: Working, c: Change): void {
  const { before = {}, after = {} } = c;
  const g = w.group;
  if (after.name !== undefined) {
    if (before.name !== g.name) throw new ApplyError(c, `name is ${g.name}, not ${String(before.name)}`);
    g.name = after.name;
  }
  if (after.vpcId !== undefined) {
    if (before.vpcId !== g.vpcId) throw new ApplyError(c, `vpcId is ${String(g.vpcId)}, not ${String(before.vpcId)}`);
    g.vpcId = after.vpcId;
  }
  if (after.tags !== undefined) {
    if (!sameJson(sortedTags(before.tags ?? {}), sortedTags(g.tags))) throw new ApplyError(c, "tags before do not match");
    g.tags = sortedTags(after.tags);
  }
}

function applyRuleChange(w: Working, c: Change): void {
  if (c.rule === undefined) throw new ApplyError(c, "has no rule");
  const key = ruleKey(c.rule);
  const current = w.rules.get(key);
  if (c.kind === "rule-added") {
    if (current !== undefined) throw new ApplyError(c, `rule ${key} already exists`);
    w.rules.set(key, { ...c.rule });
  } else if (c.kind === "rule-removed") {
    if (current === undefined) throw new ApplyError(c, `rule ${key} is not there`);
    if (current.description !== c.rule.description) throw new ApplyError(c, `rule ${key} has another description`);
    w.rules.delete(key);
  } else {
    if (current === undefined) throw new ApplyError(c, `rule ${key} is not there`);
    if (current.description !== (c.oldDescription ?? null)) throw new ApplyError(c, `rule ${key} has another description`);
    w.rules.set(key, { ...current, description: c.rule.description });
  }
}

/** The state after the changes, sorted by groupId with rules sorted by key. Inputs are not mutated. */
export function applyChanges(state: GroupState[], changes: Change[]): GroupState[] {
  const groups = new Map<string, Working>();
  for (const g of state) {
    groups.set(g.groupId, {
      group: { ...g, tags: { ...g.tags }, rules: [] },
      rules: new Map(g.rules.map((r) => [ruleKey(r), { ...r }])),
      deleted: false,
    });
  }
  for (const c of changes) {
    const w = groups.get(c.groupId);
    if (c.kind === "group-created") {
      if (w !== undefined && !w.deleted) throw new ApplyError(c, "group already exists");
      const group = { groupId: c.groupId, name: c.groupName, description: c.groupDescription ?? "", vpcId: c.vpcId, ownerId: c.ownerId ?? "", tags: sortedTags(c.groupTags), rules: [] };
      groups.set(c.groupId, { group, rules: new Map(), deleted: false });
      continue;
    }
    if (w === undefined || (w.deleted && c.kind !== "rule-removed")) throw new ApplyError(c, "group does not exist");
    if (c.kind === "group-deleted") w.deleted = true;
    else if (c.kind === "group-changed") applyGroupChange(w, c);
    else applyRuleChange(w, c);
  }
  const result: GroupState[] = [];
  for (const w of groups.values()) {
    if (w.deleted) {
      if (w.rules.size > 0) throw new Error(`${w.group.groupId}: deleted but ${w.rules.size} rule(s) were never removed`);
      continue;
    }
    result.push({ ...w.group, rules: [...w.rules.values()].sort(compareRules) });
  }
  return result.sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
}
