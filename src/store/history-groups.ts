// Finding groups and targets in the stored history (by id, or any name a
// group ever had), for the history commands.
import type { Database } from "better-sqlite3";


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
