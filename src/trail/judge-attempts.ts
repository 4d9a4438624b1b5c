// Failed attempts into alerts: the sweep's newly stored calls that failed for
// authorisation, grouped per target, identity and window (one alert per
// group, not one per call), each group alerted once, when first seen. Runs
// inside the sweep's transaction, so the alert is in the outbox exactly when
// its events are stored. Later attempts in a group's window (a burst spread
// over sweeps, or a late event) join the group and its count, silently.
import type { Database } from "better-sqlite3";
import type { AlertPayload, AlertTarget, FailedAttemptsAlert } from "../model/alert-payload.js";
import type { SeveritySettings } from "../model/severity.js";
import { severityRank, type Severity } from "../model/types.js";
import type { RoutedAlert } from "../store/record-poll.js";
import { enqueueAlert } from "../store/outbox-repo.js";
import { isAuthorizationFailure, wouldBeSeverity, type AttemptedRules } from "./failed-attempts.js";
import type { TrailEventRow } from "./event-row.js";

/** What judging attempts needs. */
export interface AttemptJudgeDeps {
  /** The sgwatch database, inside the sweep's transaction. */
  db: Database;
  /** Where failed-attempts alerts go. */
  route: (payload: AlertPayload) => RoutedAlert[];
  /** How changes are judged (config severity:), for "what it would have been". */
  severity: SeveritySettings;
  /** Attempts by one identity on one target this close to the group's first are one alert (ms). */
  windowMs: number;
}

/** Attempts listed in one alert at most (the count says how many there were). */
const MAX_LISTED = 20;

interface GroupRow {
  id: number;
  first_at: string;
  last_at: string;
  attempts: number;
  severity: Severity;
}

function worst(a: Severity, b: Severity): Severity {
  return severityRank(a) >= severityRank(b) ? a : b;
}

/** Groups the new authorisation failures and queues an alert per new group; returns how many alerts. */
export function judgeAttempts(deps: AttemptJudgeDeps, target: AlertTarget, targetId: number, fresh: readonly TrailEventRow[], nowIso: string): number {
  const { db } = deps;
  const failures = fresh.filter((r) => isAuthorizationFailure(r.error_code)).sort((a, b) => a.event_time.localeCompare(b.event_time));
  if (failures.length === 0) return 0;
  const find = db.prepare(
    `SELECT id, first_at, last_at, attempts, severity FROM trail_attempt_groups
      WHERE target_id = ? AND identity = ? AND window_start <= ? AND window_start > ? ORDER BY window_start DESC LIMIT 1`,
  );
  const create = db.prepare(
    `INSERT INTO trail_attempt_groups (target_id, identity, window_start, first_at, last_at, attempts, severity, alerted_at)
     VALUES (?, ?, ?, ?, ?, 1, ?, ?)`,
  );
  const join = db.prepare("UPDATE trail_attempt_groups SET first_at = ?, last_at = ?, attempts = attempts + 1, severity = ? WHERE id = ?");
  const link = db.prepare("UPDATE trail_events SET attempt_group_id = ? WHERE event_id = ?");
  const fresh_groups = new Map<number, TrailEventRow[]>();
  for (const r of failures) {
    const identity = r.identity_arn ?? r.access_key_id ?? "unknown caller";
    const severity = wouldBeSeverity(r.event_name, JSON.parse(r.rules) as AttemptedRules, r.group_id, deps.severity);
    const earliestStart = new Date(Date.parse(r.event_time) - deps.windowMs).toISOString();
    const group = find.get(targetId, identity, r.event_time, earliestStart) as GroupRow | undefined;
    let groupId: number;
    if (group !== undefined) {
      groupId = group.id;
      join.run(r.event_time < group.first_at ? r.event_time : group.first_at, r.event_time > group.last_at ? r.event_time : group.last_at, worst(group.severity, severity), group.id);
    } else {
      groupId = Number(create.run(targetId, identity, r.event_time, r.event_time, r.event_time, severity, nowIso).lastInsertRowid);
      fresh_groups.set(groupId, []);
    }
    link.run(groupId, r.event_id);
    fresh_groups.get(groupId)?.push(r);
  }
  for (const rows of fresh_groups.values()) {
    const first = rows[0] as TrailEventRow;
    const last = rows[rows.length - 1] as TrailEventRow;
    const attempts = rows.map((r) => ({
      time: r.event_time,
      eventName: r.event_name,
      errorCode: r.error_code ?? "",
      groupId: r.group_id,
      rules: r.rules_text,
      severity: wouldBeSeverity(r.event_name, JSON.parse(r.rules) as AttemptedRules, r.group_id, deps.severity),
    }));
    const sources = new Map<string, FailedAttemptsAlert["sources"][number]>();
    for (const r of rows) sources.set(JSON.stringify([r.source_ip, r.user_agent, r.vpc_endpoint_id]), { sourceIp: r.source_ip, userAgent: r.user_agent, vpcEndpointId: r.vpc_endpoint_id });
    const payload: FailedAttemptsAlert = {
      type: "failed-attempts",
      target,
      severity: attempts.map((a) => a.severity).reduce(worst, "low"),
      identity: { arn: first.identity_arn, type: first.identity_type, accessKeyIds: [...new Set(rows.map((r) => r.access_key_id).filter((k): k is string => k !== null))] },
      count: rows.length,
      firstAt: first.event_time,
      lastAt: last.event_time,
      sources: [...sources.values()],
      attempts: attempts.slice(0, MAX_LISTED),
    };
    for (const routed of deps.route(payload)) enqueueAlert(db, routed.channel, routed.severity, routed.payload, nowIso);
  }
  return fresh_groups.size;
}
