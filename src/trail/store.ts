// trail_events and trail_cursors: the sweep's writes. Events are inserted once
// by eventID (a re-read of the overlap window, or a restart, stores nothing
// twice); the cursor moves in the same transaction as the events it covers,
// so a crash between the two cannot skip events. Statements are prepared once
// per database (store/statements.ts): a quiet sweep of a fleet runs these few
// thousands of times a cycle.
import type { Database } from "better-sqlite3";
import type { TrailEventRow } from "./event-row.js";
import { sql } from "../store/statements.js";

/** A trail_cursors row. */
export interface CursorRow {
  /** targets.id. */
  target_id: number;
  /** Read up to here (less the overlap next time); NULL before the first sweep. */
  swept_until: string | null;
  /** Start of a range not read yet. */
  backlog_from: string | null;
  /** End of that range (read newest first, so this moves down). */
  backlog_until: string | null;
  /** Start of a range read before, to read again for late events. */
  recheck_from: string | null;
  /** End of that range. */
  recheck_until: string | null;
  /** When the last sweep ran, worked or not. */
  last_sweep_at: string | null;
  /** When the last sweep worked. */
  last_ok_at: string | null;
  /** Failed sweeps in a row. */
  consecutive_failures: number;
  /** The first failed sweep of this run of failures. */
  first_failure_at: string | null;
  /** Set while trail-blind. */
  blind_since: string | null;
  /** The last failure, in words. */
  last_error: string | null;
}

/** The target's cursor (a fresh one before its first sweep). */
export function getCursor(db: Database, targetId: number): CursorRow {
  const row = sql(db, "SELECT * FROM trail_cursors WHERE target_id = ?").get(targetId) as CursorRow | undefined;
  return (
    row ?? {
      target_id: targetId,
      swept_until: null,
      backlog_from: null,
      backlog_until: null,
      recheck_from: null,
      recheck_until: null,
      last_sweep_at: null,
      last_ok_at: null,
      consecutive_failures: 0,
      first_failure_at: null,
      blind_since: null,
      last_error: null,
    }
  );
}

/** Every stored cursor (the sweep reads them once a cycle). */
export function listCursors(db: Database): CursorRow[] {
  return sql(db, "SELECT * FROM trail_cursors").all() as CursorRow[];
}

/** Writes the whole cursor row. */
export function saveCursor(db: Database, c: CursorRow): void {
  sql(db, 
    `INSERT INTO trail_cursors (target_id, swept_until, backlog_from, backlog_until, recheck_from, recheck_until, last_sweep_at, last_ok_at,
       consecutive_failures, first_failure_at, blind_since, last_error)
     VALUES (@target_id, @swept_until, @backlog_from, @backlog_until, @recheck_from, @recheck_until, @last_sweep_at, @last_ok_at,
       @consecutive_failures, @first_failure_at, @blind_since, @last_error)
     ON CONFLICT (target_id) DO UPDATE SET swept_until = excluded.swept_until, backlog_from = excluded.backlog_from,
       backlog_until = excluded.backlog_until, recheck_from = excluded.recheck_from, recheck_until = excluded.recheck_until, last_sweep_at = excluded.last_sweep_at, last_ok_at = excluded.last_ok_at,
       consecutive_failures = excluded.consecutive_failures, first_failure_at = excluded.first_failure_at,
       blind_since = excluded.blind_since, last_error = excluded.last_error`,
  ).run(c);
}

/** Inserts the rows not stored yet; returns those that were new. */
export function storeEvents(db: Database, targetId: number, rows: readonly TrailEventRow[], storedAt: string): TrailEventRow[] {
  // A quiet sweep stores nothing: no statement to run.
  if (rows.length === 0) return [];
  const insert = sql(db, 
    `INSERT INTO trail_events (event_id, target_id, event_time, account, region, event_name, group_id, group_ids, rules, rules_text,
       error_code, error_message, identity_type, identity_arn, access_key_id, source_ip, user_agent, vpc_endpoint_id, record, stored_at)
     VALUES (@event_id, @target_id, @event_time, @account, @region, @event_name, @group_id, @group_ids, @rules, @rules_text,
       @error_code, @error_message, @identity_type, @identity_arn, @access_key_id, @source_ip, @user_agent, @vpc_endpoint_id, @record, @stored_at)
     ON CONFLICT (event_id) DO NOTHING`,
  );
  const added: TrailEventRow[] = [];
  for (const r of rows) if (insert.run({ ...r, target_id: targetId, stored_at: storedAt }).changes > 0) added.push(r);
  return added;
}

/** Targets currently trail-blind, for health and status. */
export function trailBlindTargets(db: Database): Array<{ target_id: number; account: string; region: string; blind_since: string; last_error: string | null }> {
  return db
    .prepare(
      `SELECT c.target_id, t.account, t.region, c.blind_since, c.last_error
         FROM trail_cursors c JOIN targets t ON t.id = c.target_id
        WHERE c.blind_since IS NOT NULL ORDER BY t.account, t.region`,
    )
    .all() as Array<{ target_id: number; account: string; region: string; blind_since: string; last_error: string | null }>;
}
