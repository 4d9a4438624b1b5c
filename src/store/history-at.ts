// The rule set as it was at a time, and the net change between two times.
// A version is valid at T when added_at <= T and (removed_at IS NULL OR
// removed_at > T).
import type { Database } from "better-sqlite3";
import { diffGroups } from "../model/diff.js";
import { compareRules } from "../model/rule-key.js";
import type { Change, GroupState, Rule } from "../model/types.js";
import { columnsToRule, type RuleColumns } from "./rule-columns.js";
import type { HistoryScope } from "./history-groups.js";

export interface RuleAt {
  /** The target's account. */
  account: string;
  /** The target's region. */
  region: string;
  /** sg-… id. */
  groupId: string;
  /** The group's name at that time (null only if no group version covers it). */
  groupName: string | null;
  /** The rule. */
  rule: Rule;
  /** Start of this rule version: when it appeared or its description last changed. */
  since: string;
}

interface RuleAtRow extends RuleColumns {
  target_id: number;
  account: string;
  region: string;
  group_id: string;
  group_name: string | null;
  since: string;
}

function scopeParams(at: string, scope: HistoryScope): Record<string, string | number | null> {
  const base = { at, account: scope.account ?? null, region: scope.region ?? null };
  return scope.group ? { ...base, group: scope.group.groupId, target: scope.group.targetId } : base;
}

// With a group the filter is a literal `r.group_id = @group`, not an
// `@group IS NULL OR …` disjunction: the planner can only use
// rule_versions_by_group (group_id, added_at) on a plain equality.
function rulesSql(withGroup: boolean): string {
  return `SELECT r.target_id, t.account, t.region, r.group_id, g.name AS group_name,
                 r.direction, r.protocol, r.from_port, r.to_port, r.source_kind, r.source, r.source_account,
                 r.peering_id, r.description, r.added_at AS since
            FROM rule_versions r
            JOIN targets t ON t.id = r.target_id
            LEFT JOIN group_versions g
              ON g.group_id = r.group_id AND g.target_id = r.target_id
             AND g.added_at <= @at AND (g.removed_at IS NULL OR g.removed_at > @at)
           WHERE r.added_at <= @at AND (r.removed_at IS NULL OR r.removed_at > @at)
             ${withGroup ? "AND r.group_id = @group AND r.target_id = @target" : ""}
             AND (@account IS NULL OR t.account = @account)
             AND (@region IS NULL OR t.region = @region)
           ORDER BY t.account, t.region, r.group_id, r.rule_key`;
}

function groupsSql(withGroup: boolean): string {
  return `SELECT g.target_id, t.account, t.region, g.group_id, g.name, g.description, g.vpc_id, g.owner_id, g.tags
            FROM group_versions g
            JOIN targets t ON t.id = g.target_id
           WHERE g.added_at <= @at AND (g.removed_at IS NULL OR g.removed_at > @at)
             ${withGroup ? "AND g.group_id = @group AND g.target_id = @target" : ""}
             AND (@account IS NULL OR t.account = @account)
             AND (@region IS NULL OR t.region = @region)
           ORDER BY t.account, t.region, g.group_id`;
}

/** The SQL rulesAt runs, exported for query-plan tests. */
export const RULES_AT_SQL = { all: rulesSql(false), oneGroup: rulesSql(true) };
/** The SQL stateAt runs for groups, exported for query-plan tests. */
export const GROUPS_AT_SQL = { all: groupsSql(false), oneGroup: groupsSql(true) };

function rulesAtRows(db: Database, at: string, scope: HistoryScope): RuleAtRow[] {
  const sql = scope.group ? RULES_AT_SQL.oneGroup : RULES_AT_SQL.all;
  return db.prepare(sql).all(scopeParams(at, scope)) as RuleAtRow[];
}

/** Every rule valid at `at` (ISO UTC), ordered by account, region, group, rule key. */
export function rulesAt(db: Database, at: string, scope: HistoryScope = {}): RuleAt[] {
  return rulesAtRows(db, at, scope).map((r) => ({
    account: r.account,
    region: r.region,
    groupId: r.group_id,
    groupName: r.group_name,
    rule: columnsToRule(r),
    since: r.since,
  }));
}

/** The groups of one target at a point in time. */
export interface TargetStateAt {
  /** targets.id. */
  targetId: number;
  /** The target's account. */
  account: string;
  /** The target's region. */
  region: string;
  /** Its groups with their rules, keyed by group id. */
  groups: Map<string, GroupState>;
}

interface GroupAtRow {
  target_id: number;
  account: string;
  region: string;
  group_id: string;
  name: string;
  description: string;
  vpc_id: string | null;
  owner_id: string;
  tags: string;
}

/** Every group valid at `at` with the rules valid then, per target. */
export function stateAt(db: Database, at: string, scope: HistoryScope = {}): Map<number, TargetStateAt> {
  const targets = new Map<number, TargetStateAt>();
  const params = scopeParams(at, scope);
  const groupRows = db.prepare(scope.group ? GROUPS_AT_SQL.oneGroup : GROUPS_AT_SQL.all).all(params) as GroupAtRow[];
  for (const g of groupRows) {
    let t = targets.get(g.target_id);
    if (t === undefined) {
      t = { targetId: g.target_id, account: g.account, region: g.region, groups: new Map() };
      targets.set(g.target_id, t);
    }
    t.groups.set(g.group_id, {
      groupId: g.group_id,
      name: g.name,
      description: g.description,
      vpcId: g.vpc_id,
      ownerId: g.owner_id,
      tags: JSON.parse(g.tags) as Record<string, string>,
      rules: [],
    });
  }
  for (const r of rulesAtRows(db, at, scope)) targets.get(r.target_id)?.groups.get(r.group_id)?.rules.push(columnsToRule(r));
  for (const t of targets.values()) for (const g of t.groups.values()) g.rules.sort(compareRules);
  return targets;
}

/** One change of a net diff, with its target. */
export interface NetChange {
  /** The target's account. */
  account: string;
  /** The target's region. */
  region: string;
  /** The change, as the poller's differ reports it. */
  change: Change;
}

/**
 * The net change between the state at `from` and at `to`: what happened in
 * between and was undone again does not show; a description edit is one
 * rule-description-changed.
 */
export function netDiff(db: Database, from: string, to: string, scope: HistoryScope = {}): NetChange[] {
  const before = stateAt(db, from, scope);
  const after = stateAt(db, to, scope);
  const targets = new Map<number, { account: string; region: string }>();
  for (const t of [...before.values(), ...after.values()]) targets.set(t.targetId, { account: t.account, region: t.region });
  const ordered = [...targets.entries()].sort(([, a], [, b]) => a.account.localeCompare(b.account) || a.region.localeCompare(b.region));
  return ordered.flatMap(([id, t]) =>
    diffGroups(before.get(id)?.groups ?? new Map<string, GroupState>(), [...(after.get(id)?.groups.values() ?? [])]).map((change) => ({
      account: t.account,
      region: t.region,
      change,
    })),
  );
}
