// Failed attempts into alerts: the sweep's newly stored calls that failed for
// authorisation, grouped per target, identity and window (one alert per
// group, not one per call). A group is alerted when first seen. Later calls
// of the same group (a burst spread over sweeps, or a late event) are told
// once, in the sweep that stores them: one reply per group per sweep in the
// first alert's thread ("3 more attempts, 5 in all"), never a second alert.
// Runs inside the sweep's transaction and judges only the events that
// transaction stores for the first time (trail_events is written once by
// eventId), so each call is counted in exactly one alert or reply, across
// re-reads and restarts, with nothing else to remember.
import type { Database } from "better-sqlite3";
import type { AlertPayload, AlertTarget, FailedAttempt, FailedAttemptsAlert, FailedAttemptsMoreAlert } from "../model/alert-payload.js";
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
  window_start: string;
  first_at: string;
  last_at: string;
  attempts: number;
  severity: Severity;
  alerted_at: string;
}

function worst(a: Severity, b: Severity): Severity {
  return severityRank(a) >= severityRank(b) ? a : b;
}

function wouldBe(deps: AttemptJudgeDeps, r: Pick<TrailEventRow, "event_name" | "rules" | "group_id">): Severity {
  return wouldBeSeverity(r.event_name, JSON.parse(r.rules) as AttemptedRules, r.group_id, deps.severity);
}

/** What the alerts say of each call, oldest first, and of the callers. */
function told(deps: AttemptJudgeDeps, rows: readonly TrailEventRow[]): { attempts: FailedAttempt[]; sources: FailedAttemptsAlert["sources"]; keys: string[] } {
  const attempts = rows.map((r) => ({ time: r.event_time, eventName: r.event_name, errorCode: r.error_code ?? "", groupId: r.group_id, rules: r.rules_text, severity: wouldBe(deps, r) }));
  const sources = new Map<string, FailedAttemptsAlert["sources"][number]>();
  for (const r of rows) sources.set(JSON.stringify([r.source_ip, r.user_agent, r.vpc_endpoint_id]), { sourceIp: r.source_ip, userAgent: r.user_agent, vpcEndpointId: r.vpc_endpoint_id });
  return { attempts, sources: [...sources.values()], keys: [...new Set(rows.map((r) => r.access_key_id).filter((k): k is string => k !== null))] };
}

/**
 * Groups the new authorisation failures; queues an alert per new group and a
 * reply per older group that got new calls. Returns how many alerts (replies not counted).
 */
export function judgeAttempts(deps: AttemptJudgeDeps, target: AlertTarget, targetId: number, fresh: readonly TrailEventRow[], nowIso: string): number {
  const { db } = deps;
  const failures = fresh.filter((r) => isAuthorizationFailure(r.error_code)).sort((a, b) => a.event_time.localeCompare(b.event_time));
  if (failures.length === 0) return 0;
  // The group whose first call is within the window of this call, either
  // side: a call CloudTrail delivered late may be older than the first one
  // seen. Of two, the one started before the call (its window holds it).
  const find = db.prepare(
    `SELECT id, window_start, first_at, last_at, attempts, severity, alerted_at FROM trail_attempt_groups
      WHERE target_id = @target AND identity = @identity AND window_start > @earliest AND window_start < @latest
      ORDER BY window_start <= @time DESC, CASE WHEN window_start <= @time THEN window_start END DESC, window_start ASC LIMIT 1`,
  );
  const create = db.prepare(
    `INSERT INTO trail_attempt_groups (target_id, identity, window_start, first_at, last_at, attempts, severity, alerted_at)
     VALUES (?, ?, ?, ?, ?, 1, ?, ?)`,
  );
  const join = db.prepare("UPDATE trail_attempt_groups SET first_at = ?, last_at = ?, attempts = attempts + 1, severity = ? WHERE id = ?");
  const link = db.prepare("UPDATE trail_events SET attempt_group_id = ? WHERE event_id = ?");
  const newGroups = new Map<number, TrailEventRow[]>();
  const grown = new Map<number, TrailEventRow[]>();
  for (const r of failures) {
    const identity = r.identity_arn ?? r.access_key_id ?? "unknown caller";
    const severity = wouldBe(deps, r);
    const t = Date.parse(r.event_time);
    const group = find.get({
      target: targetId,
      identity,
      time: r.event_time,
      earliest: new Date(t - deps.windowMs).toISOString(),
      latest: new Date(t + deps.windowMs).toISOString(),
    }) as GroupRow | undefined;
    let groupId: number;
    if (group !== undefined) {
      groupId = group.id;
      join.run(r.event_time < group.first_at ? r.event_time : group.first_at, r.event_time > group.last_at ? r.event_time : group.last_at, worst(group.severity, severity), group.id);
      if (!newGroups.has(groupId)) grown.set(groupId, [...(grown.get(groupId) ?? []), r]);
    } else {
      groupId = Number(create.run(targetId, identity, r.event_time, r.event_time, r.event_time, severity, nowIso).lastInsertRowid);
      newGroups.set(groupId, []);
    }
    link.run(groupId, r.event_id);
    newGroups.get(groupId)?.push(r);
  }
  const queue = (payload: AlertPayload): void => {
    for (const routed of deps.route(payload)) enqueueAlert(db, routed.channel, routed.severity, routed.payload, nowIso);
  };
  for (const [groupId, rows] of newGroups) {
    const first = rows[0] as TrailEventRow;
    const last = rows[rows.length - 1] as TrailEventRow;
    const { attempts, sources, keys } = told(deps, rows);
    const payload: FailedAttemptsAlert = {
      type: "failed-attempts",
      target,
      severity: attempts.map((a) => a.severity).reduce(worst, "low"),
      identity: { arn: first.identity_arn, type: first.identity_type, accessKeyIds: keys },
      count: rows.length,
      firstAt: first.event_time,
      lastAt: last.event_time,
      sources,
      attempts: attempts.slice(0, MAX_LISTED),
      attemptGroupId: groupId,
      windowStart: first.event_time,
    };
    queue(payload);
  }
  const groupRow = db.prepare("SELECT id, window_start, first_at, last_at, attempts, severity, alerted_at FROM trail_attempt_groups WHERE id = ?");
  // What the first alert said: the calls stored by the sweep that created the group (stored_at is that sweep's time).
  const firstTold = db.prepare("SELECT event_name, rules, group_id FROM trail_events WHERE attempt_group_id = ? AND stored_at = ?");
  for (const [groupId, rows] of grown) {
    const g = groupRow.get(groupId) as GroupRow;
    const first = (firstTold.all(groupId, g.alerted_at) as Array<Pick<TrailEventRow, "event_name" | "rules" | "group_id">>).map((r) => wouldBe(deps, r));
    const { attempts, sources, keys } = told(deps, rows);
    const one = rows[0] as TrailEventRow;
    const payload: FailedAttemptsMoreAlert = {
      type: "failed-attempts-more",
      target,
      severity: g.severity,
      identity: { arn: one.identity_arn, type: one.identity_type, accessKeyIds: keys },
      newCount: rows.length,
      count: g.attempts,
      firstAt: g.first_at,
      lastAt: g.last_at,
      sources,
      attempts: attempts.slice(0, MAX_LISTED),
      // Retention may have dropped the first calls' rows (history.keep): then the count before these stands in.
      thread:
        first.length > 0
          ? { attemptGroupId: groupId, windowStart: g.window_start, firstCount: first.length, firstSeverity: first.reduce(worst, "low") }
          : { attemptGroupId: groupId, windowStart: g.window_start, firstCount: g.attempts - rows.length, firstSeverity: g.severity },
    };
    queue(payload);
  }
  return newGroups.size;
}
