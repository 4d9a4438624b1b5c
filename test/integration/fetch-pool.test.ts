// The fetch pool (aws.fetchThreads) on its own, with real worker threads and
// the real SDK against the simulator over HTTP. (The fault matrix runs every
// simulator fault through it too; this file covers what only threads can do.)
// - pages are read in the worker: progress per page, fingerprints for every
//   group, and canonical states only for groups whose fingerprint is new;
// - a worker that dies fails the fetch it had with FetchWorkerFailed, and the
//   next fetch gets a new worker;
// - an abort (shutdown) ends a fetch stuck on a slow call at once, and close()
//   fails whatever is still in flight;
// - an App reloading its config (SIGHUP) mid-cycle finishes that cycle with
//   the old workers: no target of it fails because its pool was replaced.
// Workers run the compiled code in dist/ (`npm test` builds first).
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FetchPool, defaultWorkerUrl, type FetchRequest } from "../../src/aws/fetch-pool.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { startSimHarness, MONITOR, type SimHarness } from "../support/sim-harness.js";
import { App } from "../../src/daemon/app.js";
import { writeTestConfig, loadTestConfig } from "../support/config-file.js";
import { captureLog } from "../support/log-capture.js";

const root = path.resolve(import.meta.dirname, "../..");
const DSG = "DescribeSecurityGroups";

describe("fetch pool", { timeout: 60_000 }, () => {
  let harness: SimHarness;
  let tmp: TempDir;
  const pools: FetchPool[] = [];
  const pool = (opts: Partial<ConstructorParameters<typeof FetchPool>[0]> = {}): FetchPool => {
    const p = new FetchPool({ size: 1, ...opts });
    pools.push(p);
    return p;
  };
  /** The simulator's record of the first DescribeSecurityGroups call in `region`, once it has arrived. */
  const arrivedCall = async (region: string) => {
    for (let i = 0; i < 1000; i++) {
      const r = harness.sim.requests.find((q) => q.action === DSG && q.region === region && q.status === 0);
      if (r) return r;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no ${DSG} call in ${region} reached the simulator`);
  };
  const request = (region: string, known: Map<string, string> = new Map()): FetchRequest => ({
    clientKey: `123456789012/${region}`,
    spec: { region, endpoint: harness.endpoint, maxAttempts: 1, timeoutMs: 10_000, credentials: MONITOR },
    maxPages: 10,
    known,
    reader: "stream",
  });

  beforeAll(async () => {
    expect(existsSync(new URL(defaultWorkerUrl())), "dist/ is missing: run `npm run build` first").toBe(true);
    harness = await startSimHarness({ regions: ["us-east-1", "eu-north-1"] });
    const region = harness.sim.state.account("123456789012").region("us-east-1");
    // Two pages.
    harness.sim.state.withoutMutationLog(() => {
      for (let i = 0; i < 1100; i++) region.createGroup({ groupName: `svc-${i}`, description: `service ${i}`, vpcId: harness.demo.vpcId });
    });
    tmp = makeTempDir();
  });

  afterAll(async () => {
    for (const p of pools) await p.close();
    await harness?.close();
    tmp?.remove();
  });

  it("reads every page in the worker and sends canonical states only for new fingerprints", async () => {
    const p = pool();
    const progress: number[] = [];
    const first = await p.fetch(request("us-east-1"), { onPage: (pages) => progress.push(pages) });
    expect(first.pages).toBe(2);
    expect(progress).toEqual([1, 2]);
    expect(first.groups).toHaveLength(1105);
    expect(first.groups.every((g) => g.state !== null && g.fingerprint.length > 0)).toBe(true);

    // Told every fingerprint but one, the worker normalises that one only.
    const known = new Map(first.groups.map((g) => [g.groupId, g.fingerprint]));
    const changedId = first.groups[3]?.groupId as string;
    known.set(changedId, "an older fingerprint");
    const second = await p.fetch(request("us-east-1", known));
    expect(second.groups.filter((g) => g.state !== null).map((g) => g.groupId)).toEqual([changedId]);
    expect(second.groups.map((g) => g.fingerprint)).toEqual(first.groups.map((g) => g.fingerprint));
  });

  it("fails the fetch of a worker that dies, and starts a new worker for the next", async () => {
    // A client module that ends its thread for one region, and is the real one elsewhere.
    const module = path.join(tmp.path, "dying-client.mjs");
    writeFileSync(
      module,
      `import { createEc2Client as real } from ${JSON.stringify(path.join(root, "dist/src/aws/ec2-client.js"))};\n` +
        `export function createEc2Client(spec) { if (spec.region === "eu-north-1") process.exit(7); return real(spec); }\n`,
    );
    const p = pool({ clientModule: new URL(`file://${module}`).href });
    await expect(p.fetch(request("eu-north-1"))).rejects.toMatchObject({ code: "FetchWorkerFailed", message: expect.stringMatching(/exit code 7/) });
    const next = await p.fetch(request("us-east-1"));
    expect(next.pages).toBe(2);
  });

  it("ends a fetch stuck on a slow call when aborted, and close() fails what is left", async () => {
    const p = pool();
    harness.sim.faults.add({ kind: "latency", action: DSG, latencyMs: 20_000 });
    try {
      // Abort once the call is at the simulator, which then holds it for 20 s.
      const abort = new AbortController();
      const stuck = p.fetch(request("us-east-1"), { signal: abort.signal });
      const call = await arrivedCall("us-east-1");
      abort.abort();
      await expect(stuck).rejects.toMatchObject({ code: "Aborted" });
      // The fetch ended before the simulator answered: by the abort, not the answer.
      expect(call.status).toBe(0);

      const left = expect(p.fetch(request("eu-north-1"))).rejects.toMatchObject({ code: "Aborted" });
      const held = await arrivedCall("eu-north-1");
      await p.close();
      await left;
      expect(held.status).toBe(0);
      await expect(p.fetch(request("us-east-1"))).rejects.toMatchObject({ code: "Aborted" });
    } finally {
      harness.sim.faults.clear();
    }
  });
});

describe("App with aws.fetchThreads", { timeout: 60_000 }, () => {
  let harness: SimHarness;
  let tmp: TempDir;
  let app: App;

  beforeAll(async () => {
    harness = await startSimHarness({ regions: ["us-east-1", "eu-west-1", "eu-north-1"] });
    tmp = makeTempDir();
  });

  afterAll(async () => {
    await app?.close();
    await harness?.close();
    tmp?.remove();
  });

  it("finishes a cycle with the old workers when the config is reloaded during it", async () => {
    const files = writeTestConfig({ dir: tmp.path, endpoint: harness.endpoint, regions: ["us-east-1", "eu-west-1", "eu-north-1"], extra: { concurrency: 1, aws: { fetchThreads: 1 } } });
    app = new App({ config: loadTestConfig(files), logger: captureLog("warn").logger, env: {}, credentials: MONITOR });
    harness.sim.faults.add({ kind: "latency", action: DSG, latencyMs: 300 });
    try {
      const cycle = app.cycle();
      // One target at a time, 300 ms each: the reload lands while the first is in flight.
      await new Promise((r) => setTimeout(r, 150));
      app.reconfigure(loadTestConfig(files));
      const r = await cycle;
      expect(r.targets.map((t) => [t.region, t.ok, t.error?.code ?? null])).toEqual([
        ["us-east-1", true, null],
        ["eu-west-1", true, null],
        ["eu-north-1", true, null],
      ]);
    } finally {
      harness.sim.faults.clear();
    }
    // And the new workers poll the next cycle.
    const next = await app.cycle();
    expect(next.targets.every((t) => t.ok)).toBe(true);
  });
});
