// Follow-through after each cycle, in one transaction: reminders for
// unapproved critical/high changes nobody acted on, and the one-time report of
// approvals that were never used. Follow-ups about changes are one alert per
// drift alert they follow (its thread), so each is a reply in its conversation.
import type { Database } from "better-sqlite3";
import type { AlertPayload } from "../model/alert-payload.js";
import { CHANGE_ROW_COLUMNS, rowToAlertChange, type OpenChangeRow } from "./change-rows.js";
import { enqueueRouted } from "./threads-repo.js";
import { takeUnfulfilled } from "./approvals-repo.js";
import type { RoutedAlert } from "./record-poll.js";
import { attributionsFor } from "../attribution/read.js";
import { severityRank } from "../model/types.js";
import { worstSeverity } from "../model/severity.js";

/** Rows grouped by the poll that found them (its drift alert is their thread), in first-seen order. */
function byPoll<R extends OpenChangeRow>(rows: readonly R[]): R[][] {
  const groups = new Map<number, R[]>();
  for (const r of rows) groups.set(r.poll_id, [...(groups.get(r.poll_id) ?? []), r]);
  return [...groups.values()];
}

/**
 * Rows grouped by the alert that reported them: a polled change by its poll's
 * drift alert; transient openings by the join that decided them (one
 * transient alert per target and join, all its changes stamped with the
 * join's time), whatever poll they were filed under.
 */
function byThread<R extends OpenChangeRow>(rows: readonly R[]): R[][] {
  const groups = new Map<string, R[]>();
  for (const r of rows) {
    const key = r.transient === 1 ? `transient ${r.target_id} ${r.detected_at}` : `poll ${r.poll_id}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()];
}

interface AckRow extends OpenChangeRow {
  acked_at: string;
  acked_by: string;
  reason: string;
  ticket: string | null;
}

/**
 * Say each new acknowledgement once, as a reply in the thread of the alert
 * that reported the change (`sgwatch ack` writes the database; the daemon
 * announces it at its next cycle). Changes that never alerted (ignored) are
 * marked announced without a word.
 */
function announceAcknowledgements(db: Database, nowIso: string, enqueue: (p: AlertPayload) => void): void {
  const rows = db
    .prepare(
      `SELECT ${CHANGE_ROW_COLUMNS}, a.acked_at, a.acked_by, a.reason, a.ticket FROM acknowledgements a
       JOIN change_events c ON c.id = a.change_id
       JOIN targets t ON t.id = c.target_id
       WHERE a.announced_at IS NULL
       ORDER BY c.id`,
    )
    .all() as AckRow[];
  if (rows.length === 0) return;
  for (const list of byThread(rows.filter((r) => r.ignored_reason === null))) {
    const first = list[0] as AckRow;
    enqueue({
      type: "acknowledged",
      target: { account: first.account, region: first.region, label: first.label },
      thread: { pollId: first.poll_id, detectedAt: first.detected_at, ...(first.transient === 1 ? { byChange: true } : {}) },
      items: list.map((r) => ({ change: rowToAlertChange(r), detectedAt: r.detected_at, ackedAt: r.acked_at, ackedBy: r.acked_by, reason: r.reason, ticket: r.ticket })),
    });
  }
  const mark = db.prepare("UPDATE acknowledgements SET announced_at = ? WHERE change_id = ?");
  for (const r of rows) mark.run(nowIso, r.id);
}

/**
 * A delivered reminder's receipt is dropped once a later reminder in the same
 * thread reached the same channel: it said the same again, about the changes
 * still open (each change keeps when it was last reminded, last_reminded_at).
 * Without this, a change left open for months holds one receipt per
 * remindEvery for all of alerts.keepSent: the bench's year of one
 * 10,000-group account, in which nobody acknowledges anything, ended with
 * 1,301 critical changes open and about 38,000 reminder receipts (32 MB of
 * payload) where one per thread says as much (docs/performance.md).
 * A reminder digest is superseded the same way by the channel's next
 * delivered digest (it lists every incident still open and due). Reminders
 * from before alerts had threads stay until keepSent. Only delivered
 * reminders supersede: a later one still pending or dead leaves the last
 * delivered receipt in place.
 */
function pruneSupersededReminders(db: Database): void {
  db.prepare(
    `DELETE FROM outbox WHERE id IN (
       SELECT id FROM (
         SELECT id, coalesce(json_extract(payload, '$.thread.pollId'), json_type(payload, '$.digest')) AS thread,
                row_number() OVER (
                  PARTITION BY channel, json_extract(payload, '$.thread.pollId'), json_extract(payload, '$.thread.detectedAt'), json_type(payload, '$.digest')
                  ORDER BY id DESC) AS newer
         FROM outbox WHERE kind = 'reminder' AND status = 'sent'
       ) WHERE thread IS NOT NULL AND newer > 1
     )`,
  ).run();
}

/** What follow-up queued. */
export interface FollowUpResult {
  reminded: number;
  unusedApprovals: number;
  /** Channels that got one reminder digest instead of a reply per incident. */
  reminderDigests: number;
}

/** How follow-up reminds and keeps receipts (config alerts:). */
export interface FollowUpSettings {
  /** alerts.remindEvery (ms). */
  remindEveryMs: number;
  /** alerts.keepSent (ms). */
  keepSentMs: number;
  /** alerts.reminderDigestAbove: more incidents due on one channel than this go in one digest. */
  reminderDigestAbove: number;
  /** Where each alert goes (routes). */
  route: (p: AlertPayload) => RoutedAlert[];
}

/**
 * The reminders of one follow-up, as each channel gets them: a reply in each
 * incident's thread (issue 12), unless more incidents are due on the channel
 * than `above`; then one digest of them all (issue 3's "one reminder
 * digest"), so a team that let a hundred incidents sit gets one mail a day,
 * not a hundred. The log keeps a line per incident: machines read it, and no
 * inbox fills.
 */
function remindersByChannel(perIncident: readonly RoutedAlert[], above: number): { alerts: RoutedAlert[]; digests: number } {
  const count = new Map<string, number>();
  for (const r of perIncident) count.set(r.channel, (count.get(r.channel) ?? 0) + 1);
  const digested = (channel: string): boolean => channel !== "log" && (count.get(channel) ?? 0) > above;
  const alerts = perIncident.filter((r) => !digested(r.channel));
  let digests = 0;
  for (const [channel, incidents] of count) {
    if (!digested(channel)) continue;
    const items = perIncident
      .filter((r) => r.channel === channel)
      .flatMap((r) => (r.payload.type === "reminder" ? r.payload.items : []))
      .sort((a, b) => severityRank(b.change.severity) - severityRank(a.change.severity) || a.change.changeId - b.change.changeId);
    const severity = worstSeverity(items.map((i) => i.change.severity)) ?? "high";
    alerts.push({ channel, severity, payload: { type: "reminder", digest: { incidents, above }, items } });
    digests++;
  }
  return { alerts, digests };
}

export function followUp(db: Database, now: Date, settings: FollowUpSettings): FollowUpResult {
  const { remindEveryMs, keepSentMs, route } = settings;
  return db.transaction((): FollowUpResult => {
    const nowIso = now.toISOString();
    const cutoff = new Date(now.getTime() - remindEveryMs).toISOString();
    const open = db
      .prepare(
        `SELECT ${CHANGE_ROW_COLUMNS} FROM change_events c
         JOIN targets t ON t.id = c.target_id
         LEFT JOIN acknowledgements a ON a.change_id = c.id
         WHERE c.status = 'unapproved' AND c.severity IN ('critical', 'high')
           AND a.change_id IS NULL AND c.reverted_at IS NULL AND c.ignored_reason IS NULL
           -- A change that undid an unapproved one closed that incident; it is not open itself.
           AND NOT EXISTS (SELECT 1 FROM change_events u WHERE u.reverted_by_change_id = c.id)
           AND coalesce(c.last_reminded_at, c.detected_at) <= ?
         ORDER BY CASE c.severity WHEN 'critical' THEN 0 ELSE 1 END, c.id`,
      )
      .all(cutoff) as OpenChangeRow[];
    const enqueue = (p: AlertPayload): void => {
      for (const r of route(p)) enqueueRouted(db, r, nowIso);
    };
    let reminderDigests = 0;
    if (open.length > 0) {
      const who = attributionsFor(db, open.map((r) => r.id));
      const perIncident = byPoll(open).flatMap((list) => {
        const first = list[0] as OpenChangeRow;
        return route({
          type: "reminder",
          thread: { pollId: first.poll_id, detectedAt: first.detected_at },
          items: list.map((r) => ({
            target: { account: r.account, region: r.region, label: r.label },
            detectedAt: r.detected_at,
            change: { ...rowToAlertChange(r), attribution: who.get(r.id) ?? null },
          })),
        });
      });
      const reminders = remindersByChannel(perIncident, settings.reminderDigestAbove);
      for (const r of reminders.alerts) enqueueRouted(db, r, nowIso);
      reminderDigests = reminders.digests;
      const mark = db.prepare("UPDATE change_events SET last_reminded_at = ? WHERE id = ?");
      for (const r of open) mark.run(nowIso, r.id);
    }
    announceAcknowledgements(db, nowIso, enqueue);
    // Sent alerts are delivery receipts; the changes they reported stay in change_events.
    db.prepare("DELETE FROM outbox WHERE status = 'sent' AND sent_at < ?").run(new Date(now.getTime() - keepSentMs).toISOString());
    pruneSupersededReminders(db);
    const unused = takeUnfulfilled(db, nowIso);
    if (unused.length > 0) {
      enqueue({
        type: "approval-unused",
        records: unused.map((r) => ({ id: r.id, selector: r.selector, allows: r.changes_text, from: r.window_from, until: r.window_until, approvedBy: r.approved_by })),
      });
    }
    return { reminded: open.length, unusedApprovals: unused.length, reminderDigests };
  })();
}

/**
 * Tell people who made unapproved changes they were already alerted about:
 * the drift alert goes out when the change is seen, CloudTrail answers minutes
 * later. Acknowledged changes are left out. One alert per drift alert (thread).
 */
export function enqueueAttributed(db: Database, now: Date, changeIds: readonly number[], route: (p: AlertPayload) => RoutedAlert[]): number {
  if (changeIds.length === 0) return 0;
  return db.transaction((): number => {
    const rows = db
      .prepare(
        `SELECT ${CHANGE_ROW_COLUMNS} FROM change_events c
         JOIN targets t ON t.id = c.target_id
         LEFT JOIN acknowledgements a ON a.change_id = c.id
         WHERE c.id IN (SELECT value FROM json_each(?)) AND c.status = 'unapproved' AND a.change_id IS NULL
           AND c.ignored_reason IS NULL AND NOT EXISTS (SELECT 1 FROM change_events u WHERE u.reverted_by_change_id = c.id)
         ORDER BY c.target_id, CASE c.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END, c.id`,
      )
      .all(JSON.stringify(changeIds)) as OpenChangeRow[];
    const who = attributionsFor(db, rows.map((r) => r.id));
    for (const list of byPoll(rows)) {
      const first = list[0] as OpenChangeRow;
      const payload: AlertPayload = {
        type: "attributed",
        thread: { pollId: first.poll_id, detectedAt: first.detected_at },
        items: list.map((r) => ({
          target: { account: r.account, region: r.region, label: r.label },
          detectedAt: r.detected_at,
          change: { ...rowToAlertChange(r), attribution: who.get(r.id) ?? null },
        })),
      };
      for (const routed of route(payload)) enqueueRouted(db, routed, now.toISOString());
    }
    return rows.length;
  })();
}
