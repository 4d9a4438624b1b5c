// Proves the CloudTrail sweep end to end with real parts: real EC2 clients
// make calls (allowed and denied) against the simulator; the real App cycle
// polls, attributes and sweeps through the real CloudTrailClient (JSON 1.1
// over HTTP); events land in a real SQLite file.
// - Successful and failed calls are stored once each, in CloudTrail's record
//   shape (errorCode Client.UnauthorizedOperation, the encoded message,
//   requestParameters.ipPermissions.items, identity, key, address, endpoint).
// - Events delivered late (15 min) are stored when they arrive, once.
// - A restart resumes from the stored cursor: nothing missed, nothing doubled.
// - A burst larger than a cycle's page bound is caught up over cycles, with a
//   "behind" log line, and the simulator (2 calls/s per account-region, on the
//   shared fake clock) never throttles the sweep; attribution adds no calls
//   of its own (it reads trail_events).
// - A failing sweep changes nothing the polls recorded; after the poll
//   thresholds it is trail-blind (alert, cursor state), then restored.
// The simulator, the App and the rate budget share one fake clock: the
// budget's waits move it, so pacing is exact and no test waits in real time.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import BetterSqlite3, { type Database } from "better-sqlite3";
import { AuthorizeSecurityGroupIngressCommand, RevokeSecurityGroupIngressCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { App } from "../../src/daemon/app.js";
import { healthReport } from "../../src/daemon/health.js";
import { createMetrics } from "../../src/daemon/metrics.js";
import { renderEmail } from "../../src/alerts/render/email.js";
import type { AlertPayload } from "../../src/model/alert-payload.js";
import { startSimulator, type Simulator } from "../../src/sim/server.js";
import { seedDemoAccount, type DemoAccount } from "../../src/sim/seed-demo.js";
import { ec2As } from "../support/ec2-as.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { ENGINEER, INTRUDER, MONITOR } from "../support/sim-harness.js";
import { writeTestConfig, loadTestConfig, TEST_ACCOUNT, type TestConfigFiles } from "../support/config-file.js";
import { captureLog, type CapturedLog } from "../support/log-capture.js";
import { fakeClock, REFERENCE_INSTANT, type FakeClock } from "../support/fake-clock.js";

const MIN = 60_000;
const REGION = "us-east-1";
const INTRUDER_IP = "203.0.113.66";
const ENDPOINT_ID = "vpce-0a1b2c3d4e5f60718";

interface EventRow {
  event_id: string;
  event_time: string;
  event_name: string;
  group_id: string | null;
  rules: string;
  rules_text: string;
  error_code: string | null;
  error_message: string | null;
  identity_type: string | null;
  identity_arn: string | null;
  access_key_id: string | null;
  source_ip: string | null;
  user_agent: string | null;
  vpc_endpoint_id: string | null;
  record: string;
}

describe("the CloudTrail sweep", () => {
  let tmp: TempDir;
  let sim: Simulator;
  let demo: DemoAccount;
  let clock: FakeClock;
  let log: CapturedLog;
  let files: TestConfigFiles;
  let app: App;
  let reader: Database;
  let engineer: EC2Client;
  let intruder: EC2Client;

  const makeApp = (): App =>
    new App({
      config: loadTestConfig(files),
      logger: log.logger,
      env: {},
      clock: clock.clock,
      credentials: MONITOR,
      sleep: async (ms) => void clock.advance(ms),
    });

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    tmp = makeTempDir();
    clock = fakeClock(REFERENCE_INSTANT); // 2026-03-02 10:00 UTC
    sim = await startSimulator({ clock: clock.clock, trustForwardedFor: true });
    sim.cloudtrail.lookupRateLimit = 2; // AWS: 2 LookupEvents calls a second per account and region
    demo = seedDemoAccount(sim.state, { region: REGION });
    sim.cloudtrail.mapIdentity(ENGINEER.accessKeyId, { userName: "alice" });
    sim.cloudtrail.mapIdentity(INTRUDER.accessKeyId, { type: "AssumedRole", roleName: "ci-deploy", userName: "build-4711" });
    sim.cloudtrail.keys.setNetwork(ENGINEER.accessKeyId, { sourceIp: "10.1.2.3", vpcEndpointId: ENDPOINT_ID });
    engineer = ec2As(sim, ENGINEER, "198.51.100.7", "terraform/1.9.5");
    intruder = ec2As(sim, INTRUDER, INTRUDER_IP, "curl-like-tool/0.1");
    log = captureLog();
    files = writeTestConfig({ dir: tmp.path, endpoint: sim.endpoint, extra: { cloudtrail: { enabled: true, maxPagesPerCycle: 3 } } });
    app = makeApp();
    reader = new BetterSqlite3(files.databasePath, { readonly: true });
    await app.cycle(); // baseline poll and the first sweep at 10:00
  });

  afterAll(async () => {
    reader?.close();
    engineer?.destroy();
    intruder?.destroy();
    await app?.close();
    await sim?.close();
    tmp?.remove();
  });

  const rowsBy = (key: string): EventRow[] =>
    reader.prepare("SELECT * FROM trail_events WHERE access_key_id = ? ORDER BY event_time, error_code IS NOT NULL, event_id").all(key) as EventRow[];
  const count = (): number => (reader.prepare("SELECT count(*) AS n FROM trail_events").get() as { n: number }).n;
  const perm = (port: number, cidr: string) => [{ IpProtocol: "tcp", FromPort: port, ToPort: port, IpRanges: [{ CidrIp: cidr }] }];

  it("stores successful and failed calls once each, with who, from where and the rules asked for", async () => {
    clock.advance(MIN);
    await engineer.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: demo.groups.app, IpPermissions: perm(443, "10.0.0.0/8") }));
    // The same rule again: a failed call that is no authorisation problem.
    await expect(engineer.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: demo.groups.app, IpPermissions: perm(443, "10.0.0.0/8") }))).rejects.toMatchObject({
      name: "InvalidPermission.Duplicate",
    });
    sim.cloudtrail.keys.deny(INTRUDER.accessKeyId);
    const denied = await intruder.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: demo.groups.bastion, IpPermissions: perm(22, "0.0.0.0/0") })).catch((e: unknown) => e);
    expect(denied).toMatchObject({ name: "UnauthorizedOperation", $metadata: { httpStatusCode: 403 } });
    expect((denied as Error).message).toMatch(/^You are not authorized to perform this operation\. User: arn:aws:sts::123456789012:assumed-role\/ci-deploy\/build-4711 is not authorized to perform: ec2:AuthorizeSecurityGroupIngress on resource: .*Encoded authorization failure message: [\w-]{200,}$/);
    clock.advance(MIN);
    await app.cycle();
    await app.cycle(); // the overlap window re-reads the same events: stored nothing twice

    const mine = rowsBy(ENGINEER.accessKeyId);
    expect(mine.map((r) => [r.event_name, r.error_code])).toEqual([
      ["AuthorizeSecurityGroupIngress", null],
      ["AuthorizeSecurityGroupIngress", "Client.InvalidPermission.Duplicate"],
    ]);
    expect(mine[0]).toMatchObject({
      group_id: demo.groups.app,
      rules_text: "add ingress TCP 443 from 10.0.0.0/8",
      identity_type: "IAMUser",
      identity_arn: `arn:aws:iam::${TEST_ACCOUNT}:user/alice`,
      source_ip: "10.1.2.3",
      user_agent: expect.stringContaining("terraform/1.9.5"),
      vpc_endpoint_id: ENDPOINT_ID,
    });
    const theirs = rowsBy(INTRUDER.accessKeyId);
    expect(theirs).toHaveLength(1);
    expect(theirs[0]).toMatchObject({
      event_name: "AuthorizeSecurityGroupIngress",
      group_id: demo.groups.bastion,
      error_code: "Client.UnauthorizedOperation",
      error_message: expect.stringMatching(/^You are not authorized to perform this operation\..*Encoded authorization failure message: /),
      identity_type: "AssumedRole",
      identity_arn: `arn:aws:sts::${TEST_ACCOUNT}:assumed-role/ci-deploy/build-4711`,
      source_ip: INTRUDER_IP,
      vpc_endpoint_id: null,
      rules_text: "add ingress TCP 22 from 0.0.0.0/0",
    });
    expect(JSON.parse(theirs[0]?.rules ?? "{}")).toMatchObject({ added: [{ direction: "ingress", protocol: "tcp", fromPort: 22, toPort: 22, sourceKind: "ipv4", source: "0.0.0.0/0" }] });
    const record = JSON.parse(theirs[0]?.record ?? "{}") as Record<string, unknown>;
    expect(record).toMatchObject({
      eventSource: "ec2.amazonaws.com",
      errorCode: "Client.UnauthorizedOperation",
      responseElements: null,
      requestParameters: { groupId: demo.groups.bastion, ipPermissions: { items: [{ ipProtocol: "tcp", fromPort: 22, toPort: 22, ipRanges: { items: [{ cidrIp: "0.0.0.0/0" }] } }] } },
      userIdentity: { type: "AssumedRole", accessKeyId: INTRUDER.accessKeyId, sessionContext: { sessionIssuer: { type: "Role", userName: "ci-deploy" } } },
    });
    expect(reader.prepare("SELECT outcome, who, who_ip, rules FROM trail_events_readable WHERE who_key = ?").all(INTRUDER.accessKeyId)).toEqual([
      { outcome: "failed", who: `arn:aws:sts::${TEST_ACCOUNT}:assumed-role/ci-deploy/build-4711`, who_ip: INTRUDER_IP, rules: "add ingress TCP 22 from 0.0.0.0/0" },
    ]);
    sim.cloudtrail.keys.allow(INTRUDER.accessKeyId);
  });

  it("stores an event delivered 15 minutes late when it arrives, once", async () => {
    sim.cloudtrail.delayMs = 15 * MIN;
    try {
      clock.advance(MIN);
      await engineer.send(new RevokeSecurityGroupIngressCommand({ GroupId: demo.groups.app, IpPermissions: perm(443, "10.0.0.0/8") }));
      const revokes = (): EventRow[] => rowsBy(ENGINEER.accessKeyId).filter((r) => r.event_name === "RevokeSecurityGroupIngress");
      // Sweeps 5, 10 and 14 minutes after the call find nothing yet; the one at 16 minutes finds it; later ones add nothing.
      for (const step of [5, 5, 4]) {
        clock.advance(step * MIN);
        await app.cycle();
        expect(revokes()).toHaveLength(0);
      }
      for (const step of [2, 5, 5]) {
        clock.advance(step * MIN);
        await app.cycle();
        expect(revokes()).toHaveLength(1);
      }
    } finally {
      sim.cloudtrail.delayMs = 0;
    }
  });

  it("resumes from the stored cursor after a restart: nothing missed, nothing doubled", async () => {
    const before = count();
    await app.close();
    // Calls made while sgwatch is down.
    clock.advance(MIN);
    await engineer.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: demo.groups.web, IpPermissions: perm(8080, "10.9.0.0/16") }));
    await engineer.send(new RevokeSecurityGroupIngressCommand({ GroupId: demo.groups.web, IpPermissions: perm(8080, "10.9.0.0/16") }));
    clock.advance(10 * MIN);
    app = makeApp();
    await app.cycle();
    await app.cycle();
    expect(count()).toBe(before + 2);
    const ids = reader.prepare("SELECT event_id FROM trail_events").all() as Array<{ event_id: string }>;
    expect(new Set(ids.map((r) => r.event_id)).size).toBe(ids.length);
  });

  it("catches a burst up over cycles, says how far behind it is, and never exceeds 2 calls a second per account-region", async () => {
    const region = sim.state.account(TEST_ACCOUNT).region(REGION);
    clock.advance(MIN);
    const burstFrom = new Date(Math.floor(clock.now().getTime() / 1000) * 1000).toISOString(); // CloudTrail keeps whole seconds
    // 400 calls in 400 seconds (in-process, each its own CloudTrail event): 8 pages of 50 and more than two cycles' bound of 3 pages.
    for (let i = 0; i < 200; i++) {
      region.authorizeIngress(demo.groups.db, [{ ipProtocol: "tcp", fromPort: 10000 + i, toPort: 10000 + i, ipRanges: [{ cidrIp: "10.50.0.0/16" }] }]);
      clock.advance(1000);
      region.revokeIngress(demo.groups.db, [{ ipProtocol: "tcp", fromPort: 10000 + i, toPort: 10000 + i, ipRanges: [{ cidrIp: "10.50.0.0/16" }] }]);
      clock.advance(1000);
    }
    const burst = (): number => (reader.prepare("SELECT count(*) AS n FROM trail_events WHERE event_time >= ? AND group_id = ?").get(burstFrom, demo.groups.db) as { n: number }).n;
    log.clear();
    clock.advance(MIN);
    await app.cycle();
    expect(burst()).toBe(150); // the bound: 3 pages of 50, newest first
    const behind = log.events("trail-behind");
    expect(behind).toHaveLength(1);
    expect(behind[0]?.msg).toMatch(/^CloudTrail sweep is behind: events from .* not read yet/);
    let cycles = 1;
    while (burst() < 400 && cycles < 12) {
      clock.advance(5 * MIN);
      await app.cycle();
      cycles++;
    }
    expect(burst()).toBe(400);
    // 8 pages at 3 a cycle, each cycle's head taking one for what is new: the burst is read once, not again while it lies in the overlap window.
    expect(cycles).toBe(4);
    log.clear();
    clock.advance(5 * MIN);
    await app.cycle();
    expect(log.events("trail-behind")).toHaveLength(0);
    expect(burst()).toBe(400);

    const stats = sim.cloudtrail.lookupStats(TEST_ACCOUNT, REGION);
    expect(stats.calls).toBeGreaterThan(10);
    expect(stats.throttled).toBe(0);
    expect(stats.maxPerSecond).toBeLessThanOrEqual(2);
  });

  it("re-reads a burst for late events to its end when that takes more cycles than one: the recheck shrinks, never starts over", async () => {
    const region = sim.state.account(TEST_ACCOUNT).region(REGION);
    const cursor = (): { backlog_from: string | null; recheck_from: string | null; recheck_until: string | null } =>
      reader.prepare("SELECT backlog_from, recheck_from, recheck_until FROM trail_cursors").get() as { backlog_from: string | null; recheck_from: string | null; recheck_until: string | null };
    clock.advance(MIN);
    const burstFrom = new Date(Math.floor(clock.now().getTime() / 1000) * 1000).toISOString();
    // 600 calls in 600 seconds: 12 pages, four cycles' bound. Read once as backlog, then again (the recheck: late events) over more cycles.
    for (let i = 0; i < 300; i++) {
      region.authorizeIngress(demo.groups.web, [{ ipProtocol: "tcp", fromPort: 20000 + i, toPort: 20000 + i, ipRanges: [{ cidrIp: "10.60.0.0/16" }] }]);
      clock.advance(1000);
      region.revokeIngress(demo.groups.web, [{ ipProtocol: "tcp", fromPort: 20000 + i, toPort: 20000 + i, ipRanges: [{ cidrIp: "10.60.0.0/16" }] }]);
      clock.advance(1000);
    }
    const burst = (): number => (reader.prepare("SELECT count(*) AS n FROM trail_events WHERE event_time >= ? AND group_id = ?").get(burstFrom, demo.groups.web) as { n: number }).n;
    const before = sim.cloudtrail.lookupStats(TEST_ACCOUNT, REGION);
    let cycles = 0;
    let recheckUntil: string | null = null;
    do {
      clock.advance(5 * MIN);
      await app.cycle();
      cycles++;
      const c = cursor();
      // Once only the recheck is left and it lies before the overlap window, its end only ever moves back.
      if (c.backlog_from === null && recheckUntil !== null && c.recheck_until !== null) expect(Date.parse(c.recheck_until)).toBeLessThanOrEqual(Date.parse(recheckUntil));
      recheckUntil = c.backlog_from === null ? c.recheck_until : null;
    } while ((cursor().backlog_from !== null || cursor().recheck_from !== null) && cycles < 30);
    expect(cursor()).toMatchObject({ backlog_from: null, recheck_from: null });
    expect(burst()).toBe(600);
    // 12 pages read, 12 re-read (with what is left of the last test's burst),
    // a head per cycle, 3 pages a cycle: 17 cycles. Re-read from its top each
    // cycle, the recheck would never end (30 cycles and more).
    expect(cycles).toBeLessThanOrEqual(20);
    const stats = sim.cloudtrail.lookupStats(TEST_ACCOUNT, REGION);
    expect(stats.throttled).toBe(before.throttled);
    expect(stats.maxPerSecond).toBeLessThanOrEqual(2);
  });

  /**
   * `pairs` rules opened and closed again on one group within the fake
   * clock's current second (CloudTrail's eventTime has whole seconds, so
   * their pages sort only by time). Returns that second and a count of its
   * stored events.
   */
  const burstInOneSecond = (groupId: string, pairs: number, fromPort: number, cidr: string): { second: string; inSecond: () => number } => {
    const region = sim.state.account(TEST_ACCOUNT).region(REGION);
    const second = new Date(Math.floor(clock.now().getTime() / 1000) * 1000).toISOString();
    const perm = (port: number) => [{ ipProtocol: "udp", fromPort: port, toPort: port, ipRanges: [{ cidrIp: cidr }] }];
    for (let i = 0; i < pairs; i++) {
      region.authorizeIngress(groupId, perm(fromPort + i));
      region.revokeIngress(groupId, perm(fromPort + i));
    }
    const inSecond = (): number => (reader.prepare("SELECT count(*) AS n FROM trail_events WHERE event_time = ?").get(second) as { n: number }).n;
    return { second, inSecond };
  };

  it("reads more than a page of events made in one second whole: none is skipped when the bound stops inside it", async () => {
    clock.advance(MIN);
    // 200 calls within one second: four pages.
    const { inSecond } = burstInOneSecond(demo.groups.app, 100, 30000, "10.70.0.0/16");
    for (let i = 0; i < 4 && inSecond() < 200; i++) {
      clock.advance(5 * MIN);
      await app.cycle();
    }
    expect(inSecond()).toBe(200);
  });

  it("keeps the pages read before CloudTrail fails part-way through a range: 600 events of one second, refused after eight pages", async () => {
    clock.advance(MIN);
    // Twelve pages in the head's newest second, which is read whole past the
    // page bound (test above); CloudTrail answers eight of them, then denies.
    const { second, inSecond } = burstInOneSecond(demo.groups.db, 300, 31000, "10.71.0.0/16");
    const sweptUntil = (): string => (reader.prepare("SELECT swept_until FROM trail_cursors").get() as { swept_until: string }).swept_until;
    const before = sweptUntil();
    sim.cloudtrail.failAfter(8, { code: "AccessDeniedException", message: "User is not authorized to perform: cloudtrail:LookupEvents" });
    try {
      const [failed] = await app.sweep();
      expect(failed).toMatchObject({ ok: false, error: expect.stringContaining("AccessDeniedException") });
      expect(sim.cloudtrail.refusedAfterLimit).toBe(1);
      // The eight pages' events are stored, and the log line says so; the cursor stays, so the second is read again.
      expect(inSecond()).toBe(400);
      expect(log.events("trail-sweep-failed").at(-1)).toMatchObject({ read: 400, stored: 400 });
      expect(sweptUntil()).toBe(before);
    } finally {
      sim.cloudtrail.restore();
    }
    // Now older than the head's newest second, the burst is caught up as a backlog (the tests above).
    for (let i = 0; i < 4 && inSecond() < 600; i++) {
      clock.advance(MIN);
      const [ok] = await app.sweep();
      expect(ok).toMatchObject({ ok: true });
    }
    const ids = (reader.prepare("SELECT event_id FROM trail_events WHERE event_time = ?").all(second) as Array<{ event_id: string }>).map((r) => r.event_id);
    expect(ids).toHaveLength(600);
    expect(new Set(ids).size).toBe(600);
  });

  it("attribution makes no lookups of its own: changes on four groups are attributed from the sweep's calls alone, never more than 2 a second", async () => {
    const statsBefore = sim.cloudtrail.lookupStats(TEST_ACCOUNT, REGION);
    clock.advance(MIN);
    // Changes on four groups: before attribution read the stored events, each group cost a lookup of its own.
    for (const [i, g] of [demo.groups.web, demo.groups.app, demo.groups.db, demo.groups.bastion].entries()) {
      await engineer.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: g, IpPermissions: perm(7000 + i, "10.99.0.0/16") }));
    }
    clock.advance(MIN);
    log.clear();
    const result = await app.cycle();
    expect(result.attribution).toMatchObject({ attributed: 4 });
    const stats = sim.cloudtrail.lookupStats(TEST_ACCOUNT, REGION);
    const sweepCalls = (result.trail ?? []).reduce((n, t) => n + t.calls, 0);
    expect(sweepCalls).toBeGreaterThanOrEqual(1);
    expect(stats.calls - statsBefore.calls).toBe(sweepCalls);
    const times = stats.times.slice(statsBefore.times.length);
    for (const t of times) expect(times.filter((u) => u > t - 1000 && u <= t).length).toBeLessThanOrEqual(2);
    expect(stats.throttled).toBe(statsBefore.throttled);
  });

  it("the simulator does throttle a client that ignores the budget (the counter above can fail)", async () => {
    const ct = new CloudTrailClient({ region: REGION, endpoint: sim.endpoint, credentials: MONITOR, maxAttempts: 1 });
    try {
      clock.advance(5000);
      const before = sim.cloudtrail.lookupStats(TEST_ACCOUNT, REGION).throttled;
      const calls = await Promise.allSettled([1, 2, 3].map(() => ct.send(new LookupEventsCommand({ MaxResults: 1 }))));
      expect(calls.filter((c) => c.status === "rejected").map((c) => (c as PromiseRejectedResult).reason)).toMatchObject([{ name: "ThrottlingException" }]);
      expect(sim.cloudtrail.lookupStats(TEST_ACCOUNT, REGION).throttled).toBe(before + 1);
    } finally {
      ct.destroy();
    }
  });

  it("a failing sweep changes nothing the polls recorded; trail-blind after three failures, restored after a good sweep", async () => {
    const pollTables = (): string =>
      JSON.stringify(["polls", "group_versions", "rule_versions", "change_events", "targets"].map((t) => reader.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()));
    const cursor = (): { swept_until: string; consecutive_failures: number; blind_since: string | null } =>
      reader.prepare("SELECT swept_until, consecutive_failures, blind_since FROM trail_cursors").get() as { swept_until: string; consecutive_failures: number; blind_since: string | null };
    const alerts = (kind: string): number => (reader.prepare("SELECT count(*) AS n FROM outbox WHERE kind = ?").get(kind) as { n: number }).n;
    clock.advance(5 * MIN);
    await app.cycle();
    const polled = pollTables();
    const sweptUntil = cursor().swept_until;
    const events = count();

    sim.cloudtrail.makeUnavailable({ code: "AccessDeniedException", message: "User is not authorized to perform: cloudtrail:LookupEvents" });
    await engineer.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: demo.groups.web, IpPermissions: perm(9090, "10.7.0.0/16") }));
    for (let i = 1; i <= 3; i++) {
      clock.advance(MIN);
      const [r] = await app.sweep();
      expect(r).toMatchObject({ ok: false, error: expect.stringContaining("AccessDeniedException") });
      expect(pollTables()).toBe(polled);
      expect(cursor()).toMatchObject({ swept_until: sweptUntil, consecutive_failures: i, blind_since: i < 3 ? null : clock.iso() });
      expect(alerts("trail-blind")).toBe(i < 3 ? 0 : 1);
    }
    expect(count()).toBe(events);
    const [blindAlert] = (reader.prepare("SELECT payload FROM outbox WHERE kind = 'trail-blind' LIMIT 1").all() as Array<{ payload: string }>).map((r) => JSON.parse(r.payload) as AlertPayload);
    expect(blindAlert).toMatchObject({ type: "trail-blind", failures: 3, lastSuccessAt: expect.any(String), lastError: expect.stringContaining("cloudtrail:LookupEvents") });
    const mail = renderEmail(blindAlert as AlertPayload);
    expect(mail.subject).toBe(`[sgwatch] HIGH: CloudTrail blind for ${TEST_ACCOUNT} ${REGION} (3 failed sweeps)`);
    expect(mail.text).toContain("Polls still record every change; until this is fixed, failed attempts and who made changes there go unseen.");
    const health = healthReport(app.db, true);
    expect(health).toMatchObject({ healthy: false, blind: [], trailBlind: [{ account: TEST_ACCOUNT, region: REGION, consecutiveFailures: 3 }] });
    expect(health.reasons).toEqual([expect.stringMatching(new RegExp(`^${TEST_ACCOUNT}/${REGION} is trail-blind since .* \\(3 failed CloudTrail sweeps in a row; last error: AccessDeniedException: `))]);
    const metric = async (): Promise<string | undefined> =>
      (await createMetrics(app.db, { processMetrics: false }).render()).split("\n").find((l) => l.startsWith("sgwatch_target_trail_blind{"));
    expect(await metric()).toBe(`sgwatch_target_trail_blind{account="${TEST_ACCOUNT}",region="${REGION}"} 1`);

    sim.cloudtrail.restore();
    clock.advance(MIN);
    const [ok] = await app.sweep();
    expect(ok).toMatchObject({ ok: true, restored: true });
    expect(alerts("trail-restored")).toBe(1);
    expect(cursor()).toMatchObject({ consecutive_failures: 0, blind_since: null });
    expect(healthReport(app.db, true)).toMatchObject({ healthy: true, trailBlind: [] });
    expect(await metric()).toBe(`sgwatch_target_trail_blind{account="${TEST_ACCOUNT}",region="${REGION}"} 0`);
    // The call made while blind is read from where the last good sweep ended.
    expect(rowsBy(ENGINEER.accessKeyId).filter((r) => r.rules_text === "add ingress TCP 9090 from 10.7.0.0/16")).toHaveLength(1);
  });
});
