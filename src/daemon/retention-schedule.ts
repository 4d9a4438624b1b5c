// Retention in the daemon: after a cycle, when history.keep is set and the
// last compaction started a day or more ago (by retention_runs, so a restart
// does not run it again), start one. It is not awaited: the scheduler's turn
// ends with the cycle, and compaction runs beside polling in batches of one
// short transaction each, yielding between them, so the next poll's
// transaction runs between two batches instead of waiting for the whole run.
// stop() asks the run to end after its current batch and waits for it.
import type { Database } from "better-sqlite3";
import type { Logger } from "pino";
import { compact, lastRetentionRun } from "../store/retention.js";
import { droppedInWords } from "../store/retention-words.js";
import { cycleFailure } from "../store/db-failure.js";
import { humanDuration, type Clock } from "../util/time.js";

/** At most one compaction a day. */
export const RETENTION_EVERY_MS = 86_400_000;

export interface RetentionScheduleOptions {
  db: Database;
  clock: Clock;
  /** history.keep in milliseconds, or "forever". */
  keep: number | "forever";
  logger: Logger;
  /** Rows per transaction (default: compact's). */
  batchSize?: number;
  /** Awaited between batches (default: one turn of the event loop). */
  pause?: () => Promise<void>;
}

export class RetentionSchedule {
  private running: Promise<void> | null = null;
  private stopped = false;
  private keep: number | "forever";

  constructor(private readonly opts: RetentionScheduleOptions) {
    this.keep = opts.keep;
  }

  /** A reloaded config's history.keep (SIGHUP); applies from the next run. */
  setKeep(keep: number | "forever"): void {
    this.keep = keep;
  }

  /** Called after each cycle: starts a compaction when one is due; returns it (tests await it), or null. */
  afterCycle(): Promise<void> | null {
    if (this.stopped || this.running || this.keep === "forever") return null;
    const now = this.opts.clock();
    const last = lastRetentionRun(this.opts.db);
    if (last && now.getTime() - Date.parse(last.started_at) < RETENTION_EVERY_MS) return null;
    const keepMs = this.keep;
    const run = this.run(keepMs).finally(() => {
      this.running = null;
    });
    this.running = run;
    return run;
  }

  private async run(keepMs: number): Promise<void> {
    const log = this.opts.logger;
    try {
      const r = await compact(this.opts.db, {
        clock: this.opts.clock,
        keepMs,
        keepText: humanDuration(keepMs),
        ...(this.opts.batchSize === undefined ? {} : { batchSize: this.opts.batchSize }),
        ...(this.opts.pause === undefined ? {} : { pause: this.opts.pause }),
        stopRequested: () => this.stopped,
      });
      const words = `dropped ${droppedInWords(r.counts)} older than ${r.cutoff}`;
      if (r.finished) log.info({ event: "compacted", runId: r.runId, cutoff: r.cutoff, dropped: r.counts }, `history compacted: ${words}`);
      else log.warn({ event: "compaction-stopped", runId: r.runId, cutoff: r.cutoff, dropped: r.counts }, `compaction stopped by shutdown: ${words} so far`);
    } catch (err) {
      // The batch that failed rolled back; those before it are recorded. Tomorrow tries again.
      const f = cycleFailure(err);
      log.error({ event: "compaction-failed", reason: f.reason, error: f.message }, `history compaction failed (${f.reason}): ${f.message}`);
    }
  }

  /** Stop after the current batch and wait for it. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }
}
