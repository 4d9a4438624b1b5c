// The CloudTrail sweep: for every target with the sensor on, read the
// security-group events since the last sweep and store each once. Shaped like
// polling: collect (collect.ts) → store (store.ts) → judge (blind.ts; the
// findings join trail_events with poll history later).
//
// The cursor: swept_until is where the last good sweep ended; the next one
// reads from swept_until less the overlap window (CloudTrail delivers late;
// events read twice are stored once, by eventId) up to now. A burst larger
// than one cycle's page bound leaves a backlog range (never read), read
// newest first over later cycles, with a log line saying how far behind the
// sweep is. While behind, the overlap is not re-read with each head (a burst
// inside it would be read again every cycle); it gathers in one recheck range,
// read once after the backlog. A recheck longer than a cycle's bound goes on
// from where it stopped, apart from the head's overlap once it lies before it.
// Every range is read after the events in it could have arrived late, so none
// is missed. Events
// and the cursor are written in one transaction, so a crash (kill -9) or
// restart resumes from the last stored cursor: nothing missed, nothing
// doubled. A failed sweep keeps the events of every page read before the
// failure and writes its failure; its cursor stays, so the range is read
// again (stored once); it never touches poll history.
import type { Database } from "better-sqlite3";
import type { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import type { Logger } from "pino";
import type { ResolvedTarget } from "../config/targets.js";
import type { AlertPayload, AlertTarget } from "../model/alert-payload.js";
import type { RoutedAlert } from "../store/record-poll.js";
import { enqueueAlert } from "../store/outbox-repo.js";
import { ensureTarget, listTargets, type TargetRow } from "../store/targets-repo.js";
import { errorMessage } from "../util/errors.js";
import { humanDuration, type Clock } from "../util/time.js";
import { mapPool } from "../util/pool.js";
import { afterFailure, afterSuccess, type BlindThresholds } from "./blind.js";
import { readRange, type LookupStrategy, type RangeRead } from "./collect.js";
import { toTrailEventRow, type TrailEventRow } from "./event-row.js";
import { getCursor, listCursors, saveCursor, storeEvents, type CursorRow } from "./store.js";
import { judgeAttempts } from "./judge-attempts.js";
import type { SeveritySettings } from "../model/severity.js";

/** The sweep's settings (config cloudtrail:). */
export interface SweepSettings {
  /** Re-read this much before swept_until (ms). */
  overlapMs: number;
  /** A first sweep reads this far back (ms). */
  firstLookbackMs: number;
  /** Pages per target per sweep. */
  maxPagesPerCycle: number;
  /** Default "writes". */
  strategy?: LookupStrategy;
}

/** Everything the sweep needs, passed in. */
export interface SweepDeps {
  /** The sgwatch database (migrated to 0007). */
  db: Database;
  /** Time source for the cursor and stored_at. */
  clock: Clock;
  /** Narrowed to module "trail" here. */
  logger: Logger;
  /** The CloudTrail client of a target (kept across sweeps by the caller). */
  clientFor: (t: ResolvedTarget) => Promise<CloudTrailClient>;
  /** Waits for a turn in the account-region's LookupEvents budget (src/trail/budget.ts). */
  pace: (t: ResolvedTarget, signal?: AbortSignal) => Promise<void>;
  /** Where trail-blind / trail-restored alerts go. */
  route: (payload: AlertPayload) => RoutedAlert[];
  /** See SweepSettings. */
  settings: SweepSettings;
  /** The same thresholds as polls. */
  blind: BlindThresholds;
  /** Failed-attempt alerts: how changes are judged, and the grouping window (ms); absent: none. */
  attempts?: { severity: SeveritySettings; windowMs: number };
  /** Stops between calls (shutdown); a stopped sweep stores what it read and does not move the cursor. */
  signal?: AbortSignal;
}

/** What one target's sweep did. */
export interface TargetSweep {
  /** AWS account. */
  account: string;
  /** AWS region. */
  region: string;
  /** The sweep read everything it set out to read this cycle. */
  ok: boolean;
  /** Security-group events read (new or not). */
  read: number;
  /** Of those, stored now (the rest were stored before). */
  stored: number;
  /** Failed-attempts alerts queued now. */
  attemptAlerts: number;
  /** LookupEvents calls made. */
  calls: number;
  /** Unread range left for later cycles, if any. */
  backlog: { from: string; until: string } | null;
  /** The error, when the sweep failed. */
  error: string | null;
  /** This failure made the target trail-blind. */
  becameBlind: boolean;
  /** This sweep ended trail-blindness. */
  restored: boolean;
}

function alertTarget(t: ResolvedTarget): AlertTarget {
  return { account: t.account, region: t.region, label: t.label };
}

function enqueue(deps: SweepDeps, payload: AlertPayload, now: string): void {
  for (const r of deps.route(payload)) enqueueAlert(deps.db, r.channel, r.severity, r.payload, now);
}

function minOf(a: string | null, b: string): string {
  return a !== null && Date.parse(a) <= Date.parse(b) ? a : b;
}
function maxOf(a: string | null, b: string): string {
  return a !== null && Date.parse(a) >= Date.parse(b) ? a : b;
}

// Stores what was read and judges what is new in it: every path that stores
// judges, or an event stored once would never be judged (re-reads skip it).
function storeAndJudge(deps: SweepDeps, t: ResolvedTarget, targetId: number, rows: readonly TrailEventRow[], nowIso: string, result: TargetSweep): void {
  const fresh = storeEvents(deps.db, targetId, rows, nowIso);
  result.stored += fresh.length;
  if (deps.attempts) {
    result.attemptAlerts += judgeAttempts({ db: deps.db, route: deps.route, severity: deps.attempts.severity, windowMs: deps.attempts.windowMs }, alertTarget(t), targetId, fresh, nowIso);
  }
}

/**
 * What sweepTargets shares with each target's sweep, so a quiet fleet costs
 * three statements a cycle rather than three a target: the target rows and
 * cursors read at once before, and the quiet sweeps' cursors, written at once
 * after.
 */
export interface SweepBatch {
  /** targets rows by "account/region". */
  targets: ReadonlyMap<string, TargetRow>;
  /** trail_cursors rows by target id. */
  cursors: ReadonlyMap<number, CursorRow>;
  /** Cursors of sweeps that read no event and changed nothing but their times: the caller writes them. */
  quiet: CursorRow[];
}

/** Sweeps one target; never throws for CloudTrail's failures. Without `batch` it reads and writes its own rows. */
export async function sweepTarget(deps: SweepDeps, t: ResolvedTarget, batch?: SweepBatch): Promise<TargetSweep> {
  // Made only when there is something to say: a child logger per target and
  // cycle costs more than a quiet sweep's own bookkeeping.
  const log = (): Logger => deps.logger.child({ module: "trail", account: t.account, region: t.region });
  const now = deps.clock();
  const nowIso = now.toISOString();
  const known = batch?.targets.get(`${t.account}/${t.region}`);
  const row = known !== undefined && known.label === t.label ? known : ensureTarget(deps.db, t.account, t.region, t.label, nowIso);
  const cursor = batch?.cursors.get(row.id) ?? getCursor(deps.db, row.id);
  const rows: TrailEventRow[] = [];
  const result: TargetSweep = { account: t.account, region: t.region, ok: false, read: 0, stored: 0, attemptAlerts: 0, calls: 0, backlog: null, error: null, becameBlind: false, restored: false };
  const next: CursorRow = { ...cursor };
  const collect = (events: readonly Parameters<typeof toTrailEventRow>[0][]): void => {
    for (const e of events) {
      const r = toTrailEventRow(e, t);
      if (r !== null) rows.push(r);
    }
  };
  try {
    const client = await deps.clientFor(t);
    const pace = (signal?: AbortSignal): Promise<void> => deps.pace(t, signal);
    // Each page's events are kept as they arrive: a failure part-way through a range stores what was read before it.
    const common = { pace, onPage: collect, ...(deps.settings.strategy ? { strategy: deps.settings.strategy } : {}), ...(deps.signal ? { signal: deps.signal } : {}) };
    let pagesLeft = deps.settings.maxPagesPerCycle;
    const read = async (from: Date, to: Date): Promise<RangeRead> => {
      const r = await readRange(client, from, to, { ...common, maxPages: pagesLeft });
      pagesLeft -= r.pages;
      result.calls += r.pages;
      return r;
    };
    const overlap = deps.settings.overlapMs;
    // A recheck left unfinished by the page bound, with no backlog, whose
    // unread part ends before this head's overlap window: the two are kept
    // apart. The head takes its overlap as when quiet, and the recheck goes
    // on shrinking from where it stopped. Merged into one range (from the
    // recheck's start to swept_until), the recheck would be re-read from its
    // top every cycle, and one more pages than a cycle's bound would never
    // reach its bottom (the benchmark's 10,000-event backlog did that).
    const recheckApart =
      next.backlog_from === null &&
      next.recheck_until !== null &&
      cursor.swept_until !== null &&
      Date.parse(next.recheck_until) < Date.parse(cursor.swept_until) - overlap;
    const behind = next.backlog_from !== null || (next.recheck_from !== null && !recheckApart);

    // 1. The head. Quiet (nothing left over): one range, from swept_until less
    // the overlap (late events) to now. Behind: only what is new; the overlap
    // joins the recheck range, read after the backlog, so a burst is not
    // re-read every cycle while it lies inside the overlap window.
    const from = cursor.swept_until === null ? new Date(now.getTime() - deps.settings.firstLookbackMs) : new Date(Date.parse(cursor.swept_until) - (behind ? 0 : overlap));
    if (behind && cursor.swept_until !== null) {
      next.recheck_from = minOf(next.recheck_from, new Date(Date.parse(cursor.swept_until) - overlap).toISOString());
      next.recheck_until = maxOf(next.recheck_until, cursor.swept_until);
    }
    const head = await read(from, now);
    if (head.truncated) {
      // Newest first: what is older than the oldest event read is not read yet (that second included).
      next.backlog_from = minOf(next.backlog_from, from.toISOString());
      next.backlog_until = maxOf(next.backlog_until, (head.oldestSeen ?? now).toISOString());
    }
    next.swept_until = nowIso;

    // 2. The backlog, then 3. the recheck, with what the bound leaves.
    for (const which of ["backlog", "recheck"] as const) {
      const fromKey = which === "backlog" ? "backlog_from" : "recheck_from";
      const untilKey = which === "backlog" ? "backlog_until" : "recheck_until";
      const rangeFrom = next[fromKey];
      const rangeUntil = next[untilKey];
      if (rangeFrom === null || rangeUntil === null || pagesLeft <= 0) continue;
      const r = await read(new Date(rangeFrom), new Date(rangeUntil));
      if (!r.truncated) {
        next[fromKey] = null;
        next[untilKey] = null;
        continue;
      }
      // The range's newest second was read whole (collect.ts), so the oldest
      // event read is older: the range shrinks. Pages without events (AWS
      // sends some, with a NextToken) teach nothing: the range stays.
      if (r.oldestSeen !== null) next[untilKey] = r.oldestSeen.toISOString();
    }
  } catch (err) {
    if (deps.signal?.aborted) {
      // Shutdown, not CloudTrail failing: keep what was read, leave the cursor and the failure count.
      deps.db.transaction(() => storeAndJudge(deps, t, row.id, rows, nowIso, result))();
      result.read = rows.length;
      result.error = "stopped";
      return result;
    }
    const code = err instanceof Error && err.name !== "Error" ? err.name : undefined;
    const message = `${code !== undefined ? `${code}: ` : ""}${errorMessage(err)}`;
    result.error = message;
    const failed = afterFailure(cursor, nowIso, message, deps.blind);
    deps.db.transaction(() => {
      // What was read before the failure is kept (stored once, like any event); the cursor stays.
      storeAndJudge(deps, t, row.id, rows, nowIso, result);
      saveCursor(deps.db, failed.cursor);
      if (failed.becameBlind) {
        enqueue(
          deps,
          { type: "trail-blind", target: alertTarget(t), failures: failed.cursor.consecutive_failures, since: failed.cursor.first_failure_at ?? nowIso, lastSuccessAt: cursor.last_ok_at, lastError: message },
          nowIso,
        );
      }
    })();
    result.read = rows.length;
    result.becameBlind = failed.becameBlind;
    log().warn(
      { event: "trail-sweep-failed", code, failures: failed.cursor.consecutive_failures, blind: failed.cursor.blind_since !== null, read: rows.length, stored: result.stored },
      `CloudTrail sweep failed: ${message}`,
    );
    return result;
  }

  const ok = afterSuccess(next, nowIso);
  if (batch !== undefined && rows.length === 0 && ok.restoredFrom === null) {
    // Nothing read, nothing to alert: only the cursor's times move. Written
    // later with the others; lost in a crash, it only makes the next sweep
    // read a longer range, whose events are stored once (nothing missed).
    batch.quiet.push(ok.cursor);
  } else {
    deps.db.transaction(() => {
      storeAndJudge(deps, t, row.id, rows, nowIso, result);
      saveCursor(deps.db, ok.cursor);
      if (ok.restoredFrom !== null) enqueue(deps, { type: "trail-restored", target: alertTarget(t), blindSince: ok.restoredFrom, restoredAt: nowIso }, nowIso);
    })();
  }
  result.ok = true;
  result.read = rows.length;
  result.restored = ok.restoredFrom !== null;
  if (ok.cursor.backlog_from !== null && ok.cursor.backlog_until !== null) {
    result.backlog = { from: ok.cursor.backlog_from, until: ok.cursor.backlog_until };
    const span = Date.parse(ok.cursor.backlog_until) - Date.parse(ok.cursor.backlog_from);
    log().warn(
      { event: "trail-behind", backlogFrom: ok.cursor.backlog_from, backlogUntil: ok.cursor.backlog_until, recheckFrom: ok.cursor.recheck_from, recheckUntil: ok.cursor.recheck_until, calls: result.calls, stored: result.stored },
      `CloudTrail sweep is behind: events from ${ok.cursor.backlog_from} to ${ok.cursor.backlog_until} (${humanDuration(span)} of events) not read yet; ${result.calls} calls this cycle, caught up over the next cycles`,
    );
  } else if (ok.cursor.recheck_from !== null) {
    log().info(
      { event: "trail-recheck-pending", recheckFrom: ok.cursor.recheck_from, recheckUntil: ok.cursor.recheck_until, calls: result.calls },
      `CloudTrail sweep caught up; re-reading ${ok.cursor.recheck_from} to ${ok.cursor.recheck_until} for late events next cycle`,
    );
  }
  if (deps.logger.isLevelEnabled("debug")) log().debug({ event: "trail-sweep-ok", calls: result.calls, read: result.read, stored: result.stored }, "CloudTrail sweep done");
  return result;
}

/** Sweeps every target with the sensor on; account-regions in parallel (each has its own budget). */
export async function sweepTargets(deps: SweepDeps, targets: readonly ResolvedTarget[], concurrency: number): Promise<TargetSweep[]> {
  const on = targets.filter((t) => t.cloudtrail);
  // Quiet sweeps' cursors, written in one transaction when all are done (a
  // fleet's quiet cycle is a thousand of them), also after a shutdown.
  const batch: SweepBatch = {
    targets: new Map(listTargets(deps.db).map((r) => [`${r.account}/${r.region}`, r])),
    cursors: new Map(listCursors(deps.db).map((c) => [c.target_id, c])),
    quiet: [],
  };
  const quiet = batch.quiet;
  try {
    return await mapPool(on, concurrency, async (t) => {
      if (deps.signal?.aborted) {
        return { account: t.account, region: t.region, ok: false, read: 0, stored: 0, attemptAlerts: 0, calls: 0, backlog: null, error: "stopped", becameBlind: false, restored: false };
      }
      return sweepTarget(deps, t, batch);
    });
  } finally {
    if (quiet.length > 0) {
      deps.db.transaction(() => {
        for (const c of quiet) saveCursor(deps.db, c);
      })();
    }
  }
}
