// Read queries over the stored history, for `sgwatch history`, `rules` and
// `diff`. History is intervals (see migrations/0001_init.sql): a version is
// valid at T when added_at <= T and (removed_at IS NULL OR removed_at > T).
// Every query here reads one target's group by (group_id, added_at) when a
// group is given, so it rides rule_versions_by_group / group_versions_by_group /
// change_events_by_group; `test/unit/history/query-plans.test.ts` checks it.
import type { Database } from "better-sqlite3";
import { diffGroups } from "../model/diff.js";
import { compareRules } from "../model/rule-key.js";
import type { Change, GroupAttributes, GroupState, Rule } from "../model/types.js";
import { columnsToRule, type RuleColumns } from "./rule-columns.js";

/** Narrows a query to some targets and, optionally, one group. */
export interface HistoryScope {
  /** Only this account. */
  account?: string;
  /** Only this region. */
  region?: string;
  /** Only this group (exact id, already resolved with findGroups). */
  group?: GroupRef;
}

/** One group of one target, as findGroups resolves it. */
export interface GroupRef {
  /** targets.id. */
  targetId: number;
  /** sg-… id. */
  groupId: string;
}

/** A group that matched a reference given on the command line. */
export interface GroupMatch extends GroupRef {
  /** The target's account. */
  account: string;
  /** The target's region. */
  region: string;
  /** The group's latest known name. */
  name: string;
  /** Whether the latest version is closed (the group is gone). */
  deleted: boolean;
}

interface GroupMatchRow {
  target_id: number;
  account: string;
  region: string;
  group_id: string;
  name: string;
  removed_at: string | null;
}

// The latest version of each (target, group) that ever carried the id or the
// name. The id branch uses group_versions_by_group; no index serves the name
// branch, so it scans group_versions once: one row per group version, small
// next to rule_versions, and this runs once per command.
/** The SQL findGroups runs, exported for query-plan tests. */
export const FIND_GROUPS_SQL = `
  WITH hits AS (SELECT target_id, group_id FROM group_versions WHERE group_id = @ref
                UNION
                SELECT target_id, group_id FROM group_versions WHERE name = @ref)
  SELECT g.target_id, t.account, t.region, g.group_id, g.name, g.removed_at
    FROM hits h
    JOIN group_versions g ON g.id = (SELECT max(x.id) FROM group_versions x
                                      WHERE x.group_id = h.group_id AND x.target_id = h.target_id)
    JOIN targets t ON t.id = h.target_id
   WHERE (@account IS NULL OR t.account = @account)
     AND (@region IS NULL OR t.region = @region)
   ORDER BY t.account, t.region, g.group_id`;

/**
 * Groups whose id is `ref`, or whose name is or ever was `ref`, in the scope's
 * account and region. Several matches mean the name is ambiguous; the caller decides.
 */
export function findGroups(db: Database, ref: string, scope: Pick<HistoryScope, "account" | "region"> = {}): GroupMatch[] {
  const rows = db
    .prepare(FIND_GROUPS_SQL)
    .all({ ref, account: scope.account ?? null, region: scope.region ?? null }) as GroupMatchRow[];
  return rows.map((r) => ({
    targetId: r.target_id,
    groupId: r.group_id,
    account: r.account,
    region: r.region,
    name: r.name,
    deleted: r.removed_at !== null,
  }));
}

/** Targets (account × region) that exist, to tell a typo in --account from "no rules". */
export function targetExists(db: Database, scope: Pick<HistoryScope, "account" | "region">): boolean {
  const row = db
    .prepare("SELECT 1 AS hit FROM targets WHERE (@account IS NULL OR account = @account) AND (@region IS NULL OR region = @region) LIMIT 1")
    .get({ account: scope.account ?? null, region: scope.region ?? null }) as { hit: number } | undefined;
  return row !== undefined;
}

/** When a target was first polled successfully: before that, sgwatch knows nothing about it. */
export interface TargetCoverage {
  /** The target's account. */
  account: string;
  /** The target's region. */
  region: string;
  /** finished_at of the first successful poll, or null if none succeeded yet. */
  firstPollAt: string | null;
}

/** First successful poll of each target in scope. */
export function targetCoverage(db: Database, scope: HistoryScope = {}): TargetCoverage[] {
  return db
    .prepare(
      `SELECT t.account, t.region,
              (SELECT min(p.finished_at) FROM polls p WHERE p.target_id = t.id AND p.status = 'ok') AS firstPollAt
         FROM targets t
        WHERE (@account IS NULL OR t.account = @account)
          AND (@region IS NULL OR t.region = @region)
          AND (@target IS NULL OR t.id = @target)
        ORDER BY t.account, t.region`,
    )
    .all({ account: scope.account ?? null, region: scope.region ?? null, target: scope.group?.targetId ?? null }) as TargetCoverage[];
}

// ---------------------------------------------------------------------------
// A group's timeline.

/** A group's life: first seen, renames, deletion. */
export interface GroupLife {
  /** The target's account. */
  account: string;
  /** The target's region. */
  region: string;
  /** sg-… id. */
  groupId: string;
  /** The latest known name. */
  name: string;
  /** The latest known VPC. */
  vpcId: string | null;
  /** When sgwatch first recorded the group. */
  firstSeenAt: string;
  /** True when it was first recorded by a baseline poll (it existed before monitoring began). */
  firstSeenAtBaseline: boolean;
  /** When it disappeared, or null while it exists. */
  deletedAt: string | null;
}

/** One change in a group's timeline, with its status as it is now. */
export interface TimelineEntry {
  /** change_events.id. */
  id: number;
  /** When the change was detected (ISO UTC). */
  time: string;
  /** The previous successful poll: the change happened after this. */
  sincePreviousPoll: string | null;
  /** What happened. */
  kind: Change["kind"];
  /** The group's name at the time of the change. */
  groupName: string;
  /** For rule-* kinds: the rule (for description changes, as it is now). */
  rule: Rule | null;
  /** For rule-description-changed: the old description. */
  oldDescription: string | null;
  /** For group-changed: the attributes that changed, before and after. */
  before: Partial<GroupAttributes> | null;
  after: Partial<GroupAttributes> | null;
  /** Severity as judged at detection. */
  severity: string;
  /** The changes view's status now: unapproved, approved, acknowledged or reverted. */
  status: string;
  /** The covering approval record, for approved changes. */
  approvalId: string | null;
  /** Who acknowledged it, for acknowledged changes. */
  ackedBy: string | null;
  /** When it was undone, for reverted changes. */
  revertedAt: string | null;
  /** Who made the change; null until attribution exists. */
  attribution: null;
}

/** A group's timeline: its life and every change, oldest first. */
export interface GroupTimeline {
  /** The group's life. */
  group: GroupLife;
  /** Every detected change, oldest first. */
  changes: TimelineEntry[];
}

interface VersionRow {
  name: string;
  vpc_id: string | null;
  added_at: string;
  removed_at: string | null;
  baseline: number;
}

interface TimelineRow extends RuleColumns {
  id: number;
  time: string;
  since_previous_poll: string | null;
  kind: Change["kind"];
  group_name: string;
  old_description: string | null;
  before: string | null;
  after: string | null;
  severity: string;
  status: string;
  approval_id: string | null;
  acked_by: string | null;
  reverted_at: string | null;
}

function parseAttributes(text: string | null): Partial<GroupAttributes> | null {
  return text === null ? null : (JSON.parse(text) as Partial<GroupAttributes>);
}

/** The SQL groupTimeline runs, exported for query-plan tests. */
export const TIMELINE_SQL = {
  versions: `SELECT g.name, g.vpc_id, g.added_at, g.removed_at, p.baseline
               FROM group_versions g JOIN polls p ON p.id = g.added_poll_id
              WHERE g.group_id = ? AND g.target_id = ?
              ORDER BY g.added_at, g.id`,
  // The changes view's status (acknowledged and reverted are later facts) has
  // one definition, the view's; the rule's full columns come from change_events.
  changes: `SELECT v.id, v.time, v.since_previous_poll, v.kind, v.group_name, v.old_description, v.before, v.after,
                   v.severity, v.status, v.approval_id, v.acked_by, v.reverted_at,
                   c.direction, c.protocol, c.from_port, c.to_port, c.source_kind, c.source, c.source_account,
                   c.peering_id, c.description
              FROM change_events c
              JOIN changes v ON v.id = c.id
             WHERE c.group_id = ? AND c.target_id = ?
             ORDER BY c.detected_at, c.id`,
};

/** The timeline of one group; undefined when the group is not in the database. */
export function groupTimeline(db: Database, ref: GroupRef): GroupTimeline | undefined {
  const versions = db.prepare(TIMELINE_SQL.versions).all(ref.groupId, ref.targetId) as VersionRow[];
  const first = versions[0];
  const last = versions[versions.length - 1];
  if (first === undefined || last === undefined) return undefined;
  const target = db.prepare("SELECT account, region FROM targets WHERE id = ?").get(ref.targetId) as { account: string; region: string };
  const rows = db.prepare(TIMELINE_SQL.changes).all(ref.groupId, ref.targetId) as TimelineRow[];
  return {
    group: {
      account: target.account,
      region: target.region,
      groupId: ref.groupId,
      name: last.name,
      vpcId: last.vpc_id,
      firstSeenAt: first.added_at,
      firstSeenAtBaseline: first.baseline === 1,
      deletedAt: last.removed_at,
    },
    changes: rows.map((r) => ({
      id: r.id,
      time: r.time,
      sincePreviousPoll: r.since_previous_poll,
      kind: r.kind,
      groupName: r.group_name,
      rule: r.kind.startsWith("rule-") ? columnsToRule(r) : null,
      oldDescription: r.old_description,
      before: parseAttributes(r.before),
      after: parseAttributes(r.after),
      severity: r.severity,
      status: r.status,
      approvalId: r.approval_id,
      ackedBy: r.acked_by,
      revertedAt: r.reverted_at,
      attribution: null,
    })),
  };
}

// ---------------------------------------------------------------------------
// State at a point in time.

/** One rule valid at a point in time, with where it lives. */
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
