// Wires the parts together from a validated config. The CLI's run, poll and
// demo commands all go through here, so they behave the same.
import type { Database } from "better-sqlite3";
import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import { openDatabase } from "../store/open.js";
import { buildChannels, REPORT_CHANNEL, type Channels } from "../alerts/channels/registry.js";
import { enqueueAlert } from "../store/outbox-repo.js";
import { gatherReport } from "./report.js";
import { dispatchDue, type DispatchMemory, type DispatchResult } from "../alerts/dispatch.js";
import { runCycle, type CachedState, type CycleProgress, type CycleResult } from "./cycle.js";
import { createEc2Client, type ClientSpec, type Ec2ClientFactory } from "../aws/ec2-client.js";
import type { GroupState } from "../model/types.js";
import type { EC2Client } from "@aws-sdk/client-ec2";
import { FetchPool } from "../aws/fetch-pool.js";
import { resolveTargets, type ResolvedTarget } from "../config/targets.js";
import { enqueueAttributed } from "../store/follow-up.js";
import { routeAlert } from "../alerts/route.js";
import { systemClock, type Clock } from "../util/time.js";
import { CycleHealth } from "./cycle-health.js";
import { cycleFailure } from "../store/db-failure.js";
import { realSleep } from "../util/sleep.js";
import type { CycleDeps } from "./cycle.js";
import type { TargetPageMemo } from "./fetch-target.js";
import { failedCycle } from "./lost-polls.js";
import type { AlertPayload, ReportAlert } from "../model/alert-payload.js";
import { errorMessage } from "../util/errors.js";
import type { ApprovalRecord } from "../approvals/schema.js";
import type { AttributionResult } from "../attribution/attribute.js";
import type { CloudTrailClientFactory } from "../trail/clients.js";
import type { TargetSweep } from "../trail/sweep.js";
import { TrailSensor, type TargetJoin } from "./trail-sensor.js";
import { sharedAgents } from "../aws/shared-agents.js";

/** What the app needs from outside. */
export interface AppOptions {
  config: Config;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  clock?: Clock;
  clientFactory?: Ec2ClientFactory;
  credentials?: ClientSpec["credentials"];
  /**
   * For fetch workers, a module exporting `createEc2Client` to use instead of
   * the real one (a clientFactory function cannot cross to a thread).
   */
  fetchClientModule?: string;
  /** Makes the CloudTrail clients (sweep and attribution); default the real one with the target's role and credentials. */
  cloudTrailClientFactory?: CloudTrailClientFactory;
  /**
   * How to wait: between attempts on a locked database, and while the
   * LookupEvents budget is spent (measured on `clock` then). Default a real
   * timer on the monotonic clock; tests pass one that moves their fake clock.
   */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** A cycle as the app runs it: the polls and, beside them, the CloudTrail sweep; then attribution from what the sweep stored, then the join of both stores. */
export interface AppCycleResult extends CycleResult {
  /** What the CloudTrail sweep did, per target with the sensor on. */
  trail?: TargetSweep[];
  /** What joining trail_events with poll history found, per target with the sensor on. */
  join?: TargetJoin[];
}

/**
 * The connection's own busy timeout: short, because better-sqlite3 blocks the
 * event loop while SQLite waits; longer waits are lock-wait.ts's, off the loop.
 */
const BUSY_TIMEOUT_MS = 100;

export class App {
  readonly db: Database;
  private readonly channels: Channels;
  private readonly stateCache = new Map<number, CachedState>();
  private dispatching: Promise<DispatchResult> | null = null;
  /** Alerts delivered while the outbox could not be written: not sent again, marked once it can be. */
  private readonly delivered: DispatchMemory = new Map();
  /** Aborted by close(): a delivery in flight is abandoned (the alert stays pending), not awaited. */
  private readonly dispatchStop = new AbortController();
  /** One EC2 client per target, kept across cycles: connections and the adaptive rate limiter persist. */
  private readonly clients = new Map<string, EC2Client>();
  // What each client's pages read last time (aws/page-memo.ts): gone with the client.
  private readonly pageMemos = new WeakMap<EC2Client, TargetPageMemo>();
  /** One keep-alive connection pool for those clients: a target's calls reuse connections other targets opened (aws/shared-agents.ts). */
  private readonly ec2Agents = sharedAgents();
  /** CloudTrail clients, their LookupEvents budget, and the sweep, attribution and join that use them. */
  private readonly trail: TrailSensor;
  /** Fetch workers when aws.fetchThreads > 0. */
  private fetchPool: FetchPool | null;
  /** Pools replaced by a reload while a cycle was still using them; closed when it ends. */
  private retiredPools: FetchPool[] = [];
  private cyclesRunning = 0;
  /** Regions found for `regions: all` accounts, kept across cycles. */
  private readonly discovered = new Map<string, string[]>();
  readonly clock: Clock;
  config: Config;
  /** Polls and cycles that could not be recorded, for /healthz and metrics. */
  readonly health = new CycleHealth();
  /** Alerts sent directly (not through the outbox), still in flight. */
  private readonly direct = new Set<Promise<void>>();

  constructor(private readonly opts: AppOptions) {
    this.config = opts.config;
    this.clock = opts.clock ?? systemClock;
    this.db = openDatabase(opts.config.database, { now: () => this.clock().toISOString() }).db;
    this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    try {
      this.channels = buildChannels(opts.config, opts.logger, opts.env);
    } catch (err) {
      this.db.close();
      throw err;
    }
    // Real waits are measured on the monotonic clock; a test's own sleep moves its own clock.
    this.trail = new TrailSensor({
      db: this.db,
      clock: this.clock,
      logger: opts.logger,
      config: () => this.config,
      targets: () => this.targets(),
      routes: this.channels.routes,
      ...(opts.credentials ? { credentials: opts.credentials } : {}),
      ...(opts.cloudTrailClientFactory ? { clientFactory: opts.cloudTrailClientFactory } : {}),
      sleep: opts.sleep ?? realSleep,
      fakeTime: opts.sleep !== undefined,
    });
    this.fetchPool = this.makePool(opts.config);
  }

  /**
   * Workers build their own EC2 clients, so they need what a thread can be
   * given: the real factory (or fetchClientModule) and static credentials.
   */
  private makePool(config: Config): FetchPool | null {
    if (config.aws.fetchThreads === 0) return null;
    if (this.opts.clientFactory && !this.opts.fetchClientModule) return null;
    if (typeof this.opts.credentials === "function") return null;
    return new FetchPool({ size: config.aws.fetchThreads, ...(this.opts.fetchClientModule ? { clientModule: this.opts.fetchClientModule } : {}) });
  }

  private cycleDeps(): CycleDeps {
    return {
      db: this.db,
      config: this.config,
      logger: this.opts.logger,
      clock: this.clock,
      clientFactory: this.opts.clientFactory ?? createEc2Client,
      ...(this.opts.credentials ? { credentials: this.opts.credentials } : {}),
      routes: this.channels.routes,
      stateCache: this.stateCache,
      clientCache: this.clients,
      pageMemos: this.pageMemos,
      agents: this.ec2Agents,
      ...(this.fetchPool ? { fetchPool: this.fetchPool } : {}),
      discoveredRegions: this.discovered,
      lockWait: {
        timeoutMs: this.config.databaseLockWait,
        sleep: this.opts.sleep ?? realSleep,
        onWait: (attempt, delayMs) => this.opts.logger.warn({ event: "db-lock-wait", attempt, delayMs }, "the database is locked by another writer; waiting"),
      },
      health: this.health,
    };
  }

  /**
   * One cycle over every target. Never throws: a cycle that crashes or cannot
   * write counts, for every target it did not record, like a failed poll.
   */
  async cycle(opts: { signal?: AbortSignal; progress?: CycleProgress } = {}): Promise<AppCycleResult> {
    this.cyclesRunning++;
    const deps = this.cycleDeps();
    const startedAt = this.clock().toISOString();
    // The second sensor runs beside the polls, not after them: its calls go to
    // another service with its own limits (CloudTrail's budget per
    // account-region), it never touches what the polls record, and its
    // findings are joins that do not depend on which store was written first.
    // Run after them, a quiet sweep added its whole length to every cycle
    // (docs/performance.md, figure 6). Its failures never touch the polls.
    const sweeping = this.sweep(opts.signal).catch((err: unknown) => {
      this.opts.logger.error({ event: "trail-sweep-crashed", err }, "CloudTrail sweep failed");
      return undefined;
    });
    let result: AppCycleResult;
    try {
      result = await runCycle(deps, opts);
    } catch (err) {
      result = failedCycle(deps, this.targets(), startedAt, err);
    } finally {
      if (--this.cyclesRunning === 0) for (const p of this.retiredPools.splice(0)) await p.close();
    }
    this.health.cycleDone(result.failure ?? null);
    if (result.failure) {
      const f = result.failure;
      this.opts.logger.error({ event: "cycle-failed", reason: f.reason, error: f.message }, `cycle could not be recorded in full (${f.reason}): ${f.message}`);
    }
    for (const t of result.targets) {
      if (!t.lost?.becameBlind) continue;
      const l = t.lost;
      this.alertDirect({
        type: "monitoring-blind",
        target: { account: t.account, region: t.region, label: l.label },
        failures: l.failures,
        since: l.since,
        lastSuccessAt: l.lastSuccessAt,
        lastError: `${l.reason}: ${l.message}`,
      });
    }
    // Attribution reads what the sweep stored, and takes no LookupEvents turns
    // of its own: it runs once the sweep is done.
    const trail = await sweeping;
    if (trail !== undefined) result.trail = trail;
    try {
      result.attribution = await this.attribute(opts.signal);
      const actorAlerted = new Set(result.attribution.actorAlertedChangeIds);
      enqueueAttributed(this.db, this.clock(), result.attribution.attributedChangeIds.filter((id) => !actorAlerted.has(id)), (p) => routeAlert(this.channels.routes, p));
    } catch (err) {
      // One line with a reason code: a locked or full database is not a bug to dump a stack for.
      const f = cycleFailure(err);
      this.opts.logger.error({ event: "attribution-failed", reason: f.reason, error: f.message }, `attribution failed (${f.reason}): ${f.message}`);
    }
    // The join reads both stores, so it runs after both wrote; a failure leaves them as they are.
    try {
      result.join = this.join(result.records ?? []);
    } catch (err) {
      const f = cycleFailure(err);
      this.opts.logger.error({ event: "trail-join-failed", reason: f.reason, error: f.message }, `joining CloudTrail with poll history failed (${f.reason}): ${f.message}`);
    }
    return result;
  }

  /**
   * Send an alert straight through every channel that takes it, without the
   * outbox: for monitoring-blind when the database cannot be written. The log
   * channel always delivers; email and webhook do not need the database.
   * Never awaited by the cycle. Such an alert has id 0 (it has no outbox row).
   */
  alertDirect(payload: AlertPayload): void {
    const createdAt = this.clock().toISOString();
    const log = this.opts.logger.child({ module: "dispatch" });
    for (const r of routeAlert(this.channels.routes, payload)) {
      const channel = this.channels.byName.get(r.channel);
      if (!channel) continue;
      const sending = channel
        .send({ id: 0, createdAt, severity: r.severity, attempts: 0, payload: r.payload }, this.dispatchStop.signal)
        .then(() => log.info({ event: "alert-sent-direct", channel: r.channel, kind: payload.type }, `${payload.type} sent directly by ${r.channel}`))
        .catch((err: unknown) => log.error({ event: "alert-direct-failed", channel: r.channel, kind: payload.type, error: errorMessage(err) }, `${payload.type} could not be sent by ${r.channel}: ${errorMessage(err)}`))
        .finally(() => this.direct.delete(sending));
      this.direct.add(sending);
    }
  }

  /** Resolves when every direct alert in flight has been sent or has failed. */
  async directAlertsSettled(): Promise<void> {
    await Promise.all([...this.direct]);
  }

  /** Reads every CloudTrail-enabled target's security-group events since its last sweep (trail-sensor.ts). */
  sweep(signal?: AbortSignal): Promise<TargetSweep[]> {
    return this.trail.sweep(signal);
  }

  /** Joins every CloudTrail-enabled target's stored events with its poll history (trail-sensor.ts). */
  join(records: readonly ApprovalRecord[]): TargetJoin[] {
    return this.trail.join(records);
  }

  /** Who made changes not yet attributed, from the events the sweep stored (trail-sensor.ts). */
  attribute(signal?: AbortSignal): Promise<AttributionResult> {
    return this.trail.attribute(signal);
  }

  /** The account × region targets as of the last region discovery. */
  targets(): ResolvedTarget[] {
    return resolveTargets(this.config, this.discovered);
  }

  private dropClients(): void {
    for (const c of this.clients.values()) c.destroy();
    this.clients.clear();
  }

  /** Deliver due alerts; concurrent calls share one run. close() stops it. */
  dispatch(): Promise<DispatchResult> {
    const signal = this.dispatchStop.signal;
    this.dispatching ??= dispatchDue({
      db: this.db,
      channels: this.channels.byName,
      retry: this.config.alerts.retry,
      clock: this.clock,
      logger: this.opts.logger.child({ module: "dispatch" }),
      signal,
      memory: this.delivered,
    }).finally(() => {
      this.dispatching = null;
    });
    return this.dispatching;
  }

  /**
   * Queue the posture report for report.to (the report schedule's tick): one
   * outbox row, written in one statement, so a crash after it or an SMTP
   * outage delays the mail and never loses it. Reads the database and writes
   * one row; it neither waits for nor holds up a cycle. Returns the outbox id,
   * or null when there is no report channel (no report section, or
   * alerts.email switched off).
   */
  queueReport(): number | null {
    if (!this.channels.byName.has(REPORT_CHANNEL)) return null;
    const now = this.clock();
    const payload: ReportAlert = { type: "report", report: gatherReport(this.db, this.config, now) };
    // Not an alert: never flagged urgent, whatever it lists.
    return enqueueAlert(this.db, REPORT_CHANNEL, "low", payload, now.toISOString());
  }

  /**
   * Take a new config (SIGHUP). Only settings that do not need new connections
   * apply; the database path and channels are fixed for the process's life.
   */
  reconfigure(config: Config): string[] {
    const ignored: string[] = [];
    if (config.database !== this.config.database) ignored.push("database");
    const channelsOf = (c: Config) => JSON.stringify([c.alerts.log, c.alerts.email, c.alerts.webhook]);
    if (channelsOf(config) !== channelsOf(this.config)) ignored.push("alerts channels");
    // The report's recipients are a channel and its schedule a timer, both made at start.
    if (JSON.stringify(config.report) !== JSON.stringify(this.config.report)) ignored.push("report");
    this.config = {
      ...config,
      report: this.config.report,
      database: this.config.database,
      alerts: { ...config.alerts, log: this.config.alerts.log, email: this.config.alerts.email, webhook: this.config.alerts.webhook },
    };
    this.stateCache.clear();
    this.dropClients();
    // The workers' clients were built from the old settings. A cycle running
    // now finishes with the old pool, which is closed when it ends.
    const old = this.fetchPool;
    this.fetchPool = this.makePool(this.config);
    if (old && this.cyclesRunning > 0) this.retiredPools.push(old);
    else void old?.close();
    this.trail.reconnect();
    return ignored;
  }

  /**
   * Copy the WAL back into the database and cut the -wal file to zero bytes,
   * without waiting for anyone: with no busy handler a TRUNCATE checkpoint
   * that meets a reader (a person's open transaction in the sqlite3 shell)
   * or another writer copies what it can, like PASSIVE, and leaves the file
   * for the next cycle, so polling is never stalled. Without the truncation
   * the file keeps the size of the largest burst of change ever written
   * (SQLite reuses it from the start but does not shrink it below
   * journal_size_limit). Returns whether the file was emptied.
   */
  checkpoint(): boolean {
    const timeout = this.db.pragma("busy_timeout", { simple: true }) as number;
    this.db.pragma("busy_timeout = 0");
    try {
      const [row] = this.db.pragma("wal_checkpoint(TRUNCATE)") as Array<{ busy: number; log: number; checkpointed: number }>;
      return row !== undefined && row.busy === 0;
    } catch {
      // Disk full or a locked database: the next cycle tries again.
      return false;
    } finally {
      this.db.pragma(`busy_timeout = ${timeout}`);
    }
  }

  async close(): Promise<void> {
    this.dispatchStop.abort();
    await this.dispatching?.catch(() => undefined);
    await this.directAlertsSettled();
    this.dropClients();
    this.ec2Agents.close();
    await this.fetchPool?.close();
    for (const p of this.retiredPools.splice(0)) await p.close();
    this.trail.close();
    for (const c of this.channels.byName.values()) await c.close?.();
    if (this.db.open) {
      try {
        this.db.pragma("wal_checkpoint(TRUNCATE)");
      } catch {
        // A reader holding the WAL open only delays the checkpoint; closing is what matters.
      }
      this.db.close();
    }
  }
}
