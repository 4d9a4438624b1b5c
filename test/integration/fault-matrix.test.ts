// The fault matrix: every fault the simulator can inject, against a real App
// cycle over HTTP with the real AWS SDK (retries: aws.maxAttempts = 3, per-call
// timeout aws.timeout = 1 s) and a two-page account. For each fault it proves:
// - the poll is recorded with the expected status and error code (a fault the
//   SDK's retries absorb gives an ok poll with every page);
// - a failed poll writes NO change_events and closes NO interval: the stored
//   history is byte for byte what it was, although real drift was waiting
//   (so a partial read would have had something to misreport);
// - the next good poll records exactly that drift, and the stored current
//   state then equals the simulator's (ground truth, computed without
//   sgwatch's collector or normaliser).
// And with three targets, whichever one fails, the other two are polled and
// their drift recorded.
// (failed-poll.test.ts covers blind/restored alerts and the messages of
// AuthFailure/UnauthorizedOperation in detail; here they are rows of the table.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import BetterSqlite3, { type Database } from "better-sqlite3";
import { App } from "../../src/daemon/app.js";
import { FAULT_KINDS, type FaultSpec } from "../../src/sim/faults.js";
import type { RegionState } from "../../src/sim/region-state.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { startSimHarness, MONITOR, type SimHarness } from "../support/sim-harness.js";
import { writeTestConfig, loadTestConfig, TEST_ACCOUNT } from "../support/config-file.js";
import { captureLog } from "../support/log-capture.js";
import { fakeClock, type FakeClock } from "../support/fake-clock.js";
import { simGroups, storedGroups } from "../support/ground-truth.js";

const FIVE_MIN = 5 * 60_000;
const REGION = "us-east-1";
/** More than one DescribeSecurityGroups page (sgwatch asks for 1000 per page). */
const EXTRA_GROUPS = 1100;
const MAX_ATTEMPTS = 3;
const DSG = "DescribeSecurityGroups";

interface PollRow {
  id: number;
  status: string;
  pages: number | null;
  error_code: string | null;
  error: string | null;
}

/** One row of the matrix. */
interface FaultCase {
  /** What is injected, in words. */
  name: string;
  fault: FaultSpec;
  /** Expected poll: "ok", or the recorded error code. */
  outcome: "ok" | string;
  /** A pattern the recorded error must match (failed rows). */
  message?: RegExp;
  /** DescribeSecurityGroups calls the simulator must have seen (retries made visible). */
  calls?: number;
  /** Pages an ok poll read; default 2. */
  pages?: number;
}

const MATRIX: FaultCase[] = [
  { name: "throttle for the next maxAttempts-1 calls (retries absorb it)", fault: { kind: "throttle", action: DSG, count: MAX_ATTEMPTS - 1 }, outcome: "ok", calls: MAX_ATTEMPTS + 1 },
  { name: "throttle for maxAttempts calls (beyond the retry budget)", fault: { kind: "throttle", action: DSG, count: MAX_ATTEMPTS }, outcome: "RequestLimitExceeded", message: /throttl/i, calls: MAX_ATTEMPTS },
  { name: "one 500 on page 2 (retried)", fault: { kind: "internal-error", action: DSG, page: 2, count: 1 }, outcome: "ok", calls: 3 },
  { name: "500 on every try of page 2", fault: { kind: "internal-error", action: DSG, page: 2 }, outcome: "InternalError", message: /HTTP 500/, calls: 1 + MAX_ATTEMPTS },
  { name: "AuthFailure", fault: { kind: "auth-failure", action: DSG }, outcome: "AuthFailure", message: /credentials/, calls: 1 },
  { name: "UnauthorizedOperation", fault: { kind: "unauthorized", action: DSG }, outcome: "UnauthorizedOperation", message: /ec2:DescribeSecurityGroups/, calls: 1 },
  { name: "latency below aws.timeout", fault: { kind: "latency", action: DSG, latencyMs: 300 }, outcome: "ok", calls: 2 },
  { name: "latency above aws.timeout on page 2", fault: { kind: "latency", action: DSG, page: 2, latencyMs: 1_500 }, outcome: "Timeout", message: /timed out/i },
  { name: "one connection reset (retried)", fault: { kind: "connection-reset", action: DSG, count: 1 }, outcome: "ok", calls: 3 },
  { name: "connection reset on every try of page 2", fault: { kind: "connection-reset", action: DSG, page: 2 }, outcome: "NetworkError", message: /ECONNRESET|socket hang up/i },
  { name: "truncated XML body on page 2", fault: { kind: "truncated-body", action: DSG, page: 2 }, outcome: "MalformedResponse", message: /could not be read/ },
  { name: "malformed XML body on page 2", fault: { kind: "malformed-body", action: DSG, page: 2 }, outcome: "MalformedResponse", message: /could not be read/ },
  { name: "NextToken restarting the listing once (pages repeat, groups deduplicated)", fault: { kind: "repeat-next-token", action: DSG, count: 1 }, outcome: "ok", calls: 3, pages: 3 },
  { name: "NextToken repeating forever", fault: { kind: "repeat-next-token", action: DSG }, outcome: "PaginationLoop", message: /NextToken/, calls: 2 },
];

// The whole matrix runs four times: polls fetched and parsed on the main thread,
// and in fetch workers (aws.fetchThreads), which must fail and recover the same
// way; each with sgwatch's streaming reader and with the SDK's deserialiser
// (aws.reader), which must meet every fault with the same outcome, code and calls.
const MODES = [0, 2].flatMap((threads) => (["stream", "sdk"] as const).map((reader) => ({ threads, reader })));
describe.each(MODES)("fault matrix: one App cycle per simulator fault (aws.fetchThreads $threads, aws.reader $reader)", { timeout: 60_000 }, ({ threads, reader }) => {
  let tmp: TempDir;
  let harness: SimHarness;
  let region: RegionState;
  let clock: FakeClock;
  let app: App;
  let db: Database;
  let targetId: number;
  /** The group on page 2 (sorted by id) that drift is made on. */
  let lateGroup: string;
  let driftN = 0;

  beforeAll(async () => {
    tmp = makeTempDir();
    harness = await startSimHarness();
    region = harness.sim.state.account(TEST_ACCOUNT).region(REGION);
    harness.sim.state.withoutMutationLog(() => {
      for (let i = 0; i < EXTRA_GROUPS; i++) region.createGroup({ groupName: `svc-${String(i).padStart(4, "0")}`, description: `service ${i}`, vpcId: harness.demo.vpcId });
    });
    lateGroup = [...region.groups.keys()].sort()[EXTRA_GROUPS] as string;
    clock = fakeClock();
    const files = writeTestConfig({ dir: tmp.path, endpoint: harness.endpoint, extra: { aws: { maxAttempts: MAX_ATTEMPTS, timeout: "1s", fetchThreads: threads, reader } } });
    app = new App({ config: loadTestConfig(files), logger: captureLog("warn").logger, env: {}, clock: clock.clock, credentials: MONITOR });
    db = new BetterSqlite3(files.databasePath, { readonly: true });
    const r = await app.cycle();
    expect(r.targets[0]).toMatchObject({ ok: true, baseline: true, pages: 2, groups: 5 + EXTRA_GROUPS });
    targetId = (db.prepare("SELECT id FROM targets").get() as { id: number }).id;
  });

  afterAll(async () => {
    db?.close();
    await app?.close();
    await harness?.close();
    tmp?.remove();
  });

  const lastPoll = (): PollRow => db.prepare("SELECT id, status, pages, error_code, error FROM polls ORDER BY id DESC LIMIT 1").get() as PollRow;
  const history = (): string =>
    JSON.stringify([db.prepare("SELECT * FROM group_versions ORDER BY id").all(), db.prepare("SELECT * FROM rule_versions ORDER BY id").all()]);
  const count = (sql: string): number => (db.prepare(sql).get() as { n: number }).n;

  /**
   * Two real changes on a page-2 group: a world-open rule added, and the rule
   * the previous drift added removed (the first time: the default egress).
   */
  const makeDrift = (): void => {
    const [old] = region.getGroup(lateGroup).rules;
    if (!old) throw new Error("the drift group has no rule to remove");
    driftN++;
    region.authorizeIngress(lateGroup, [{ ipProtocol: "tcp", fromPort: 1000 + driftN, toPort: 1000 + driftN, ipRanges: [{ cidrIp: "0.0.0.0/0" }] }]);
    region.revokeRuleIds(lateGroup, old.isEgress, [old.ruleId]);
  };

  it.each(MATRIX)("$name → $outcome", async (c) => {
    makeDrift();
    const before = history();
    const changesBefore = count("SELECT count(*) AS n FROM change_events");
    const outboxBefore = count("SELECT count(*) AS n FROM outbox");
    harness.sim.requests.length = 0;
    harness.sim.faults.add(c.fault);
    clock.advance(FIVE_MIN);
    let r;
    try {
      r = await app.cycle();
    } finally {
      harness.sim.faults.clear();
    }
    const t = r.targets[0];
    const poll = lastPoll();
    const calls = harness.sim.requests.filter((q) => q.action === DSG).length;
    if (c.calls !== undefined) expect(calls, "DescribeSecurityGroups calls").toBe(c.calls);

    if (c.outcome === "ok") {
      expect(t).toMatchObject({ ok: true, pages: c.pages ?? 2, groups: 5 + EXTRA_GROUPS, error: null });
      expect(poll).toMatchObject({ status: "ok", pages: c.pages ?? 2, error_code: null });
      expect(t?.judged.map((j) => j.change.kind).sort()).toEqual(["rule-added", "rule-removed"]);
      expect(storedGroups(db, targetId)).toEqual(simGroups(harness.sim.state, TEST_ACCOUNT, REGION));
      return;
    }

    expect(t).toMatchObject({ ok: false, judged: [], error: { code: c.outcome } });
    expect(poll).toMatchObject({ status: "failed", pages: null, error_code: c.outcome });
    expect(poll.error).toMatch(c.message ?? /./);
    expect(count("SELECT count(*) AS n FROM change_events")).toBe(changesBefore);
    expect(count("SELECT count(*) AS n FROM outbox")).toBe(outboxBefore);
    expect(history()).toBe(before);

    // Recovery: the next good poll reports exactly the drift the failed one could not see.
    clock.advance(FIVE_MIN);
    const good = (await app.cycle()).targets[0];
    expect(good).toMatchObject({ ok: true, pages: 2 });
    expect(good?.judged.map((j) => j.change.kind).sort()).toEqual(["rule-added", "rule-removed"]);
    expect(storedGroups(db, targetId)).toEqual(simGroups(harness.sim.state, TEST_ACCOUNT, REGION));
  });

  it("hit every kind of fault the simulator has", () => {
    expect(new Set(MATRIX.map((c) => c.fault.kind))).toEqual(new Set(FAULT_KINDS));
  });
});

describe("three targets: whichever one fails, the others are polled", { timeout: 60_000 }, () => {
  const REGIONS = ["us-east-1", "us-west-2", "eu-west-1"];
  let tmp: TempDir;
  let harness: SimHarness;
  let clock: FakeClock;
  let app: App;
  let db: Database;
  let port = 0;

  beforeAll(async () => {
    tmp = makeTempDir();
    harness = await startSimHarness({ regions: REGIONS });
    clock = fakeClock();
    // concurrency 2 < 3 targets: the pool must still reach the third.
    const files = writeTestConfig({ dir: tmp.path, endpoint: harness.endpoint, regions: REGIONS, extra: { concurrency: 2, aws: { maxAttempts: 2, timeout: "1s" } } });
    app = new App({ config: loadTestConfig(files), logger: captureLog("warn").logger, env: {}, clock: clock.clock, credentials: MONITOR });
    db = new BetterSqlite3(files.databasePath, { readonly: true });
    const r = await app.cycle();
    expect(r.targets.map((t) => t.ok)).toEqual([true, true, true]);
  });

  afterAll(async () => {
    db?.close();
    await app?.close();
    await harness?.close();
    tmp?.remove();
  });

  it.each(REGIONS.map((failing, i) => ({ failing, fault: (["malformed-body", "connection-reset", "throttle"] as const)[i] as FaultSpec["kind"] })))(
    "$failing failing ($fault)",
    async ({ failing, fault }) => {
      for (const region of REGIONS) {
        const demo = harness.demos.get(region);
        if (!demo) throw new Error(`no demo account in ${region}`);
        harness.sim.state
          .account(TEST_ACCOUNT)
          .region(region)
          .authorizeIngress(demo.groups.app, [{ ipProtocol: "tcp", fromPort: 7000 + port, toPort: 7000 + port, ipRanges: [{ cidrIp: "0.0.0.0/0" }] }]);
        port++;
      }
      harness.sim.faults.add({ kind: fault, action: DSG, region: failing });
      clock.advance(FIVE_MIN);
      let r;
      try {
        r = await app.cycle();
      } finally {
        harness.sim.faults.clear();
      }
      expect(r.targets.map((t) => [t.region, t.ok, t.judged.length])).toEqual(REGIONS.map((region) => (region === failing ? [region, false, 0] : [region, true, 1])));
      for (const t of r.targets) {
        const id = (db.prepare("SELECT id FROM targets WHERE region = ?").get(t.region) as { id: number }).id;
        if (t.ok) expect(storedGroups(db, id)).toEqual(simGroups(harness.sim.state, TEST_ACCOUNT, t.region));
      }
      // The failing one catches up on its next good poll.
      clock.advance(FIVE_MIN);
      const again = await app.cycle();
      expect(again.targets.map((t) => [t.region, t.ok, t.judged.length])).toEqual(REGIONS.map((region) => [region, true, region === failing ? 1 : 0]));
    },
  );
});
