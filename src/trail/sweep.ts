// The CloudTrail sweep: for every target with the sensor on, read the
// security-group events since the last sweep and store each once. Shaped like
// polling: collect (collect.ts) → store (store.ts) → judge (blind.ts; the
// findings join trail_events with poll history later).
//
// The cursor: swept_until is where the last good sweep ended; the next one
// reads from swept_until less the overlap window (CloudTrail delivers late;
// events read twice are stored once, by eventId) up to now. A burst larger
// than one cycle's page bound leaves a backlog range, read newest first over
// later cycles, with a log line saying how far behind the sweep is. Events
// and the cursor are written in one transaction, so a crash (kill -9) or
// restart resumes from the last stored cursor: nothing missed, nothing
// doubled. A failed sweep writes its failure and nothing else; it never
// touches poll history.
import type { Database } from "better-sqlite3";
import type { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import type { Logger } from "pino";
import type { ResolvedTarget } from "../config/targets.js";
import type { AlertPayload, AlertTarget } from "../alerts/payload.js";
import type { RoutedAlert } from "../store/record-poll.js";
import { enqueueAlert } from "../store/outbox-repo.js";
import { ensureTarget } from "../store/targets-repo.js";
import { errorMessage } from "../util/errors.js";
import { humanDuration, type Clock } from "../util/time.js";
import { mapPool } from "../util/pool.js";
import { afterFailure, afterSuccess, type BlindThresholds } from "./blind.js";
import { readRange, type LookupStrategy } from "./collect.js";
import { toTrailEventRow, type TrailEventRow } from "./event-row.js";
import { getCursor, saveCursor, storeEvents, type CursorRow } from "./store.js";

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
  /** The sgwatch database (migrated to 0008). */
  db: Database;
  /** Time source for the cursor and stored_at. */
  clock: Clock;
  /** Narrowed to module "trail" here. */
  logger: Logger;
  /** The CloudTrail client of a target (kept across sweeps by the caller). */
  clientFor: (t: ResolvedTarget) => Promise<CloudTrailClient>;
  /** Waits for a turn in the account-region's LookupEvents budget (shared with attribution). */
  pace: (t: ResolvedTarget, signal?: AbortSignal) => Promise<void>;
  /** Where trail-blind / trail-restored alerts go. */
  route: (payload: AlertPayload) => RoutedAlert[];
  /** See SweepSettings. */
  settings: SweepSettings;
  /** The same thresholds as polls. */
  blind: BlindThresholds;
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

function minIso(a: string, b: string): string {
  return Date.parse(a) <= Date.parse(b) ? a : b;
}
function maxIso(a: string, b: string): string {
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

/** Sweeps one target; never throws for CloudTrail's failures. */
export async function sweepTarget(deps: SweepDeps, t: ResolvedTarget): Promise<TargetSweep> {
  const log = deps.logger.child({ module: "trail", account: t.account, region: t.region });
  const now = deps.clock();
  const nowIso = now.toISOString();
  const row = ensureTarget(deps.db, t.account, t.region, t.label, nowIso);
  const cursor = getCursor(deps.db, row.id);
  const rows: TrailEventRow[] = [];
  const result: TargetSweep = { account: t.account, region: t.region, ok: false, read: 0, stored: 0, calls: 0, backlog: null, error: null, becameBlind: false, restored: false };
  const next: CursorRow = { ...cursor };
  const collect = (events: Parameters<typeof toTrailEventRow>[0][]): void => {
    for (const e of events) {
      const r = toTrailEventRow(e, t);
      if (r !== null) rows.push(r);
    }
  };
  try {
    const client = await deps.clientFor(t);
    const pace = (signal?: AbortSignal): Promise<void> => deps.pace(t, signal);
    const common = { pace, ...(deps.settings.strategy ? { strategy: deps.settings.strategy } : {}), ...(deps.signal ? { signal: deps.signal } : {}) };
    let pagesLeft = deps.settings.maxPagesPerCycle;

    // The head: everything since the last sweep, the overlap re-read.
    const headFrom = new Date(cursor.swept_until !== null ? Date.parse(cursor.swept_until) - deps.settings.overlapMs : now.getTime() - deps.settings.firstLookbackMs);
    const head = await readRange(client, headFrom, now, { ...common, maxPages: pagesLeft });
    pagesLeft -= head.pages;
    result.calls += head.pages;
    collect(head.events);
    if (head.truncated) {
      // Newest first: what is older than the oldest event read is not read yet (that second included).
      const until = (head.oldestSeen ?? now).toISOString();
      next.backlog_from = next.backlog_from !== null ? minIso(next.backlog_from, headFrom.toISOString()) : headFrom.toISOString();
      next.backlog_until = next.backlog_until !== null ? maxIso(next.backlog_until, until) : until;
    }
    next.swept_until = nowIso;

    // The backlog, with what the bound leaves.
    if (next.backlog_from !== null && next.backlog_until !== null && pagesLeft > 0 && !head.truncated) {
      const from = new Date(next.backlog_from);
      const until = new Date(next.backlog_until);
      const back = await readRange(client, from, until, { ...common, maxPages: pagesLeft });
      result.calls += back.pages;
      collect(back.events);
      if (!back.truncated) {
        next.backlog_from = null;
        next.backlog_until = null;
      } else {
        const oldest = back.oldestSeen ?? until;
        // More than a page of events in one second would hold the range still; step past that second.
        next.backlog_until = (oldest.getTime() < until.getTime() ? oldest : new Date(until.getTime() - 1000)).toISOString();
        if (Date.parse(next.backlog_until) < from.getTime()) {
          next.backlog_from = null;
          next.backlog_until = null;
        }
      }
    }
  } catch (err) {
    if (deps.signal?.aborted) {
      // Shutdown, not CloudTrail failing: keep what was read, leave the cursor and the failure count.
      result.stored = storeEvents(deps.db, row.id, rows, nowIso);
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
      result.stored = storeEvents(deps.db, row.id, rows, nowIso);
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
    log.warn({ event: "trail-sweep-failed", code, failures: failed.cursor.consecutive_failures, blind: failed.cursor.blind_since !== null }, `CloudTrail sweep failed: ${message}`);
    return result;
  }

  const ok = afterSuccess(next, nowIso);
  deps.db.transaction(() => {
    result.stored = storeEvents(deps.db, row.id, rows, nowIso);
    saveCursor(deps.db, ok.cursor);
    if (ok.restoredFrom !== null) enqueue(deps, { type: "trail-restored", target: alertTarget(t), blindSince: ok.restoredFrom, restoredAt: nowIso }, nowIso);
  })();
  result.ok = true;
  result.read = rows.length;
  result.restored = ok.restoredFrom !== null;
  if (ok.cursor.backlog_from !== null && ok.cursor.backlog_until !== null) {
    result.backlog = { from: ok.cursor.backlog_from, until: ok.cursor.backlog_until };
    const span = Date.parse(ok.cursor.backlog_until) - Date.parse(ok.cursor.backlog_from);
    log.warn(
      { event: "trail-behind", backlogFrom: ok.cursor.backlog_from, backlogUntil: ok.cursor.backlog_until, calls: result.calls, stored: result.stored },
      `CloudTrail sweep is behind: events from ${ok.cursor.backlog_from} to ${ok.cursor.backlog_until} (${humanDuration(span)} of events) not read yet; ${result.calls} calls this cycle, caught up over the next cycles`,
    );
  }
  log.debug({ event: "trail-sweep-ok", calls: result.calls, read: result.read, stored: result.stored }, "CloudTrail sweep done");
  return result;
}

/** Sweeps every target with the sensor on; account-regions in parallel (each has its own budget). */
export async function sweepTargets(deps: SweepDeps, targets: readonly ResolvedTarget[], concurrency: number): Promise<TargetSweep[]> {
  const on = targets.filter((t) => t.cloudtrail);
  return mapPool(on, concurrency, async (t) => {
    if (deps.signal?.aborted) {
      return { account: t.account, region: t.region, ok: false, read: 0, stored: 0, calls: 0, backlog: null, error: "stopped", becameBlind: false, restored: false };
    }
    return sweepTarget(deps, t);
  });
}
