// Mail threads: the subject each channel gave a drift alert, remembered when
// it is queued, so a follow-up queued later (a reminder a day after, the
// "closed" reply) can reply as "Re: <subject>" in the same conversation.
import type { Database } from "better-sqlite3";
import type { AlertPayload } from "../alerts/payload.js";
import type { RoutedAlert } from "./record-poll.js";
import { enqueueAlert } from "./outbox-repo.js";
import { sql } from "./statements.js";

/** The subject a channel gave the drift alert of a poll, if it sent one. */
export function threadSubject(db: Database, pollId: number, channel: string): string | null {
  const row = sql(db, "SELECT subject FROM alert_threads WHERE poll_id = ? AND channel = ?").get(pollId, channel) as { subject: string } | undefined;
  return row?.subject ?? null;
}

/** Queue a routed alert: a drift alert starts a thread, a follow-up joins its thread. */
export function enqueueRouted(db: Database, routed: RoutedAlert, now: string): number {
  let payload: AlertPayload = routed.payload;
  if (payload.type === "drift" && routed.threadSubject) {
    sql(db, "INSERT OR IGNORE INTO alert_threads (poll_id, channel, subject) VALUES (?, ?, ?)").run(payload.pollId, routed.channel, routed.threadSubject);
  }
  if ((payload.type === "reminder" || payload.type === "attributed" || payload.type === "closed" || payload.type === "acknowledged") && payload.thread) {
    payload = { ...payload, thread: { ...payload.thread, subject: threadSubject(db, payload.thread.pollId, routed.channel) } };
  }
  return enqueueAlert(db, routed.channel, routed.severity, payload, now);
}
