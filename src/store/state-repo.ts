// The current state of a target as intervals in group_versions and
// rule_versions: load it, and move it forward by a list of changes.
import type { Database } from "better-sqlite3";
import type { Change, GroupState } from "../model/types.js";
import { ruleKey } from "../model/rule-key.js";
import { columnsToRule, ruleToColumns, tagsToJson, type RuleColumns } from "./rule-columns.js";
import { sql } from "./statements.js";

interface GroupRow {
  group_id: string;
  name: string;
  description: string;
  vpc_id: string | null;
  owner_id: string;
  tags: string;
}

interface RuleRow extends RuleColumns {
  group_id: string;
}

/** The target's current state (rows with no removed_poll_id), keyed by group id. */
export function loadCurrentState(db: Database, targetId: number): Map<string, GroupState> {
  const groups = new Map<string, GroupState>();
  const groupRows = sql(db, "SELECT group_id, name, description, vpc_id, owner_id, tags FROM group_versions WHERE target_id = ? AND removed_poll_id IS NULL")
    .all(targetId) as GroupRow[];
  for (const g of groupRows) {
    groups.set(g.group_id, {
      groupId: g.group_id,
      name: g.name,
      description: g.description,
      vpcId: g.vpc_id,
      ownerId: g.owner_id,
      tags: JSON.parse(g.tags) as Record<string, string>,
      rules: [],
    });
  }
  const ruleRows = sql(db, 
      `SELECT group_id, direction, protocol, from_port, to_port, source_kind, source, source_account, peering_id, description
       FROM rule_versions WHERE target_id = ? AND removed_poll_id IS NULL
       ORDER BY group_id, rule_key`,
    )
    .iterate(targetId) as IterableIterator<RuleRow>;
  // rule_key is ruleKey() (ASCII), so SQLite's byte order is the canonical order.
  // Row by row, not .all(): each row object dies young, where an array of
  // every row (100,000 at the benchmark's size) lived through the whole load
  // and was promoted to the old generation, raising the peak RSS of the
  // first cycle after a start (docs/performance.md, "What moved the peak").
  for (const r of ruleRows) groups.get(r.group_id)?.rules.push(columnsToRule(r));
  return groups;
}

/** Where a set of interval writes happens. */
export interface IntervalContext {
  targetId: number;
  pollId: number;
  at: string;
}

/**
 * Close and open intervals for `changes`. `observed` supplies the full new
 * attributes of created and changed groups.
 */
export function applyChangesToIntervals(db: Database, ctx: IntervalContext, changes: Change[], observed: ReadonlyMap<string, GroupState>): void {
  const openGroup = sql(db, 
    `INSERT INTO group_versions (target_id, group_id, name, description, vpc_id, owner_id, tags, added_poll_id, added_at)
     VALUES (@target_id, @group_id, @name, @description, @vpc_id, @owner_id, @tags, @poll_id, @at)`,
  );
  const closeGroup = sql(db, 
    "UPDATE group_versions SET removed_poll_id = ?, removed_at = ? WHERE target_id = ? AND group_id = ? AND removed_poll_id IS NULL",
  );
  const openRule = sql(db, 
    `INSERT INTO rule_versions (target_id, group_id, rule_key, direction, protocol, from_port, to_port, source_kind, source,
       source_account, peering_id, description, added_poll_id, added_at)
     VALUES (@target_id, @group_id, @rule_key, @direction, @protocol, @from_port, @to_port, @source_kind, @source,
       @source_account, @peering_id, @description, @poll_id, @at)`,
  );
  const closeRule = sql(db, 
    "UPDATE rule_versions SET removed_poll_id = ?, removed_at = ? WHERE target_id = ? AND group_id = ? AND rule_key = ? AND removed_poll_id IS NULL",
  );
  const base = { target_id: ctx.targetId, poll_id: ctx.pollId, at: ctx.at };
  const insertGroup = (groupId: string): void => {
    const g = observed.get(groupId);
    if (!g) throw new Error(`internal: change for ${groupId} but the group is not in the observation`);
    openGroup.run({ ...base, group_id: g.groupId, name: g.name, description: g.description, vpc_id: g.vpcId, owner_id: g.ownerId, tags: tagsToJson(g.tags) });
  };
  for (const c of changes) {
    switch (c.kind) {
      case "group-created":
        insertGroup(c.groupId);
        break;
      case "group-changed":
        closeGroup.run(ctx.pollId, ctx.at, ctx.targetId, c.groupId);
        insertGroup(c.groupId);
        break;
      case "group-deleted":
        closeGroup.run(ctx.pollId, ctx.at, ctx.targetId, c.groupId);
        break;
      case "exposure-added":
        // Interface intervals are kept by attachments-repo; the group's rules did not change.
        break;
      case "rule-added":
      case "rule-removed":
      case "rule-description-changed": {
        const rule = c.rule;
        if (!rule) throw new Error(`internal: ${c.kind} on ${c.groupId} without a rule`);
        const key = ruleKey(rule);
        if (c.kind !== "rule-added") closeRule.run(ctx.pollId, ctx.at, ctx.targetId, c.groupId, key);
        if (c.kind !== "rule-removed") openRule.run({ ...base, group_id: c.groupId, rule_key: key, ...ruleToColumns(rule) });
        break;
      }
    }
  }
}

/**
 * A target's first successful poll: every group and rule opens an interval.
 * Nothing was stored before, so there is nothing to diff; writing straight
 * from the observation skips building a change per rule.
 */
export function openBaselineIntervals(db: Database, ctx: IntervalContext, groups: readonly GroupState[]): void {
  const openGroup = sql(
    db,
    `INSERT INTO group_versions (target_id, group_id, name, description, vpc_id, owner_id, tags, added_poll_id, added_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const openRule = sql(
    db,
    `INSERT INTO rule_versions (target_id, group_id, rule_key, direction, protocol, from_port, to_port, source_kind, source,
       source_account, peering_id, description, added_poll_id, added_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const g of groups) {
    openGroup.run(ctx.targetId, g.groupId, g.name, g.description, g.vpcId, g.ownerId, tagsToJson(g.tags), ctx.pollId, ctx.at);
    for (const r of g.rules) {
      openRule.run(ctx.targetId, g.groupId, ruleKey(r), r.direction, r.protocol, r.fromPort, r.toPort, r.sourceKind, r.source, r.sourceAccount, r.peeringId, r.description, ctx.pollId, ctx.at);
    }
  }
}
