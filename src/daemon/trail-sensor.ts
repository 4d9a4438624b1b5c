// The app's second sensor: the CloudTrail clients and the LookupEvents budget
// they share, and the three steps of a cycle that use them — the sweep
// (src/trail/sweep.ts), attribution from what the sweep stored
// (src/attribution/), and the join of stored events with poll history
// (src/trail/transient-store.ts). The app decides when each runs.
import type { Database } from "better-sqlite3";
import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import type { ClientSpec } from "../aws/ec2-client.js";
import type { ApprovalRecord } from "../approvals/schema.js";
import type { ResolvedTarget } from "../config/targets.js";
import { routeAlert, type ChannelRoute } from "../alerts/route.js";
import { attributePending, type AttributionResult } from "../attribution/attribute.js";
import { ignoredReason, ignoreRules } from "../config/ignore-list.js";
import { listTargets } from "../store/targets-repo.js";
import { RateBudget } from "../trail/budget.js";
import { cloudTrailClients, type CloudTrailClientFactory } from "../trail/clients.js";
import { sweepTargets, type TargetSweep } from "../trail/sweep.js";
import { joinTarget, type JoinResult } from "../trail/transient-store.js";
import type { Clock } from "../util/time.js";
import { judgeChanges } from "./judge.js";

/** What the sensor needs from the app. */
export interface TrailSensorOptions {
  db: Database;
  clock: Clock;
  logger: Logger;
  /** The config in force (it changes on reload). */
  config: () => Config;
  /** The account × region targets in force. */
  targets: () => ResolvedTarget[];
  /** Where alerts go (the app's channels). */
  routes: readonly ChannelRoute[];
  credentials?: ClientSpec["credentials"];
  clientFactory?: CloudTrailClientFactory;
  /** How to wait while the LookupEvents budget is spent; measured on `clock` then, else on the monotonic clock. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** True when `sleep` moves the app's clock (tests), so the budget must read that clock. */
  fakeTime: boolean;
}

/** A target's join result, with the target it is for. */
export type TargetJoin = JoinResult & { account: string; region: string };

export class TrailSensor {
  private clients: ReturnType<typeof cloudTrailClients>;
  /** LookupEvents turns per account-region (2 calls/s on AWS): the sweep is the only caller; attribution reads what it stored. */
  private readonly budget: RateBudget;

  constructor(private readonly opts: TrailSensorOptions) {
    this.budget = new RateBudget({
      perWindow: opts.config().cloudtrail.callsPerSecond,
      now: opts.fakeTime ? () => opts.clock().getTime() : () => performance.now(),
      sleep: opts.sleep,
    });
    this.clients = this.makeClients();
  }

  private makeClients(): ReturnType<typeof cloudTrailClients> {
    const config = this.opts.config();
    return cloudTrailClients({
      maxAttempts: config.aws.maxAttempts,
      timeoutMs: config.aws.timeout,
      ...(this.opts.credentials ? { credentials: this.opts.credentials } : {}),
      ...(this.opts.clientFactory ? { clientFactory: this.opts.clientFactory } : {}),
    });
  }

  /** Reads every CloudTrail-enabled target's security-group events since its last sweep. */
  sweep(signal?: AbortSignal): Promise<TargetSweep[]> {
    const c = this.opts.config();
    return sweepTargets(
      {
        db: this.opts.db,
        clock: this.opts.clock,
        logger: this.opts.logger,
        clientFor: (t) => this.clients.clientFor(t),
        pace: (t, s) => this.budget.take(`${t.account}/${t.region}`, s),
        route: (p) => routeAlert(this.opts.routes, p),
        settings: { overlapMs: c.cloudtrail.overlap, firstLookbackMs: c.cloudtrail.firstLookback, maxPagesPerCycle: c.cloudtrail.maxPagesPerCycle },
        blind: { afterFailures: c.monitoring.blindAfterFailures, afterMs: c.monitoring.blindAfter },
        attempts: { severity: c.severity, windowMs: c.cloudtrail.attemptWindow },
        ...(signal ? { signal } : {}),
      },
      this.opts.targets(),
      c.concurrency,
    );
  }

  /** Who made changes not yet attributed, from the events the sweep stored; the caller held against the actor policy. */
  attribute(signal?: AbortSignal): Promise<AttributionResult> {
    const targets = this.opts.targets();
    const on = new Set(targets.filter((t) => t.attribution).map((t) => `${t.account}/${t.region}`));
    const actors = new Map(targets.map((t) => [`${t.account}/${t.region}`, t.actors]));
    return attributePending({
      db: this.opts.db,
      clock: this.opts.clock,
      logger: this.opts.logger,
      actors: (t) => actors.get(`${t.account}/${t.region}`) ?? null,
      route: (p) => routeAlert(this.opts.routes, p),
      horizonMs: this.opts.config().attribution.horizon,
      enabled: (t) => on.has(`${t.account}/${t.region}`),
      ...(signal ? { signal } : {}),
    });
  }

  /**
   * Joins every CloudTrail-enabled target's stored events with its poll
   * history: transient openings, judged with this cycle's approval records
   * and the target's actor policy like the polls' changes, and CloudTrail
   * times for the changes polls saw.
   */
  join(records: readonly ApprovalRecord[]): TargetJoin[] {
    const c = this.opts.config();
    const { db, logger } = this.opts;
    const ignore = ignoreRules(c);
    const known = new Map(listTargets(db).map((r) => [`${r.account}/${r.region}`, r]));
    const out: TargetJoin[] = [];
    for (const t of this.opts.targets().filter((x) => x.cloudtrail)) {
      const row = known.get(`${t.account}/${t.region}`);
      if (!row) continue;
      const r = joinTarget(
        {
          db,
          judge: (changes, ctx) => judgeChanges(changes, { ...ctx, account: t.account, region: t.region }, c.severity, records, c.guardrails),
          route: (p) => routeAlert(this.opts.routes, p),
          ignored: (ch, at) => ignoredReason(ignore, { account: t.account, region: t.region, groupId: ch.groupId, groupName: ch.groupName, groupTags: ch.groupTags }, at),
          actors: t.actors,
          skewMs: c.cloudtrail.clockSkew,
          horizonMs: c.cloudtrail.joinHorizon,
        },
        { id: row.id, account: t.account, region: t.region, label: t.label },
        this.opts.clock(),
      );
      if (r.transients > 0) {
        logger.info({ event: "trail-transient", account: t.account, region: t.region, ...r }, `${r.transients} short-lived opening${r.transients === 1 ? "" : "s"} no poll saw (${r.alerted} alerted)`);
      }
      out.push({ account: t.account, region: t.region, ...r });
    }
    return out;
  }

  /** New clients from the config in force (a reload); the old ones are closed. */
  reconnect(): void {
    this.clients.close();
    this.clients = this.makeClients();
  }

  close(): void {
    this.clients.close();
  }
}
