// The floor: the SDK paginator over every page of DescribeSecurityGroups,
// doing nothing with the result. Its own process, importing nothing but the
// SDK, so its peak RSS is what fetching alone costs.
import { Worker } from "node:worker_threads";
import { EC2Client, paginateDescribeSecurityGroups } from "@aws-sdk/client-ec2";
import { serve } from "./ipc.js";
import type { RawFleetTarget } from "./raw-fleet-worker.js";

export interface RawFetchCommands {
  /** One full fetch; a fresh client each time, as the daemon makes one per target and poll. */
  fetch: { args: { endpoint: string; region: string; accessKeyId: string }; result: { ms: number; cpuMs: number; pages: number; groups: number } };
  /**
   * The fleet's floor: every target fetched with the SDK alone, `concurrency`
   * calls in flight split over `threads` worker threads (at least one),
   * clients kept per target. Kept open between rounds, so its rounds can
   * alternate with the daemon's cycles: start its threads (and clients), then
   * one round per `fleetRound`, until `fleetStop`.
   */
  fleetStart: { args: FleetSetup; result: null };
  fleetRound: { args: Record<string, never>; result: { ms: number; cpuMs: number } };
  fleetStop: { args: Record<string, never>; result: null };
  /** Peak RSS of this process, bytes. */
  maxRss: { args: Record<string, never>; result: number };
}

/** The fleet floor's shape: targets, `concurrency` calls in flight split over `threads` worker threads. */
export interface FleetSetup {
  endpoint: string;
  targets: RawFleetTarget[];
  concurrency: number;
  threads: number;
  interfaces: boolean;
}

/** The floor's worker threads, each with its share of the targets and of the concurrency; their clients live as long as they do. */
class RawFleet {
  private readonly workers: Worker[];

  constructor({ endpoint, targets, concurrency, threads, interfaces }: FleetSetup) {
    const n = Math.max(1, threads);
    this.workers = Array.from({ length: n }, (_, w) =>
      new Worker(new URL("./raw-fleet-worker.js", import.meta.url), {
        workerData: { endpoint, targets: targets.filter((_, i) => i % n === w), concurrency: Math.max(1, Math.round(concurrency / n)), interfaces },
      }),
    );
  }

  /** Every target once, all threads; wall time and the process's CPU (process.cpuUsage counts every thread). */
  async round(): Promise<{ ms: number; cpuMs: number }> {
    const one = (w: Worker): Promise<void> =>
      new Promise((resolve, reject) => {
        w.once("message", (m: { ok: boolean; error?: string }) => (m.ok ? resolve() : reject(new Error(m.error))));
        w.postMessage("go");
      });
    const started = performance.now();
    const cpu = process.cpuUsage();
    await Promise.all(this.workers.map(one));
    const used = process.cpuUsage(cpu);
    return { ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

let kept: RawFleet | null = null;

serve<RawFetchCommands>({
  fetch: async ({ endpoint, region, accessKeyId }) => {
    const started = performance.now();
    const cpu = process.cpuUsage();
    const client = new EC2Client({ endpoint, region, credentials: { accessKeyId, secretAccessKey: "bench" }, maxAttempts: 5, retryMode: "adaptive" });
    let pages = 0;
    let groups = 0;
    try {
      for await (const page of paginateDescribeSecurityGroups({ client, pageSize: 1000 }, {})) {
        pages++;
        groups += page.SecurityGroups?.length ?? 0;
      }
    } finally {
      client.destroy();
    }
    const used = process.cpuUsage(cpu);
    return { ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000, pages, groups };
  },
  fleetStart: (setup) => {
    if (kept) throw new Error("fleetStart: a fleet is already open");
    kept = new RawFleet(setup);
    return null;
  },
  fleetRound: async () => {
    if (!kept) throw new Error("fleetRound: no fleet is open (fleetStart first)");
    return kept.round();
  },
  fleetStop: async () => {
    await kept?.stop();
    kept = null;
    return null;
  },
  maxRss: () => process.resourceUsage().maxRSS * 1024,
});
