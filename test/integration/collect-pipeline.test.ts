// The collector hands each page to its sink while the next page is on its
// way, so sgwatch's own work per page hides behind the API's latency instead
// of adding to it. Proved against the simulator in its own process (as EC2 is:
// an in-process server would only read the next request after the sink ran),
// with the real SDK client:
// - overlap: 3 pages, 600 ms of latency per call, a sink that keeps the CPU
//   busy for 600 ms per page. One after the other that is at least 3,600 ms;
//   overlapped it is about 2,400 ms plus parsing. The test asserts < 3,100 ms,
//   which serial work cannot reach however fast the machine.
// - failure: a sink that throws on the first or the last page fails the
//   collection with that error, after which nothing is left running (an
//   unhandled rejection would fail the test run).
// Uses the compiled simulator child of the benchmark (`npm test` builds first).
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChildLink } from "../../bench/ipc.js";
import type { SimCommands } from "../../bench/sim-commands.js";
import { collectSecurityGroups } from "../../src/aws/collect.js";
import { createEc2Client } from "../../src/aws/ec2-client.js";
import type { EC2Client } from "@aws-sdk/client-ec2";

const root = path.resolve(import.meta.dirname, "../..");
const simEntry = path.join(root, "dist/bench/sim-process.js");
const ACCOUNT = "123456789012";
const REGION = "us-east-1";
/** Three pages of at most 1000 groups. */
const GROUPS = 2500;
const LATENCY_MS = 600;
const SINK_MS = 600;

function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // CPU work the event loop cannot interleave with anything.
  }
}

describe("collectSecurityGroups pipelines pages through the sink", { timeout: 60_000 }, () => {
  let sim: ChildLink<SimCommands>;
  let client: EC2Client;

  beforeAll(async () => {
    expect(existsSync(simEntry), `${simEntry} is missing: run \`npm run build\` first`).toBe(true);
    sim = ChildLink.start<SimCommands>("simulator", new URL(`file://${simEntry}`));
    const endpoint = await sim.call("endpoint", {});
    await sim.call("generateAccount", { account: ACCOUNT, region: REGION, groups: GROUPS, rules: GROUPS * 2, seed: 5 });
    client = createEc2Client({ region: REGION, endpoint, maxAttempts: 1, timeoutMs: 20_000, credentials: { accessKeyId: "AKIAPIPELINE00000001", secretAccessKey: "x" } });
    // Warm the connection and the SDK before anything is timed.
    await collectSecurityGroups(client, { maxPages: 10 });
  });

  afterAll(async () => {
    client?.destroy();
    await sim?.stop();
  });

  it("works on page k while page k+1 is fetched", async () => {
    await sim.call("setLatency", { ms: LATENCY_MS });
    try {
      const seen: number[] = [];
      const started = performance.now();
      const r = await collectSecurityGroups(client, {
        maxPages: 10,
        sink: (groups) => {
          seen.push(groups.length);
          busy(SINK_MS);
        },
      });
      const elapsed = performance.now() - started;
      expect(r.pages).toBe(3);
      expect(seen).toEqual([1000, 1000, 500]);
      expect(r.groups).toEqual([]);
      const serial = r.pages * (LATENCY_MS + SINK_MS);
      expect(elapsed, `collect took ${Math.round(elapsed)} ms; one page after the other takes at least ${serial} ms`).toBeLessThan(serial - 500);
    } finally {
      await sim.call("setLatency", { ms: 0 });
    }
  });

  it.each([
    ["the first page", 1],
    ["the last page", 3],
  ])("fails with the sink's error when it throws on %s", async (_, failOn) => {
    let calls = 0;
    const run = collectSecurityGroups(client, {
      maxPages: 10,
      sink: () => {
        calls++;
        if (calls === failOn) throw new Error(`sink refused page ${failOn}`);
      },
    });
    await expect(run).rejects.toThrow(`sink refused page ${failOn}`);
    // No page is handed on after the one that failed.
    expect(calls).toBe(failOn);
  });
});
