// Runs the cycle on a cron schedule: one cycle right at start, never two at
// once (a tick that finds a cycle running is skipped and logged), and a stop()
// that stops scheduling and lets the running cycle finish or aborts it.
import cron, { type ScheduledTask } from "node-cron";
import type { Logger } from "pino";
import { cycleFailure } from "../store/db-failure.js";

/** What the scheduler runs. */
export type CycleRunner = (signal: AbortSignal) => Promise<void>;

export interface SchedulerOptions {
  /** Cron expression (5 or 6 fields), evaluated in UTC. */
  schedule: string;
  run: CycleRunner;
  logger: Logger;
}

export class Scheduler {
  private task: ScheduledTask | null = null;
  private running: Promise<void> | null = null;
  private abort: AbortController | null = null;
  private stopped = false;

  constructor(private readonly opts: SchedulerOptions) {}

  /** True while a cycle runs. */
  get busy(): boolean {
    return this.running !== null;
  }

  /** Resolves when no cycle is running (at once when none is): for work that must not hold up a cycle. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Whether the scheduler is started and not stopped (for /healthz). */
  get active(): boolean {
    return this.task !== null && !this.stopped;
  }

  /** Start: one cycle now, then on schedule. */
  start(): void {
    this.task = cron.schedule(this.opts.schedule, () => this.tick("schedule"), { timezone: "Etc/UTC", name: "sgwatch-cycle" });
    this.tick("start");
  }

  /** Switch to a new cron expression (config reload). */
  async reschedule(schedule: string): Promise<void> {
    if (this.stopped || schedule === this.opts.schedule) return;
    await this.task?.destroy();
    this.opts.schedule = schedule;
    this.task = cron.schedule(schedule, () => this.tick("schedule"), { timezone: "Etc/UTC", name: "sgwatch-cycle" });
  }

  /** Run a cycle unless one is running. Returns the cycle's promise, or null when skipped. */
  tick(reason: string): Promise<void> | null {
    if (this.stopped) return null;
    if (this.running) {
      this.opts.logger.warn({ event: "tick-skipped", reason }, "previous cycle still running; this tick is skipped");
      return null;
    }
    this.abort = new AbortController();
    const signal = this.abort.signal;
    this.opts.logger.debug({ event: "tick", reason }, "cycle starting");
    this.running = this.opts
      .run(signal)
      // One line with a reason code: App.cycle already counts its own failures;
      // whatever still escapes (the metrics, a hook) is named, not dumped.
      .catch((err: unknown) => {
        const f = cycleFailure(err);
        this.opts.logger.error({ event: "cycle-crashed", reason: f.reason, error: f.message }, `cycle failed (${f.reason}): ${f.message}`);
      })
      .finally(() => {
        this.running = null;
        this.abort = null;
      });
    return this.running;
  }

  /**
   * Stop scheduling, then give the running cycle `graceMs` to finish before
   * aborting it; resolves when it is over or `hardMs` has passed.
   */
  async stop(graceMs: number, hardMs: number): Promise<void> {
    this.stopped = true;
    await this.task?.destroy();
    this.task = null;
    const current = this.running;
    if (!current) return;
    const timer = (ms: number) => new Promise<"timeout">((r) => setTimeout(() => r("timeout"), ms).unref());
    if ((await Promise.race([current.then(() => "done" as const), timer(graceMs)])) === "done") return;
    this.opts.logger.warn({ event: "cycle-aborted" }, "aborting the running cycle for shutdown");
    this.abort?.abort();
    await Promise.race([current, timer(Math.max(0, hardMs - graceMs))]);
  }
}
