// Mail threads: the subject each channel gave a drift alert, remembered when
// it is queued, so a follow-up queued later (a reminder a day after, the
// "closed" reply) can reply as "Re: <subject>" in the same conversation.
// Routes with a batch window collect drift alerts into one open digest row
// (due when the window ends); the polls it holds remember the digest's
// Message-ID key, so their follow-ups reply in the digest's thread.
import type { Database } from "better-sqlite3";
import type { AlertPayload, AlertThread, DigestAlert, DriftAlert } from "../model/alert-payload.js";
import type { RoutedAlert } from "./record-poll.js";
import { enqueueAlert } from "./outbox-repo.js";
import { sql } from "./statements.js";
import { severityRank, type Severity } from "../model/types.js";

/** The subject and Message-ID key a channel gave the drift alert of a poll, if it sent one. */
export function threadOf(db: Database, pollId: number, channel: string): { subject: string; messageKey: string | null } | null {
  const row = sql(db, "SELECT subject, message_key FROM alert_threads WHERE poll_id = ? AND channel = ?").get(pollId, channel) as
    | { subject: string; message_key: string | null }
    | undefined;
  return row ? { subject: row.subject, messageKey: row.message_key } : null;
}

/** The subject a channel gave the drift alert of a poll, if it sent one. */
export function threadSubject(db: Database, pollId: number, channel: string): string | null {
  return threadOf(db, pollId, channel)?.subject ?? null;
}

/** The Message-ID key of a digest: its outbox row and creation time, as the email channel derives it. */
export function digestMessageKey(outboxId: number, createdAt: string): string {
  return `digest.${outboxId}.${createdAt.replace(/[^0-9]/g, "")}`;
}

/** A digest's subject: fixed when it opens, so follow-ups can reply to it whatever joins later. */
export function digestSubject(route: string, openedAt: string): string {
  return `[sgwatch] unapproved security-group changes batched for route ${route} from ${openedAt.replace("T", " ").replace(/\.\d+Z$|Z$/, "")} UTC`;
}

/** Add a drift alert to the channel's open digest, or open one due at the window's end. */
function enqueueBatched(db: Database, routed: RoutedAlert & { payload: DriftAlert }, batch: { ms: number; route: string }, now: string): number {
  const open = sql(
    db,
    `SELECT id, created_at, payload, severity FROM outbox
     WHERE channel = ? AND kind = 'digest' AND status = 'pending' AND attempts = 0 AND next_attempt_at > ?
     ORDER BY id DESC LIMIT 1`,
  ).get(routed.channel, now) as { id: number; created_at: string; payload: string; severity: Severity } | undefined;
  let id: number;
  let createdAt: string;
  let subject: string;
  if (open) {
    const digest = JSON.parse(open.payload) as DigestAlert;
    digest.alerts.push(routed.payload);
    const severity = severityRank(routed.severity) > severityRank(open.severity) ? routed.severity : open.severity;
    sql(db, "UPDATE outbox SET payload = ?, severity = ? WHERE id = ?").run(JSON.stringify(digest), severity, open.id);
    ({ id, created_at: createdAt } = open);
    subject = digestSubject(digest.route, digest.openedAt);
  } else {
    const digest: DigestAlert = { type: "digest", route: batch.route, openedAt: now, alerts: [routed.payload] };
    id = enqueueAlert(db, routed.channel, routed.severity, digest, now, new Date(Date.parse(now) + batch.ms).toISOString());
    createdAt = now;
    subject = digestSubject(batch.route, now);
  }
  sql(db, "INSERT OR IGNORE INTO alert_threads (poll_id, channel, subject, message_key) VALUES (?, ?, ?, ?)").run(
    routed.payload.pollId,
    routed.channel,
    subject,
    digestMessageKey(id, createdAt),
  );
  return id;
}

/**
 * The Message-ID key of an alert whose Message-ID comes from its outbox row
 * (the email channel's `<sgwatch.alert.ID.TIME@…>`, alerts/channels/email.ts).
 */
export function outboxMessageKey(outboxId: number, createdAt: string): string {
  return `alert.${outboxId}.${createdAt.replace(/[^0-9]/g, "")}`;
}

/** The thread a channel gave the first of these changes that was reported by an alert of its own (change_threads). */
function changeThreadOf(db: Database, changeIds: readonly number[], channel: string): { subject: string; messageKey: string } | null {
  const get = sql(db, "SELECT subject, message_key FROM change_threads WHERE change_id = ? AND channel = ?");
  for (const id of changeIds) {
    const row = get.get(id, channel) as { subject: string; message_key: string } | undefined;
    if (row) return { subject: row.subject, messageKey: row.message_key };
  }
  return null;
}

/** Queue a routed alert: a drift alert starts a thread (or joins its route's digest), a follow-up joins its thread. */
export function enqueueRouted(db: Database, routed: RoutedAlert, now: string): number {
  let payload: AlertPayload = routed.payload;
  if (payload.type === "drift" && routed.batch) return enqueueBatched(db, { ...routed, payload }, routed.batch, now);
  if (payload.type === "drift" && routed.threadSubject) {
    sql(db, "INSERT OR IGNORE INTO alert_threads (poll_id, channel, subject) VALUES (?, ?, ?)").run(payload.pollId, routed.channel, routed.threadSubject);
  }
  if ((payload.type === "reminder" || payload.type === "attributed" || payload.type === "unexpected-actor" || payload.type === "closed" || payload.type === "acknowledged") && payload.thread) {
    let joined: AlertThread;
    if (payload.thread.byChange) {
      // Reported by their own alert (a transient opening's): reply to what this channel got, or to nothing.
      const thread = changeThreadOf(db, payload.items.map((i) => i.change.changeId), routed.channel);
      joined = { ...payload.thread, subject: thread?.subject ?? null, messageKey: thread?.messageKey ?? null };
    } else {
      const thread = threadOf(db, payload.thread.pollId, routed.channel);
      joined = { ...payload.thread, subject: thread?.subject ?? null, messageKey: thread?.messageKey ?? null };
    }
    payload = { ...payload, thread: joined };
  }
  const id = enqueueAlert(db, routed.channel, routed.severity, payload, now);
  if (payload.type === "transient" && routed.threadSubject) {
    // Its changes' follow-ups reply to this alert: remember its subject and Message-ID key per change.
    const remember = sql(db, "INSERT OR IGNORE INTO change_threads (change_id, channel, subject, message_key) VALUES (?, ?, ?, ?)");
    for (const i of payload.items) remember.run(i.change.changeId, routed.channel, routed.threadSubject, outboxMessageKey(id, now));
  }
  return id;
}
