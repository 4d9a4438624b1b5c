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

/** Find or create the target row for account × region (label kept current). */
export function ensureTarget(db: Database, account: string, region: string, label: string | null, now: string): TargetRow {
  sql(db, 
    `INSERT INTO targets (account, region, label, created_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (account, region) DO UPDATE SET label = excluded.label`,
  ).run(account, region, label, now);
  return sql(db, "SELECT * FROM targets WHERE account = ? AND region = ?").get(account, region) as TargetRow;
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

/** Reset failure bookkeeping after a good poll. */
export function noteSuccess(db: Database, id: number): void {
  sql(db, "UPDATE targets SET consecutive_failures = 0, blind_since = NULL, last_error = NULL WHERE id = ?").run(id);
}
