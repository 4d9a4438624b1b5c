// The scheduled report's timer: its own node-cron task on report.schedule,
// apart from the polling Scheduler. A tick queues the report in the outbox
// (App.queueReport) and starts a dispatch it does not wait for; it never
// takes the polling scheduler's turn, so a report can neither skip nor delay
// a poll, and a slow SMTP server holds up nothing but its own delivery.
// Gathering reads the whole current state on the event loop (about half a
// second at 100,000 rules), so a tick that finds a cycle running waits for it
// to end first: the report is a little late, the poll never is.
import cron, { type ScheduledTask } from "node-cron";
import type { Logger } from "pino";
import { cycleFailure } from "../store/db-failure.js";

export interface ReportScheduleOptions {
  /** Cron expression (report.schedule), evaluated in UTC. */
  schedule: string;
  /** Queue the report; returns its outbox id, or null when there is no report channel. */
  queue: () => number | null;
  /** Start delivering what is due (not awaited). */
  dispatch: () => Promise<unknown>;
  /** Resolves when no polling cycle runs (Scheduler.idle); absent: never waits. */
  pollingIdle?: () => Promise<void>;
  logger: Logger;
}

export class ReportSchedule {
  private task: ScheduledTask | null = null;
  private stopped = false;

  constructor(private readonly opts: ReportScheduleOptions) {}

  start(): void {
    this.task = cron.schedule(this.opts.schedule, () => void this.tick(), { timezone: "Etc/UTC", name: "sgwatch-report" });
  }

  /**
   * Once no cycle runs, queue one report and start its delivery. Never
   * rejects: a report that could not be queued (the database locked or full)
   * is logged loudly with its reason (`sgwatch report --email` sends one by
   * hand); the schedule goes on.
   */
  async tick(): Promise<number | null> {
    await this.opts.pollingIdle?.();
    if (this.stopped) return null; // stopped while the cycle ran
    let id: number | null;
    try {
      id = this.opts.queue();
    } catch (err) {
      const f = cycleFailure(err);
      this.opts.logger.error({ event: "report-failed", reason: f.reason, error: f.message }, `the scheduled report could not be queued (${f.reason}): ${f.message}`);
      return null;
    }
    if (id === null) {
      this.opts.logger.warn({ event: "report-skipped" }, "report.schedule fired but alerts.email is off: the report is not sent");
      return null;
    }
    this.opts.logger.info({ event: "report-queued", alertId: id }, "scheduled report queued");
    this.opts.dispatch().catch((err: unknown) => {
      const f = cycleFailure(err);
      this.opts.logger.error({ event: "dispatch-failed", reason: f.reason, error: f.message }, `alert dispatch failed (${f.reason}): ${f.message}`);
    });
    return id;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.task?.destroy();
    this.task = null;
  }
}
