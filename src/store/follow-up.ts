// Follow-through after each cycle, in one transaction: reminders for
// unapproved critical/high changes nobody acted on, and the one-time report of
// approvals that were never used.
import type { Database } from "better-sqlite3";
import type { AlertChange, AlertPayload } from "../alerts/payload.js";
import type { GroupAttributes, Severity, ChangeKind } from "../model/types.js";
import { columnsToRule, type RuleColumns } from "./rule-columns.js";
import { enqueueAlert } from "./outbox-repo.js";
import { takeUnfulfilled } from "./approvals-repo.js";
import type { RoutedAlert } from "./record-poll.js";
import { attributionsFor } from "../attribution/read.js";

interface OpenChangeRow extends RuleColumns {
  id: number;
  detected_at: string;
  kind: ChangeKind;
  group_id: string;
  group_name: string;
  vpc_id: string | null;
  severity: Severity;
  old_description: string | null;
  before: string | null;
  after: string | null;
  approval_note: string | null;
  /** For exposure-added (migration 0010): the public interface. */
  interface_id: string | null;
  instance_id: string | null;
  public_ip: string | null;
  interface_kind: string | null;
  account: string;
  region: string;
  label: string | null;
}

function rowToAlertChange(r: OpenChangeRow): AlertChange {
  return {
    changeId: r.id,
    kind: r.kind,
    severity: r.severity,
    groupId: r.group_id,
    groupName: r.group_name,
    vpcId: r.vpc_id,
    rule: r.direction ? columnsToRule(r) : null,
    oldDescription: r.old_description,
    before: r.before ? (JSON.parse(r.before) as Partial<GroupAttributes>) : null,
    after: r.after ? (JSON.parse(r.after) as Partial<GroupAttributes>) : null,
    approvalNote: r.approval_note,
    // A reminder of an exposure-added change still names the interface it went public through.
    ...(r.kind === "exposure-added" && r.interface_id && r.public_ip
      ? { exposedVia: { interfaceId: r.interface_id, instanceId: r.instance_id, publicIp: r.public_ip, kind: r.interface_kind ?? "other" } }
      : {}),
  };
}

/** What follow-up queued. */
export interface FollowUpResult {
  reminded: number;
  unusedApprovals: number;
}

export function followUp(
  db: Database,
  now: Date,
  remindEveryMs: number,
  route: (p: AlertPayload) => RoutedAlert[],
  keepSentMs: number = 30 * 86_400_000,
): FollowUpResult {
  return db.transaction((): FollowUpResult => {
    const nowIso = now.toISOString();
    const cutoff = new Date(now.getTime() - remindEveryMs).toISOString();
    const open = db
      .prepare(
        `SELECT c.*, t.account, t.region, t.label FROM change_events c
         JOIN targets t ON t.id = c.target_id
         LEFT JOIN acknowledgements a ON a.change_id = c.id
         WHERE c.status = 'unapproved' AND c.severity IN ('critical', 'high')
           AND a.change_id IS NULL AND c.reverted_at IS NULL
           AND coalesce(c.last_reminded_at, c.detected_at) <= ?
         ORDER BY CASE c.severity WHEN 'critical' THEN 0 ELSE 1 END, c.id`,
      )
      .all(cutoff) as OpenChangeRow[];
    const enqueue = (p: AlertPayload): void => {
      for (const r of route(p)) enqueueAlert(db, r.channel, r.severity, r.payload, nowIso);
    };
    if (open.length > 0) {
      const who = attributionsFor(db, open.map((r) => r.id));
      enqueue({
        type: "reminder",
        items: open.map((r) => ({
          target: { account: r.account, region: r.region, label: r.label },
          detectedAt: r.detected_at,
          change: { ...rowToAlertChange(r), attribution: who.get(r.id) ?? null },
        })),
      });
      const mark = db.prepare("UPDATE change_events SET last_reminded_at = ? WHERE id = ?");
      for (const r of open) mark.run(nowIso, r.id);
    }
    // Sent alerts are delivery receipts; the changes they reported stay in change_events.
    db.prepare("DELETE FROM outbox WHERE status = 'sent' AND sent_at < ?").run(new Date(now.getTime() - keepSentMs).toISOString());
    const unused = takeUnfulfilled(db, nowIso);
    if (unused.length > 0) {
      enqueue({
        type: "approval-unused",
        records: unused.map((r) => ({ id: r.id, selector: r.selector, allows: r.changes_text, from: r.window_from, until: r.window_until, approvedBy: r.approved_by })),
      });
    }
    return { reminded: open.length, unusedApprovals: unused.length };
  })();
}

/**
 * Tell people who made unapproved changes they were already alerted about:
 * the drift alert goes out when the change is seen, CloudTrail answers minutes
 * later. Acknowledged changes are left out. One alert per target.
 */
export function enqueueAttributed(db: Database, now: Date, changeIds: readonly number[], route: (p: AlertPayload) => RoutedAlert[]): number {
  if (changeIds.length === 0) return 0;
  return db.transaction((): number => {
    const rows = db
      .prepare(
        `SELECT c.*, t.account, t.region, t.label FROM change_events c
         JOIN targets t ON t.id = c.target_id
         LEFT JOIN acknowledgements a ON a.change_id = c.id
         WHERE c.id IN (SELECT value FROM json_each(?)) AND c.status = 'unapproved' AND a.change_id IS NULL
         ORDER BY c.target_id, CASE c.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END, c.id`,
      )
      .all(JSON.stringify(changeIds)) as OpenChangeRow[];
    const who = attributionsFor(db, rows.map((r) => r.id));
    const byTarget = new Map<string, OpenChangeRow[]>();
    for (const r of rows) byTarget.set(`${r.account}/${r.region}`, [...(byTarget.get(`${r.account}/${r.region}`) ?? []), r]);
    for (const list of byTarget.values()) {
      const payload: AlertPayload = {
        type: "attributed",
        items: list.map((r) => ({
          target: { account: r.account, region: r.region, label: r.label },
          detectedAt: r.detected_at,
          change: { ...rowToAlertChange(r), attribution: who.get(r.id) ?? null },
        })),
      };
      for (const routed of route(payload)) enqueueAlert(db, routed.channel, routed.severity, routed.payload, now.toISOString());
    }
    return rows.length;
  })();
}
