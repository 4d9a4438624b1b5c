// The targets table: one row per account × region, with the failure
// bookkeeping that drives monitoring-blind / monitoring-restored.
import type { Database } from "better-sqlite3";
import { sql } from "./statements.js";

/** A target row. */
export interface TargetRow {
  id: number;
  account: string;
  region: string;
  label: string | null;
  created_at: string;
  consecutive_failures: number;
  blind_since: string | null;
  last_error: string | null;
}

/**
 * Find or create the target row for account × region (label kept current).
 * Read first: an upsert would be a write transaction at every poll of every
 * target, for a row that almost never changes.
 */
export function ensureTarget(db: Database, account: string, region: string, label: string | null, now: string): TargetRow {
  const find = (): TargetRow | undefined => sql(db, "SELECT * FROM targets WHERE account = ? AND region = ?").get(account, region) as TargetRow | undefined;
  const row = find();
  if (row !== undefined && row.label === label) return row;
  sql(db, 
    `INSERT INTO targets (account, region, label, created_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (account, region) DO UPDATE SET label = excluded.label`,
  ).run(account, region, label, now);
  return find() as TargetRow;
}

export function getTarget(db: Database, id: number): TargetRow {
  return sql(db, "SELECT * FROM targets WHERE id = ?").get(id) as TargetRow;
}

export function listTargets(db: Database): TargetRow[] {
  return sql(db, "SELECT * FROM targets ORDER BY account, region").all() as TargetRow[];
}

/** Count one more failure; returns the new count. */
export function noteFailure(db: Database, id: number, error: string): number {
  sql(db, "UPDATE targets SET consecutive_failures = consecutive_failures + 1, last_error = ? WHERE id = ?").run(error, id);
  return getTarget(db, id).consecutive_failures;
}

export function markBlind(db: Database, id: number, since: string): void {
  sql(db, "UPDATE targets SET blind_since = ? WHERE id = ?").run(since, id);
}

/**
 * Whether a target row (read in the recording transaction) still carries
 * failure bookkeeping to reset: a healthy target's good poll writes nothing.
 */
export function needsSuccessNoted(t: TargetRow): boolean {
  return t.consecutive_failures !== 0 || t.blind_since !== null || t.last_error !== null;
}

/** Reset failure bookkeeping after a good poll. */
export function noteSuccess(db: Database, id: number): void {
  // Only a row that needs it is written: an UPDATE to the same values still dirties its page.
  sql(db, "UPDATE targets SET consecutive_failures = 0, blind_since = NULL, last_error = NULL WHERE id = ? AND (consecutive_failures != 0 OR blind_since IS NOT NULL OR last_error IS NOT NULL)").run(id);
}
