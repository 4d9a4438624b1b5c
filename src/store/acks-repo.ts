// Acknowledgements: after-the-fact acceptance of an unapproved change. The
// change keeps its detection-time status; the acknowledgement sits beside it.
import type { Database } from "better-sqlite3";
import { sql } from "./statements.js";

/** An acknowledgement to record. */
export interface Ack {
  changeId: number;
  by: string;
  reason: string;
  ticket: string | null;
  at: string;
}

/** Why a change could not be acknowledged. */
export type AckRefusal = "not-found" | "approved" | "already-acknowledged";

/** Acknowledge; returns null on success or why not. */
export function acknowledge(db: Database, a: Ack): AckRefusal | null {
  const change = sql(db, "SELECT status FROM change_events WHERE id = ?").get(a.changeId) as { status: string } | undefined;
  if (!change) return "not-found";
  if (change.status === "approved") return "approved";
  const info = sql(db, "INSERT INTO acknowledgements (change_id, acked_at, acked_by, reason, ticket) VALUES (?, ?, ?, ?, ?) ON CONFLICT (change_id) DO NOTHING")
    .run(a.changeId, a.at, a.by, a.reason, a.ticket);
  return info.changes === 0 ? "already-acknowledged" : null;
}
