// The long-running daemon: scheduler, alert dispatch, the report's own timer, signals.
// SIGTERM/SIGINT: stop scheduling, let the running cycle finish (or abort
// it), close the database, exit 0 within 10 s. SIGHUP: reload the config;
// an invalid new config is reported and the old one kept.
import type { Logger } from "pino";
import { App, type AppOptions } from "./app.js";
import { Scheduler } from "./scheduler.js";
import { ReportSchedule } from "./report-schedule.js";
import { RetentionSchedule } from "./retention-schedule.js";
import { summarizeCycle, type CycleResult } from "./cycle.js";
import { loadConfig } from "../config/load.js";
import { createMetrics } from "./metrics.js";
import { healthReport } from "./health.js";
import { startHttpServer, type HttpServer } from "./http-server.js";
import { errorMessage, UserError } from "../util/errors.js";
import { Heartbeat } from "./heartbeat.js";
import type { Config } from "../config/schema.js";
import { cycleFailure } from "../store/db-failure.js";

/** How often due alert retries are looked for between cycles. */
const DISPATCH_INTERVAL_MS = 15_000;

/**
 * The shutdown promise, 10 s from the signal to exit: the running cycle gets
 * the grace to finish, is then aborted and waited for up to the second bound,
 * and whatever still holds the process at the deadline is cut by exiting. The
 * shutdown log line carries them, so tests prove the promise by the order of
 * events (the process left before its deadline fired, or the deadline ended a
 * cycle that would never finish) instead of with a stopwatch.
 */
export const SHUTDOWN_TIMES = { graceMs: 6_000, abortedMs: 8_500, deadlineMs: 9_500 } as const;

export interface DaemonOptions extends AppOptions {
  /** Config file, for SIGHUP reloads. */
  configPath: string;
  /** Stop after this many cycles (demo, tests); default: run until signalled. */
  maxCycles?: number;
  /**
   * Hook for the demo and tests: runs after each cycle and its dispatch. With
   * a hook the tick waits for both (the demo's script needs its mail before
   * the next drift); without one, delivery never holds up polling.
   */
  afterCycle?: (n: number) => Promise<void> | void;
}

/** The heartbeat from the config, its URL read from the environment when urlEnv names it. */
function makeHeartbeat(config: Config, env: NodeJS.ProcessEnv, logger: Logger): Heartbeat | null {
  const h = config.heartbeat;
  if (!h) return null;
  const url = h.urlEnv !== undefined ? env[h.urlEnv] : h.url;
  if (!url) throw new UserError(`heartbeat.urlEnv names ${h.urlEnv}, but that environment variable is not set`);
  if (!/^https?:\/\//i.test(url)) throw new UserError(`the environment variable ${h.urlEnv} (heartbeat.urlEnv) does not hold an http(s) URL`);
  return new Heartbeat({ url, method: h.method, everyCycles: h.everyCycles, timeoutMs: h.timeout, logger });
}

/** Every target polled and recorded: the only kind of cycle a heartbeat vouches for. */
function fullySuccessful(r: CycleResult): boolean {
  return !r.failure && r.targets.length > 0 && r.targets.every((t) => t.ok);
}

/** Run until signalled (or maxCycles). Resolves with the exit code. */
export async function runDaemon(opts: DaemonOptions): Promise<number> {
  const logger: Logger = opts.logger;
  const heartbeat = makeHeartbeat(opts.config, opts.env, logger.child({ module: "heartbeat" }));
  const app = new App(opts);
  const metrics = createMetrics(app.db, { targets: () => app.targets(), cycleHealth: () => app.health.snapshot() });
  let cycles = 0;
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (finish = resolve));

  // One line with a reason code (an unwritable outbox is reported by dispatch itself).
  const logDispatchFailure = (err: unknown): void => {
    const f = cycleFailure(err);
    logger.error({ event: "dispatch-failed", reason: f.reason, error: f.message }, `alert dispatch failed (${f.reason}): ${f.message}`);
  };

  // history.keep: at most a compaction a day, beside polling (retention-schedule.ts).
  const retention = new RetentionSchedule({ db: app.db, clock: app.clock, keep: opts.config.history.keep, logger: logger.child({ module: "retention" }) });

  const scheduler = new Scheduler({
    schedule: opts.config.schedule,
    logger: logger.child({ module: "scheduler" }),
    run: async (signal) => {
      const result = await app.cycle({ signal });
      metrics.observeCycle(result);
      cycles++;
      logger.info({ event: "cycle", cycle: cycles, ...summarizeCycle(result) }, "cycle done");
      heartbeat?.afterCycle(fullySuccessful(result));
      app.checkpoint();
      const compaction = retention.afterCycle();
      // Delivery runs beside polling: a silent SMTP server or a hanging
      // webhook must never make the next tick find this one still running.
      const delivered = app.dispatch().catch(logDispatchFailure);
      if (opts.afterCycle) {
        await delivered;
        await app.directAlertsSettled();
        await compaction;
        await opts.afterCycle(cycles);
      }
      if (opts.maxCycles !== undefined && cycles >= opts.maxCycles) void shutdown("max-cycles");
    },
  });

  // Before the timer and signal handlers, so a port in use leaves nothing behind.
  let http: HttpServer | null = null;
  const httpConfig = opts.config.http;
  if (httpConfig) {
    try {
      http = await startHttpServer({
        host: httpConfig.host,
        port: httpConfig.port,
        health: () => healthReport(app.db, scheduler.active, app.targets(), app.health.snapshot()),
        metrics,
        onError: (err, path) => logger.error({ event: "http-error", path, err }, "HTTP request failed"),
      });
    } catch (err) {
      await app.close();
      throw err;
    }
    logger.info({ event: "http-listening", host: httpConfig.host, port: http.port }, `health and metrics on http://${httpConfig.host}:${http.port}`);
  }

  // The report's own timer: it never waits for, nor holds up, the polling scheduler.
  const report = opts.config.report
    ? new ReportSchedule({ schedule: opts.config.report.schedule, queue: () => app.queueReport(), dispatch: () => app.dispatch(), pollingIdle: () => scheduler.idle(), logger: logger.child({ module: "report" }) })
    : null;

  const dispatchTimer = setInterval(() => {
    app.dispatch().catch(logDispatchFailure);
  }, DISPATCH_INTERVAL_MS);

  let shuttingDown = false;
  async function shutdown(reason: string): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ event: "shutdown", reason, ...SHUTDOWN_TIMES }, "stopping");
    const hard = setTimeout(() => {
      logger.error({ event: "shutdown-timeout", deadlineMs: SHUTDOWN_TIMES.deadlineMs }, "shutdown took too long; exiting");
      process.exit(0);
    }, SHUTDOWN_TIMES.deadlineMs);
    hard.unref();
    clearInterval(dispatchTimer);
    await report?.stop();
    await retention.stop();
    await scheduler.stop(SHUTDOWN_TIMES.graceMs, SHUTDOWN_TIMES.abortedMs);
    // /healthz said 503 while stopping; close before the database it reads.
    await http?.close();
    await heartbeat?.close();
    await app.close();
    clearTimeout(hard);
    process.off("SIGTERM", onTerm);
    process.off("SIGINT", onTerm);
    process.off("SIGHUP", onHup);
    finish(0);
  }

  const onTerm = (sig: NodeJS.Signals): void => void shutdown(sig);
  const onHup = (): void => {
    try {
      const next = loadConfig(opts.configPath, opts.env);
      const ignored = app.reconfigure(next);
      if (JSON.stringify(next.http) !== JSON.stringify(opts.config.http)) ignored.push("http");
      if (JSON.stringify(next.heartbeat) !== JSON.stringify(opts.config.heartbeat)) ignored.push("heartbeat");
      retention.setKeep(next.history.keep);
      void scheduler.reschedule(next.schedule);
      logger.info({ event: "config-reloaded", needsRestart: ignored }, ignored.length ? `config reloaded; restart to apply ${ignored.join(", ")}` : "config reloaded");
    } catch (err) {
      logger.error({ event: "config-reload-failed", error: errorMessage(err) }, "new config is invalid; keeping the old one");
    }
  };
  process.on("SIGTERM", onTerm);
  process.on("SIGINT", onTerm);
  process.on("SIGHUP", onHup);

  logger.info({ event: "start", schedule: opts.config.schedule, targets: opts.config.targets.length, database: opts.config.database }, "sgwatch started");
  scheduler.start();
  report?.start();
  return done;
}
