// The collector hands each page to its sink while the next page is on its
// way, so sgwatch's own work per page hides behind the API's latency instead
// of adding to it. Proved by the order of events, not by a stopwatch: the
// SDK talks to the simulator through a proxy on its own thread, which counts
// requests as they arrive. The sink of page k (synchronous, on the test's
// thread) waits for the request of page k+1 to arrive at that proxy. With the
// pipeline, that request is already on the wire when the sink runs, so the
// wait ends at once; a collector that ran the sink before asking for the
// next page would leave it waiting for a request that cannot come until the
// sink returns, and the test fails (after a 10 s bound, which only a failing
// run ever reaches). A loaded machine makes the passing case slower, never
// wrong.
// - failure: a sink that throws on the first or the last page fails the
//   collection with that error, after which nothing is left running (an
//   unhandled rejection would fail the test run).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EC2Client } from "@aws-sdk/client-ec2";
import { collectSecurityGroups } from "../../src/aws/collect.js";
import { createEc2Client } from "../../src/aws/ec2-client.js";
import { generateAccount } from "../../src/sim/generate.js";
import { startSimulator, type Simulator } from "../../src/sim/server.js";
import { startArrivalProxy, type ArrivalProxy } from "../support/arrival-proxy.js";

const ACCOUNT = "123456789012";
const REGION = "us-east-1";
/** Three pages of at most 1000 groups. */
const GROUPS = 2500;
/** Bounds only a failing run: a passing one never waits this long. */
const NEVER_MS = 10_000;

// Both readers (aws.reader) share the page loop (every-page.ts); both are held to it.
describe.each(["stream", "sdk"] as const)("collectSecurityGroups pipelines pages through the sink (aws.reader %s)", { timeout: 60_000 }, (reader) => {
  let sim: Simulator;
  let proxy: ArrivalProxy;
  let client: EC2Client;

  beforeAll(async () => {
    sim = await startSimulator();
    generateAccount(sim.state, { account: ACCOUNT, region: REGION, groups: GROUPS, rules: GROUPS * 2, seed: 5 });
    proxy = await startArrivalProxy(sim.endpoint);
    client = createEc2Client({ region: REGION, endpoint: proxy.endpoint, maxAttempts: 1, timeoutMs: 20_000, credentials: { accessKeyId: "AKIAPIPELINE00000001", secretAccessKey: "x" } });
  });

  afterAll(async () => {
    client?.destroy();
    await proxy?.close();
    await sim?.close();
  });

  it("works on page k while the request for page k+1 is at the server", async () => {
    proxy.reset();
    const seen: number[] = [];
    /** For each page, whether the next page's request had arrived before its sink returned. */
    const nextArrivedDuringSink: boolean[] = [];
    const r = await collectSecurityGroups(client, {
      reader,
      maxPages: 10,
      sink: (groups) => {
        seen.push(groups.length);
        const page = seen.length;
        // The last page has no next request to wait for.
        if (groups.length === 1000) nextArrivedDuringSink.push(proxy.waitForArrivals(page + 1, NEVER_MS));
      },
    });
    expect(r.pages).toBe(3);
    expect(seen).toEqual([1000, 1000, 500]);
    expect(r.groups).toEqual([]);
    expect(nextArrivedDuringSink).toEqual([true, true]);
    expect(proxy.arrived()).toBe(3);
  });

  it.each([
    ["the first page", 1],
    ["the last page", 3],
  ])("fails with the sink's error when it throws on %s", async (_, failOn) => {
    let calls = 0;
    const run = collectSecurityGroups(client, {
      reader,
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
