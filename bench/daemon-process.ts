// The daemon side: the real App (collect, normalise, diff, store, judge,
// outbox) in its own process, so its peak RSS is the daemon's alone. Started
// with --expose-gc so the growth check can compare heaps after a collection.
import pino from "pino";
import { App } from "../src/daemon/app.js";
import { configSchema } from "../src/config/schema.js";
import { createEc2Client } from "../src/aws/ec2-client.js";
import { createEc2Client as fleetClient } from "./fleet-client.js";
import { createLogger } from "../src/logging/logger.js";
import { collectSecurityGroups, type ResponseReader } from "../src/aws/collect.js";
import { normalizeGroups } from "../src/model/normalize.js";
import { diffGroups } from "../src/model/diff.js";
import { loadCurrentState } from "../src/store/state-repo.js";
import type { GroupState } from "../src/model/types.js";
import type { TargetSweep } from "../src/trail/sweep.js";
import { serve } from "./ipc.js";
import { limitHeapGrowth } from "../src/daemon/heap.js";

/** One cycle's outcome, as the benchmark needs it. */
export interface CycleFigures {
  ms: number;
  /** CPU time of this process during the cycle (user + system), ms: robust to a busy machine. */
  cpuMs: number;
  targets: number;
  ok: number;
  failed: number;
  /** Codes of failed targets, for the report. */
  errors: string[];
  groups: number;
  rules: number;
  changes: number;
  /** Slowest target's poll, ms. */
  slowestTargetMs: number;
  /** Targets the CloudTrail sweep ran for (0 with the sensor off), those that read everything, and its LookupEvents calls. */
  trail: SweepFigures;
}

/** What the CloudTrail sweeps of a cycle (or a sweep alone) did. */
export interface SweepFigures {
  targets: number;
  ok: number;
  calls: number;
  stored: number;
  /** Targets left with a backlog. */
  behind: number;
}

/** A sweep run alone (App.sweep), timed like a cycle. */
export interface SweepRun extends SweepFigures {
  ms: number;
  /** CPU time of this process during the sweep, ms. */
  cpuMs: number;
}

/** Where one unchanged poll's time goes, phase by phase (ms). */
export interface PhaseTimes {
  /** collectSecurityGroups: every page fetched, parsed (aws.reader), and held. */
  collect: number;
  normalize: number;
  /** diffGroups of the fresh observation against the previous one (the cached state). */
  diff: number;
  /** loadCurrentState from SQLite: what the first cycle after a restart pays instead of the cache. */
  loadState: number;
}

export interface DaemonCommands {
  /**
   * Build an App. `config` is raw input for configSchema.parse. With
   * `accessKey`, every target uses that key; without, the fleet's clients
   * (bench/fleet-client.ts: the role's account picks the key).
   */
  open: { args: { config: unknown; accessKey?: string }; result: null };
  cycle: { args: Record<string, never>; result: CycleFigures };
  /** The CloudTrail sweep alone, over every target with the sensor on. */
  sweep: { args: Record<string, never>; result: SweepRun };
  /** RSS and heap now, optionally after a full GC. */
  memory: { args: { gc: boolean }; result: { rss: number; heapUsed: number } };
  /**
   * Database size after a WAL checkpoint: pages in use (page_count − freelist_count)
   * × page_size. Free pages left by earlier writes are reused first, so the
   * file size alone would hide small growth.
   */
  dbBytes: { args: Record<string, never>; result: number };
  /**
   * The phases of an unchanged poll of the first target, timed one by one with
   * the same functions the cycle calls (src/ cannot be instrumented from here).
   */
  phases: { args: { endpoint: string; region: string; accessKeyId: string }; result: PhaseTimes };
  close: { args: Record<string, never>; result: null };
  /** Peak RSS of this process, bytes. */
  maxRss: { args: Record<string, never>; result: number };
}

// As `sgwatch run` does at start (src/cli/commands/run.ts), so figure 2 measures the daemon as deployed.
limitHeapGrowth();

let app: App | null = null;
// The configured reader (aws.reader), which `phases` times too.
let reader: ResponseReader = "stream";
// The previous observation in `phases`, standing in for the cycle's state cache.
let previous: Map<string, GroupState> | undefined;
// Logging is part of the daemon's cost, so log as in production, to nowhere.
const logger = createLogger({ level: "info", destination: pino.destination({ dest: "/dev/null", sync: true }) });

function sweepFigures(r: readonly TargetSweep[]): SweepFigures {
  return {
    targets: r.length,
    ok: r.filter((t) => t.ok).length,
    calls: r.reduce((n, t) => n + t.calls, 0),
    stored: r.reduce((n, t) => n + t.stored, 0),
    behind: r.filter((t) => t.backlog !== null).length,
  };
}

function need(): App {
  if (!app) throw new Error("open first");
  return app;
}

serve<DaemonCommands>(
  {
    open: async ({ config, accessKey }) => {
      const parsed = configSchema.parse(config);
      // Loaded only for a fleet with the sensor on: the CloudTrail SDK would add to every other figure's RSS.
      const trailClients = !accessKey && parsed.cloudtrail.enabled ? { cloudTrailClientFactory: (await import("./fleet-trail-client.js")).createCloudTrailClient } : {};
      reader = parsed.aws.reader;
      app = accessKey
        ? new App({ config: parsed, logger, env: {}, credentials: { accessKeyId: accessKey, secretAccessKey: "bench" } })
        : new App({ config: parsed, logger, env: {}, clientFactory: fleetClient, fetchClientModule: new URL("./fleet-client.js", import.meta.url).href, ...trailClients });
      return null;
    },
    cycle: async () => {
      const started = performance.now();
      const cpu = process.cpuUsage();
      const r = await need().cycle();
      const ms = performance.now() - started;
      const used = process.cpuUsage(cpu);
      const failed = r.targets.filter((t) => !t.ok);
      return {
        ms,
        cpuMs: (used.user + used.system) / 1000,
        targets: r.targets.length,
        ok: r.targets.length - failed.length,
        failed: failed.length,
        errors: [...new Set(failed.map((t) => t.error?.code ?? "unknown"))],
        groups: r.targets.reduce((n, t) => n + t.groups, 0),
        rules: r.targets.reduce((n, t) => n + t.rules, 0),
        changes: r.targets.reduce((n, t) => n + t.judged.length, 0),
        slowestTargetMs: Math.max(...r.targets.map((t) => t.durationMs)),
        trail: sweepFigures(r.trail ?? []),
      };
    },
    sweep: async () => {
      const started = performance.now();
      const cpu = process.cpuUsage();
      const r = await need().sweep();
      const ms = performance.now() - started;
      const used = process.cpuUsage(cpu);
      return { ms, cpuMs: (used.user + used.system) / 1000, ...sweepFigures(r) };
    },
    memory: ({ gc }) => {
      if (gc) {
        if (!global.gc) throw new Error("start with --expose-gc");
        global.gc();
      }
      const m = process.memoryUsage();
      return { rss: m.rss, heapUsed: m.heapUsed };
    },
    dbBytes: () => {
      const db = need().db;
      db.pragma("wal_checkpoint(TRUNCATE)");
      const pages = (db.pragma("page_count", { simple: true }) as number) - (db.pragma("freelist_count", { simple: true }) as number);
      const size = db.pragma("page_size", { simple: true }) as number;
      return pages * size;
    },
    phases: async ({ endpoint, region, accessKeyId }) => {
      const a = need();
      const client = createEc2Client({ region, endpoint, maxAttempts: 5, timeoutMs: 60_000, credentials: { accessKeyId, secretAccessKey: "bench" } });
      const t0 = performance.now();
      const collected = await collectSecurityGroups(client, { reader, maxPages: 1000 });
      const t1 = performance.now();
      client.destroy();
      const observed = normalizeGroups(collected.groups);
      const t2 = performance.now();
      previous ??= new Map(normalizeGroups(collected.groups).map((g) => [g.groupId, g]));
      const t3 = performance.now();
      const changes = diffGroups(previous, observed);
      const t4 = performance.now();
      loadCurrentState(a.db, 1);
      const t5 = performance.now();
      previous = new Map(observed.map((g) => [g.groupId, g]));
      if (changes.length > 0) throw new Error(`phases: the estate changed (${changes.length} changes); time phases on an unchanged estate`);
      return { collect: t1 - t0, normalize: t2 - t1, diff: t4 - t3, loadState: t5 - t4 };
    },
    close: async () => {
      await app?.close();
      app = null;
      return null;
    },
    maxRss: () => process.resourceUsage().maxRSS * 1024,
  },
  async () => {
    await app?.close();
  },
);
