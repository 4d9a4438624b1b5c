// The outbox: alerts waiting for delivery, one row per alert and channel.
import type { Database } from "better-sqlite3";
import type { AlertPayload, OutboxAlert } from "../model/alert-payload.js";
import type { Severity } from "../model/types.js";
import { sql } from "./statements.js";

/** An outbox row. */
export interface OutboxRow {
  id: number;
  created_at: string;
  queued_at: string;
  channel: string;
  kind: string;
  severity: Severity;
  payload: string;
  status: "pending" | "sent" | "dead";
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  sent_at: string | null;
}

/** Queue an alert, due now (or at dueAt: a batch window's end). */
export function enqueueAlert(db: Database, channel: string, severity: Severity, payload: AlertPayload, now: string, dueAt: string = now): number {
  const info = sql(db, 
      `INSERT INTO outbox (created_at, queued_at, channel, kind, severity, payload, next_attempt_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(now, now, channel, payload.type, severity, JSON.stringify(payload), dueAt);
  return Number(info.lastInsertRowid);
}

/** Pending alerts whose next attempt is due, oldest first. */
export function dueAlerts(db: Database, now: string, limit = 100): OutboxRow[] {
  return sql(db, "SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?")
    .all(now, limit) as OutboxRow[];
}

export function markSent(db: Database, id: number, now: string): void {
  sql(db, "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?").run(now, id);
}

export function markRetry(db: Database, id: number, error: string, nextAttemptAt: string): void {
  sql(db, "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?").run(error, nextAttemptAt, id);
}

export function markDead(db: Database, id: number, error: string): void {
  sql(db, "UPDATE outbox SET status = 'dead', attempts = attempts + 1, last_error = ? WHERE id = ?").run(error, id);
}

/** Put a dead or pending alert back in the queue, due now. */
export function requeue(db: Database, id: number, now: string): boolean {
  return sql(db, "UPDATE outbox SET status = 'pending', next_attempt_at = ?, queued_at = ? WHERE id = ? AND status != 'sent'").run(now, now, id).changes > 0;
}

export function listOutbox(db: Database, status: OutboxRow["status"] | null, limit = 200): OutboxRow[] {
  return (
    status
      ? sql(db, "SELECT * FROM outbox WHERE status = ? ORDER BY id DESC LIMIT ?").all(status, limit)
      : sql(db, "SELECT * FROM outbox ORDER BY id DESC LIMIT ?").all(limit)
  ) as OutboxRow[];
}

export function countOutbox(db: Database): Record<OutboxRow["status"], number> {
  const rows = sql(db, "SELECT status, count(*) AS n FROM outbox GROUP BY status").all() as Array<{ status: OutboxRow["status"]; n: number }>;
  const out = { pending: 0, sent: 0, dead: 0 };
  for (const r of rows) out[r.status] = r.n;
  return out;
}

export function rowToAlert(row: OutboxRow): OutboxAlert {
  return { id: row.id, createdAt: row.created_at, severity: row.severity, attempts: row.attempts, payload: JSON.parse(row.payload) as AlertPayload };
}
