// Proves the two bounds on collection, with real App cycles against the
// simulator over HTTP:
// - aws.maxPages: an account of exactly maxPages pages polls fine; one page
//   more is a failed poll with error_code TooManyPages, after reading no page
//   beyond the cap, with no change events, no alert and the stored history
//   byte for byte as it was (1100 new groups were waiting, so a partial read
//   would have had plenty to misreport). Raising the cap then records them.
// - concurrency: six targets (regions) with `concurrency: 2` and every
//   DescribeSecurityGroups slowed down; a counting proxy between sgwatch and
//   the simulator sees at most two of them in flight at any moment (and two,
//   so the pool really runs in parallel), and every target is polled.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import BetterSqlite3, { type Database } from "better-sqlite3";
import { App } from "../../src/daemon/app.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { startSimHarness, MONITOR, type SimHarness } from "../support/sim-harness.js";
import { writeTestConfig, loadTestConfig, TEST_ACCOUNT, type TestConfigFiles } from "../support/config-file.js";
import { captureLog } from "../support/log-capture.js";
import { fakeClock, type FakeClock } from "../support/fake-clock.js";
import { startCountingProxy, type CountingProxy } from "../support/counting-proxy.js";
import { tableCounts } from "../support/db-counts.js";

const FIVE_MIN = 5 * 60_000;
const DSG = "DescribeSecurityGroups";
/** Makes the account two DescribeSecurityGroups pages (sgwatch asks for 1000 per page). */
const EXTRA_GROUPS = 1100;

describe("aws.maxPages", { timeout: 60_000 }, () => {
  let tmp: TempDir;
  let harness: SimHarness;
  let clock: FakeClock;
  let files: TestConfigFiles;
  let app: App;
  let db: Database;

  beforeAll(async () => {
    tmp = makeTempDir();
    harness = await startSimHarness();
    clock = fakeClock();
    files = writeTestConfig({ dir: tmp.path, endpoint: harness.endpoint, extra: { aws: { maxAttempts: 1, timeout: "5s", maxPages: 1 } } });
    app = new App({ config: loadTestConfig(files), logger: captureLog("warn").logger, env: {}, clock: clock.clock, credentials: MONITOR });
    db = new BetterSqlite3(files.databasePath, { readonly: true });
  });

  afterAll(async () => {
    db?.close();
    await app?.close();
    await harness?.close();
    tmp?.remove();
  });

  const history = (): string =>
    JSON.stringify([db.prepare("SELECT * FROM group_versions ORDER BY id").all(), db.prepare("SELECT * FROM rule_versions ORDER BY id").all()]);
  const dsgCalls = (): number => harness.sim.requests.filter((q) => q.action === DSG).length;

  it("polls an account of exactly maxPages pages", async () => {
    const r = await app.cycle();
    expect(r.targets[0]).toMatchObject({ ok: true, baseline: true, pages: 1, groups: 5 });
  });

  it("records one page more as a failed poll (TooManyPages) that changes nothing", async () => {
    const region = harness.sim.state.account(TEST_ACCOUNT).region("us-east-1");
    harness.sim.state.withoutMutationLog(() => {
      for (let i = 0; i < EXTRA_GROUPS; i++) region.createGroup({ groupName: `svc-${String(i).padStart(4, "0")}`, description: `service ${i}`, vpcId: harness.demo.vpcId });
    });
    const before = history();
    const counts = tableCounts(db);
    harness.sim.requests.length = 0;
    clock.advance(FIVE_MIN);

    const r = await app.cycle();

    expect(r.targets[0]).toMatchObject({ ok: false, judged: [], error: { code: "TooManyPages" } });
    const poll = db.prepare("SELECT status, pages, error_code, error FROM polls ORDER BY id DESC LIMIT 1").get() as Record<string, unknown>;
    expect(poll).toMatchObject({ status: "failed", pages: null, error_code: "TooManyPages" });
    expect(String(poll.error)).toMatch(/more than 1 pages \(aws\.maxPages\)/);
    // It stopped at the cap instead of reading on.
    expect(dsgCalls()).toBe(1);
    expect(history()).toBe(before);
    expect(tableCounts(db)).toEqual({ ...counts, polls: (counts.polls ?? 0) + 1 });
  });

  it("records the waiting groups once the cap allows both pages", async () => {
    app.reconfigure({ ...app.config, aws: { ...app.config.aws, maxPages: 2 } });
    clock.advance(FIVE_MIN);
    const r = await app.cycle();
    expect(r.targets[0]).toMatchObject({ ok: true, pages: 2, groups: 5 + EXTRA_GROUPS });
    expect(r.targets[0]?.judged.filter((j) => j.change.kind === "group-created")).toHaveLength(EXTRA_GROUPS);
  });
});

describe("bounded concurrency: six targets, concurrency 2", { timeout: 60_000 }, () => {
  const REGIONS = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1"];
  const LIMIT = 2;
  const LATENCY_MS = 250;
  let tmp: TempDir;
  let harness: SimHarness;
  let proxy: CountingProxy;
  let app: App;

  beforeAll(async () => {
    tmp = makeTempDir();
    harness = await startSimHarness({ regions: REGIONS });
    proxy = await startCountingProxy(harness.endpoint);
    const files = writeTestConfig({ dir: tmp.path, endpoint: proxy.endpoint, regions: REGIONS, extra: { concurrency: LIMIT } });
    app = new App({ config: loadTestConfig(files), logger: captureLog("warn").logger, env: {}, clock: fakeClock().clock, credentials: MONITOR });
  });

  afterAll(async () => {
    await app?.close();
    await proxy?.close();
    await harness?.close();
    tmp?.remove();
  });

  it("never has more than concurrency (2) DescribeSecurityGroups calls in flight, and polls every target", async () => {
    harness.sim.faults.add({ kind: "latency", action: DSG, latencyMs: LATENCY_MS });
    const r = await app.cycle();

    expect(r.targets.map((t) => [t.region, t.ok])).toEqual(REGIONS.map((region) => [region, true]));
    expect(proxy.total(DSG)).toBe(REGIONS.length);
    expect(proxy.peak(DSG)).toBe(LIMIT);
    expect(proxy.inFlight(DSG)).toBe(0);
  });
});
