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
   * calls in flight split over `threads` worker threads (the daemon's
   * aws.fetchThreads; at least one), clients kept per target. `rounds` rounds,
   * the first warming up; the time of each.
   */
  fleet: { args: { endpoint: string; targets: RawFleetTarget[]; concurrency: number; threads: number; rounds: number; interfaces: boolean }; result: { ms: number[]; cpuMs: number[] } };
  /** Peak RSS of this process, bytes. */
  maxRss: { args: Record<string, never>; result: number };
}

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
  fleet: async ({ endpoint, targets, concurrency, threads, rounds, interfaces }) => {
    const n = Math.max(1, threads);
    const workers = Array.from({ length: n }, (_, w) =>
      new Worker(new URL("./raw-fleet-worker.js", import.meta.url), {
        workerData: { endpoint, targets: targets.filter((_, i) => i % n === w), concurrency: Math.max(1, Math.round(concurrency / n)), interfaces },
      }),
    );
    const round = (w: Worker): Promise<void> =>
      new Promise((resolve, reject) => {
        w.once("message", (m: { ok: boolean; error?: string }) => (m.ok ? resolve() : reject(new Error(m.error))));
        w.postMessage("go");
      });
    const ms: number[] = [];
    const cpuMs: number[] = [];
    try {
      for (let r = 0; r < rounds; r++) {
        const started = performance.now();
        // process.cpuUsage counts every thread of the process.
        const cpu = process.cpuUsage();
        await Promise.all(workers.map(round));
        const used = process.cpuUsage(cpu);
        ms.push(performance.now() - started);
        cpuMs.push((used.user + used.system) / 1000);
      }
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
    return { ms, cpuMs };
  },
  maxRss: () => process.resourceUsage().maxRSS * 1024,
});
