// Polls that could not be recorded, and the writes that wait for them: a
// cycle's writes wait out another writer's lock (with backoff, bounded) when
// the deps say how; a poll whose write still fails (locked, full, read-only,
// a crash) is counted in memory against health exactly like a failed poll,
// and written down as lost polls once the database takes writes again. Kept
// apart from cycle.ts, which polls and records; this is what happens when
// recording cannot.
import type { ResolvedTarget } from "../config/targets.js";
import { recordLostPolls } from "../store/record-poll.js";
import { listTargets, type TargetRow } from "../store/targets-repo.js";
import { lastSuccessfulPoll } from "../store/polls-repo.js";
import { withLockWait } from "../store/lock-wait.js";
import { cycleFailure } from "../store/db-failure.js";
import type { UnrecordedRun } from "./cycle-health.js";
import type { CycleDeps, CycleResult } from "./cycle.js";

/** A poll that could not be recorded. */
export interface LostPoll extends UnrecordedRun {
  /** True when this poll made the target blind: the caller sends monitoring-blind directly. */
  becameBlind: boolean;
  /** The target's label, for the alert. */
  label: string | null;
  /** The last successful poll, if known. */
  lastSuccessAt: string | null;
}

/** Run a write transaction, waiting for another writer's lock when deps say how. */
export function writeWaiting<T>(deps: Pick<CycleDeps, "lockWait">, fn: () => T): Promise<T> {
  return deps.lockWait ? withLockWait(fn, deps.lockWait) : Promise.resolve().then(fn);
}

/**
 * Count a poll that could not be recorded: in memory (deps.health), against
 * the stored failure count, exactly like a failed poll for blindness. One log
 * line with the reason code; no stack, it is not a bug.
 */
export function losePoll(deps: Pick<CycleDeps, "db" | "config" | "logger" | "clock" | "health">, t: ResolvedTarget, row: TargetRow | null, err: unknown, startedAt: string): LostPoll {
  const { reason, message } = cycleFailure(err);
  const run = deps.health?.noteUnrecorded(t, reason, message, startedAt) ?? { failures: 1, since: startedAt, reason, message, blind: false };
  let lastSuccessAt: string | null = null;
  try {
    lastSuccessAt = row ? (lastSuccessfulPoll(deps.db, row.id)?.finished_at ?? null) : null;
  } catch {
    // A database that cannot be read leaves this unknown; the count still stands.
  }
  let becameBlind = false;
  if (row?.blind_since) {
    run.blind = true;
  } else if (!run.blind) {
    const failures = (row?.consecutive_failures ?? 0) + run.failures;
    const quietSince = Date.parse(lastSuccessAt ?? row?.created_at ?? run.since);
    const blindAfterMs = deps.config.monitoring.blindAfter;
    if (failures >= deps.config.monitoring.blindAfterFailures || deps.clock().getTime() - quietSince >= blindAfterMs) {
      run.blind = true;
      becameBlind = true;
    }
  }
  deps.logger.error(
    { event: "poll-unrecorded", account: t.account, region: t.region, reason, error: message, failures: run.failures, blind: run.blind },
    `poll of ${t.account}/${t.region} could not be recorded (${reason}): ${message}`,
  );
  return { ...run, becameBlind, label: t.label, lastSuccessAt };
}

/**
 * Polls lost while the database took no writes, written down before this
 * poll is judged, so the target's failure count and blind_since are right.
 * Returns the target row as it now stands (unchanged when nothing was lost).
 */
export async function recordUnrecorded(deps: Pick<CycleDeps, "db" | "clock" | "health" | "lockWait">, t: ResolvedTarget, target: TargetRow): Promise<TargetRow> {
  const run = deps.health?.unrecorded(t);
  if (!run) return target;
  await writeWaiting(deps, () => recordLostPolls(deps.db, target.id, { ...run, finishedAt: deps.clock().toISOString() }));
  deps.health?.noteRecorded(t);
  return { ...target, consecutive_failures: target.consecutive_failures + run.failures, blind_since: target.blind_since ?? (run.blind ? run.since : null) };
}

/** A cycle that threw before its targets were polled: each of `targets` lost a poll. */
export function failedCycle(deps: Pick<CycleDeps, "db" | "config" | "logger" | "clock" | "health">, targets: readonly ResolvedTarget[], startedAt: string, err: unknown): CycleResult {
  const failure = cycleFailure(err);
  let rows: ReturnType<typeof listTargets> = [];
  try {
    rows = listTargets(deps.db);
  } catch {
    // Unreadable as well: every target counts from zero stored failures.
  }
  const lost = targets.map((t) => {
    const row = rows.find((r) => r.account === t.account && r.region === t.region) ?? null;
    const l = losePoll(deps, t, row, err, startedAt);
    return { account: t.account, region: t.region, label: t.label, ok: false, baseline: false, pages: 0, groups: 0, rules: 0, judged: [], changeIds: [], error: { code: l.reason, message: l.message }, durationMs: 0, lost: l };
  });
  return { startedAt, finishedAt: deps.clock().toISOString(), targets: lost, approvalProblems: [], approvalRecords: 0, failure };
}
