// The posture report's data, gathered from the database and the config:
// guardrail violations and world/broad-open rules of the current state (judged
// as the baseline posture alert judges them, with the config's guardrails and
// severity settings), unapproved changes nobody acknowledged or reverted,
// approvals ending soon or never used, blind targets, and the ignore list.
// Reads only. `sgwatch report` prints it; the daemon mails it on
// report.schedule (report-schedule.ts).
import type { Database } from "better-sqlite3";
import type { PostureReport, ReportApproval, ReportOpenChange, ReportTarget } from "../model/posture-report.js";
import { listTargets } from "../store/targets-repo.js";
import { loadCurrentState } from "../store/state-repo.js";
import { lastInterfacesRead, loadCurrentAttachments } from "../store/attachments-repo.js";
import { lastSuccessfulPoll } from "../store/polls-repo.js";
import { exposureByGroup, unattached } from "../model/attachment.js";
import { postureItems } from "./judge.js";
import { ignoreList, ignoreRules, ignoredReason } from "../config/ignore-list.js";
import type { Config } from "../config/schema.js";
import type { Severity } from "../model/types.js";
import type { ChangeViewRow } from "../store/view-rows.js";

/** Approvals whose window ends within this long are "expiring". */
const EXPIRING_MS = 7 * 24 * 3600_000;

function hasTable(db: Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE name = ?").get(name) !== undefined;
}

function targetReport(db: Database, config: Config, t: ReturnType<typeof listTargets>[number], now: Date): ReportTarget {
  const last = lastSuccessfulPoll(db, t.id);
  const trail = hasTable(db, "trail_cursors") ? (db.prepare("SELECT blind_since FROM trail_cursors WHERE target_id = ?").get(t.id) as { blind_since: string | null } | undefined) : undefined;
  const base = { account: t.account, region: t.region, label: t.label, blindSince: t.blind_since, trailBlindSince: trail?.blind_since ?? null, lastPollAt: last?.finished_at ?? null };
  if (!last) return { ...base, findings: [] };
  const read = lastInterfacesRead(db, t.id);
  const byGroup = read ? exposureByGroup(loadCurrentAttachments(db, t.id), read.at) : null;
  const ignore = ignoreRules(config);
  // Groups on the ignore list are owned by other systems: listed below, not judged here.
  const groups = [...loadCurrentState(db, t.id).values()].filter(
    (g) => ignoredReason(ignore, { account: t.account, region: t.region, groupId: g.groupId, groupName: g.name, groupTags: g.tags }, now.toISOString()) === null,
  );
  const exposure = byGroup && read ? (id: string) => byGroup.get(id) ?? unattached(read.at) : undefined;
  return { ...base, findings: postureItems(groups, exposure, t, config.severity, config.guardrails) };
}

/** The columns of the changes view the report selects (its severity typed). */
type OpenRow = Pick<ChangeViewRow, "id" | "time" | "account" | "region" | "group_id" | "group_name" | "kind" | "direction" | "protocol" | "ports" | "source" | "guardrail"> & { severity: Severity };

function openChanges(db: Database): ReportOpenChange[] {
  const rows = db
    .prepare(
      `SELECT v.id, v.time, v.account, v.region, v.group_id, v.group_name, v.severity, v.kind, v.direction, v.protocol, v.ports, v.source, v.guardrail
       FROM changes v JOIN change_events c ON c.id = v.id
       WHERE v.status = 'unapproved' AND c.ignored_reason IS NULL
       ORDER BY CASE v.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END, v.id`,
    )
    .all() as OpenRow[];
  return rows.map((r) => ({
    id: r.id,
    time: r.time,
    account: r.account,
    region: r.region,
    groupId: r.group_id,
    groupName: r.group_name,
    severity: r.severity,
    what: [r.kind, r.direction, r.protocol, r.ports, r.source === null ? null : `${r.direction === "egress" ? "to" : "from"} ${r.source}`].filter((x) => x !== null).join(" "),
    guardrail: r.guardrail,
  }));
}

interface ApprovalRow {
  id: string;
  state: string;
  window_until: string;
  selector: string;
  allows: string;
  approved_by: string;
  changes_covered: number;
}

function approvals(db: Database, now: Date): { expiring: ReportApproval[]; unused: ReportApproval[] } {
  const rows = db.prepare("SELECT id, state, window_until, selector, allows, approved_by, changes_covered FROM approvals ORDER BY window_until, id").all() as ApprovalRow[];
  const toReport = (r: ApprovalRow): ReportApproval => ({ id: r.id, state: r.state, until: r.window_until, selector: r.selector, allows: r.allows, approvedBy: r.approved_by, changesCovered: r.changes_covered });
  const soon = now.getTime() + EXPIRING_MS;
  return {
    expiring: rows.filter((r) => r.state === "active" && Date.parse(r.window_until) <= soon).map(toReport),
    // Revoked and withdrawn records were taken back on purpose; an unused one that ran its course is worth a look.
    unused: rows.filter((r) => (r.state === "active" || r.state === "expired") && r.changes_covered === 0).map(toReport),
  };
}

/** Gather the report (reads only). */
export function gatherReport(db: Database, config: Config, now: Date): PostureReport {
  const a = approvals(db, now);
  return {
    generatedAt: now.toISOString(),
    targets: listTargets(db).map((t) => targetReport(db, config, t, now)),
    openChanges: openChanges(db),
    approvalsExpiring: a.expiring,
    approvalsUnused: a.unused,
    ignore: ignoreList(config, now),
  };
}
