// The scheduled report's timer: its own node-cron task on report.schedule,
// apart from the polling Scheduler. A tick queues the report in the outbox
// (App.queueReport) and starts a dispatch it does not wait for; it never
// takes the polling scheduler's turn, so a report can neither skip nor delay
// a poll, and a slow SMTP server holds up nothing but its own delivery.
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
  logger: Logger;
}

export class ReportSchedule {
  private task: ScheduledTask | null = null;

  constructor(private readonly opts: ReportScheduleOptions) {}

  start(): void {
    this.task = cron.schedule(this.opts.schedule, () => void this.tick(), { timezone: "Etc/UTC", name: "sgwatch-report" });
  }

  /**
   * Queue one report and start its delivery. Never throws: a report that
   * could not be queued (the database locked or full) is logged with its
   * reason, and the next tick tries again.
   */
  tick(): number | null {
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
    await this.task?.destroy();
    this.task = null;
  }
}
