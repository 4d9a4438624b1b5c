// Is the daemon doing its job? Healthy while the scheduler runs and no target
// is blind (too many failed polls in a row: changes there go unseen). Read
// from the targets table, which the poll recorder keeps current, and from the
// daemon's memory of polls it could not record (cycle-health.ts): a locked or
// full database cannot update the table, and must not read as healthy.
import type { Database } from "better-sqlite3";
import type { CycleHealthSnapshot } from "./cycle-health.js";
import { trailHealth, type TrailBlindTarget } from "../trail/health.js";

/** A target sgwatch cannot see. */
export interface BlindTarget {
  /** AWS account id. */
  account: string;
  /** AWS region. */
  region: string;
  /** The label from the config, if any. */
  label: string | null;
  /** The first failed poll of this run of failures (ISO-8601 UTC). */
  blindSince: string;
  /** Failed polls in a row so far. */
  consecutiveFailures: number;
  /** The last poll's error, in words. */
  lastError: string | null;
  /** The last successful poll, if ever. */
  lastSuccessAt: string | null;
}

/** The verdict /healthz serves. */
export interface HealthReport {
  /** True when the scheduler runs and no target is blind. */
  healthy: boolean;
  /** Whether the scheduler is started and not stopped. */
  schedulerRunning: boolean;
  /** Why not healthy, one sentence each; empty when healthy. */
  reasons: string[];
  /** Targets in the database (limited to the configured ones when given). */
  targets: number;
  /** The blind targets, oldest blindness first. */
  blind: BlindTarget[];
  /** Cycles that could not record everything, and polls not yet written down (absent outside the daemon). */
  cycles?: CycleHealthSnapshot;
  /** Targets whose CloudTrail sweep is trail-blind (src/trail/health.ts). */
  trailBlind: TrailBlindTarget[];
}

/** account × region, to limit the report to the configured targets. */
export interface TargetKey {
  account: string;
  region: string;
}

interface BlindRow {
  account: string;
  region: string;
  label: string | null;
  blind_since: string;
  consecutive_failures: number;
  last_error: string | null;
  last_success_at: string | null;
}

/**
 * Compute the report. `configured`, when given, limits it to those targets: a
 * target removed from the config keeps its row (history), and a blind one
 * would otherwise keep the daemon unhealthy forever.
 */
export function healthReport(db: Database, schedulerActive: boolean, configured?: readonly TargetKey[], cycles?: CycleHealthSnapshot): HealthReport {
  const wanted = configured ? new Set(configured.map((t) => `${t.account}/${t.region}`)) : null;
  const keep = (t: TargetKey): boolean => wanted === null || wanted.has(`${t.account}/${t.region}`);
  const all = db.prepare("SELECT account, region FROM targets").all() as TargetKey[];
  // blind_since is set on few rows; the per-row subquery uses polls_by_target.
  const rows = db
    .prepare(
      `SELECT t.account, t.region, t.label, t.blind_since, t.consecutive_failures, t.last_error,
              (SELECT p.finished_at FROM polls p WHERE p.target_id = t.id AND p.status = 'ok' ORDER BY p.id DESC LIMIT 1) AS last_success_at
       FROM targets t WHERE t.blind_since IS NOT NULL ORDER BY t.blind_since, t.account, t.region`,
    )
    .all() as BlindRow[];
  const blind: BlindTarget[] = rows.filter(keep).map((r) => ({
    account: r.account,
    region: r.region,
    label: r.label,
    blindSince: r.blind_since,
    consecutiveFailures: r.consecutive_failures,
    lastError: r.last_error,
    lastSuccessAt: r.last_success_at,
  }));
  const reasons: string[] = [];
  if (!schedulerActive) reasons.push("scheduler not running");
  for (const b of blind) {
    reasons.push(`${b.account}/${b.region} is blind since ${b.blindSince} (${b.consecutiveFailures} failed polls in a row; last error: ${b.lastError ?? "unknown"})`);
  }
  // Blind by polls the database would not take: not in the table yet.
  const stored = new Map(db.prepare("SELECT account, region, consecutive_failures FROM targets").all().map((r) => {
    const t = r as TargetKey & { consecutive_failures: number };
    return [`${t.account}/${t.region}`, t.consecutive_failures] as const;
  }));
  for (const u of cycles?.unrecorded ?? []) {
    if (!u.blind || !keep(u) || blind.some((b) => b.account === u.account && b.region === u.region)) continue;
    const failures = (stored.get(`${u.account}/${u.region}`) ?? 0) + u.failures;
    reasons.push(`${u.account}/${u.region} is blind since ${u.since} (${failures} failed polls in a row, ${u.failures} of them not recorded: ${u.reason}: ${u.message})`);
    blind.push({ account: u.account, region: u.region, label: null, blindSince: u.since, consecutiveFailures: failures, lastError: `${u.reason}: ${u.message}`, lastSuccessAt: null });
  }
  const trail = trailHealth(db, keep);
  reasons.push(...trail.reasons);
  return { healthy: reasons.length === 0, schedulerRunning: schedulerActive, reasons, targets: all.filter(keep).length, blind, trailBlind: trail.trailBlind, ...(cycles ? { cycles } : {}) };
}
