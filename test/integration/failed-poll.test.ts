// Proves "never blind, never lying" with faults injected by the simulator:
// - a 500 on page 2 of a paginated DescribeSecurityGroups, an AuthFailure and
//   an UnauthorizedOperation each record a failed poll with a clear error, and
//   change nothing else: no change events, no interval closed (a half-read
//   account must not read as deleted groups);
// - after monitoring.blindAfterFailures failures one monitoring-blind alert
//   (not one per failure), and one monitoring-restored after the next good
//   poll, which also reports the drift made while sgwatch was blind;
// - with two targets (two regions), one failing does not stop the other.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import BetterSqlite3, { type Database } from "better-sqlite3";
import { AuthorizeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import { App } from "../../src/daemon/app.js";
import { startMailSink, type MailSink } from "../../src/demo/mail-sink.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { startSimHarness, INTRUDER, MONITOR, type SimHarness } from "../support/sim-harness.js";
import { writeTestConfig, loadTestConfig, TEST_ACCOUNT } from "../support/config-file.js";
import { captureLog, type CapturedLog } from "../support/log-capture.js";
import { fakeClock, type FakeClock } from "../support/fake-clock.js";
import { parseMessages } from "../support/mailbox.js";
import { tableCounts } from "../support/db-counts.js";

const FIVE_MIN = 5 * 60_000;
/** More than one DescribeSecurityGroups page (sgwatch asks for 1000 per page). */
const EXTRA_GROUPS = 1100;

interface PollRow {
  id: number;
  status: string;
  pages: number | null;
  error_code: string | null;
  error: string | null;
  started_at: string;
}

describe("failed polls against one paginated target", () => {
  let tmp: TempDir;
  let harness: SimHarness;
  let sink: MailSink;
  let log: CapturedLog;
  let clock: FakeClock;
  let app: App;
  let db: Database;
  let stateSnapshot: string;

  beforeAll(async () => {
    tmp = makeTempDir();
    harness = await startSimHarness();
    const region = harness.sim.state.account(TEST_ACCOUNT).region("us-east-1");
    harness.sim.state.withoutMutationLog(() => {
      for (let i = 0; i < EXTRA_GROUPS; i++) region.createGroup({ groupName: `svc-${String(i).padStart(4, "0")}`, description: `service ${i}`, vpcId: harness.demo.vpcId });
    });
    sink = await startMailSink();
    log = captureLog();
    clock = fakeClock();
    const files = writeTestConfig({ dir: tmp.path, endpoint: harness.endpoint, smtpPort: sink.port, extra: { monitoring: { blindAfterFailures: 2 } } });
    app = new App({ config: loadTestConfig(files), logger: log.logger, env: {}, clock: clock.clock, credentials: MONITOR });
    db = new BetterSqlite3(files.databasePath, { readonly: true });
  });

  afterAll(async () => {
    db?.close();
    await app?.close();
    await sink?.close();
    await harness?.close();
    tmp?.remove();
  });

  const lastPoll = (): PollRow => db.prepare("SELECT * FROM polls ORDER BY id DESC LIMIT 1").get() as PollRow;
  const storedState = (): string =>
    JSON.stringify([db.prepare("SELECT * FROM group_versions ORDER BY id").all(), db.prepare("SELECT * FROM rule_versions ORDER BY id").all()]);
  const outboxKinds = (): string[] => (db.prepare("SELECT channel || ':' || kind AS k FROM outbox ORDER BY id").all() as Array<{ k: string }>).map((r) => r.k);
  const assertNothingButAFailedPoll = (): void => {
    expect(tableCounts(db).change_events).toBe(0);
    expect(storedState()).toBe(stateSnapshot);
    expect((db.prepare("SELECT count(*) AS n FROM rule_versions WHERE removed_poll_id IS NOT NULL").get() as { n: number }).n).toBe(0);
  };

  it("baselines every page", async () => {
    const r = await app.cycle();
    expect(r.targets[0]).toMatchObject({ ok: true, baseline: true, pages: 2, groups: 5 + EXTRA_GROUPS });
    expect(lastPoll()).toMatchObject({ status: "ok", pages: 2 });
    stateSnapshot = storedState();
  });

  it("records a 500 on page 2 as a failed poll and changes nothing", async () => {
    // Real drift is waiting, so a partial read would have something to (mis)report.
    await harness.client(INTRUDER).send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: harness.demo.groups.bastion,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
      }),
    );
    harness.sim.faults.add({ kind: "internal-error", action: "DescribeSecurityGroups", page: 2 });
    harness.sim.requests.length = 0;
    clock.advance(FIVE_MIN);
    const r = await app.cycle();

    // Page 1 arrived, page 2 failed: the fault hit where intended.
    const describes = harness.sim.requests.filter((q) => q.action === "DescribeSecurityGroups");
    expect(describes.map((q) => [q.status, q.fault ?? null])).toEqual([
      [200, null],
      [500, "internal-error"],
    ]);
    expect(r.targets[0]).toMatchObject({ ok: false, judged: [], error: { code: "InternalError" } });
    expect(lastPoll()).toMatchObject({ status: "failed", pages: null, error_code: "InternalError" });
    expect(lastPoll().error).toMatch(/HTTP 500/);
    assertNothingButAFailedPoll();
    expect(outboxKinds()).toEqual([]);
  });

  it("records AuthFailure; the second failure in a row raises one monitoring-blind alert", async () => {
    harness.sim.faults.clear();
    harness.sim.faults.add({ kind: "auth-failure", action: "DescribeSecurityGroups" });
    clock.advance(FIVE_MIN);
    const r = await app.cycle();
    await app.dispatch();
    expect(r.targets[0]).toMatchObject({ ok: false, error: { code: "AuthFailure" } });
    expect(lastPoll().error).toMatch(/rejected the credentials/);
    assertNothingButAFailedPoll();
    expect(outboxKinds()).toEqual(["log:monitoring-blind", "email:monitoring-blind"]);
    const firstFailed = db.prepare("SELECT started_at FROM polls WHERE status = 'failed' ORDER BY id LIMIT 1").get() as { started_at: string };
    expect(db.prepare("SELECT consecutive_failures, blind_since FROM targets").get()).toEqual({ consecutive_failures: 2, blind_since: firstFailed.started_at });
    expect(log.events("monitoring-blind")).toEqual([expect.objectContaining({ level: "error", failures: 2 })]);
    const mails = await parseMessages(sink);
    expect(mails.map((m) => m.subject)).toEqual([`[sgwatch] HIGH: monitoring blind for ${TEST_ACCOUNT} us-east-1 (2 failed polls)`]);
  });

  it("records UnauthorizedOperation naming ec2:DescribeSecurityGroups, without a second blind alert", async () => {
    harness.sim.faults.clear();
    harness.sim.faults.add({ kind: "unauthorized", action: "DescribeSecurityGroups" });
    clock.advance(FIVE_MIN);
    const r = await app.cycle();
    await app.dispatch();
    expect(r.targets[0]).toMatchObject({ ok: false, error: { code: "UnauthorizedOperation" } });
    expect(r.targets[0]?.error?.message).toContain("ec2:DescribeSecurityGroups");
    expect(lastPoll()).toMatchObject({ status: "failed", error_code: "UnauthorizedOperation" });
    expect(lastPoll().error).toContain("ec2:DescribeSecurityGroups");
    assertNothingButAFailedPoll();
    expect(outboxKinds()).toEqual(["log:monitoring-blind", "email:monitoring-blind"]);
    expect(db.prepare("SELECT consecutive_failures FROM targets").get()).toEqual({ consecutive_failures: 3 });
    expect(sink.messages).toHaveLength(1);
  });

  it("raises monitoring-restored after a good poll, which reports the drift made while blind", async () => {
    harness.sim.faults.clear();
    clock.advance(FIVE_MIN);
    const r = await app.cycle();
    await app.dispatch();
    expect(r.targets[0]).toMatchObject({ ok: true, baseline: false, pages: 2 });
    expect(outboxKinds()).toEqual([
      "log:monitoring-blind",
      "email:monitoring-blind",
      "log:drift",
      "email:drift",
      "log:monitoring-restored",
      "email:monitoring-restored",
    ]);
    const changes = db.prepare("SELECT kind, group_id, ports, source, severity, status FROM changes").all();
    expect(changes).toEqual([
      { kind: "rule-added", group_id: harness.demo.groups.bastion, ports: "22", source: "0.0.0.0/0", severity: "critical", status: "unapproved" },
    ]);
    // The change may have happened any time since the last good poll (the baseline).
    const baseline = db.prepare("SELECT finished_at FROM polls WHERE baseline = 1").get() as { finished_at: string };
    expect(db.prepare("SELECT since_previous_poll FROM changes").get()).toEqual({ since_previous_poll: baseline.finished_at });
    expect(db.prepare("SELECT consecutive_failures, blind_since, last_error FROM targets").get()).toEqual({ consecutive_failures: 0, blind_since: null, last_error: null });
    const subjects = (await parseMessages(sink)).map((m) => m.subject);
    expect(subjects).toHaveLength(3);
    expect(subjects).toContain(`[sgwatch] monitoring restored for ${TEST_ACCOUNT} us-east-1`);
    expect(subjects).toContain("[sgwatch] CRITICAL bastion: tcp/22 opened to the internet");
  });
});

describe("two targets, one failing", () => {
  let tmp: TempDir;
  let harness: SimHarness;
  let app: App;
  let db: Database;

  beforeAll(async () => {
    tmp = makeTempDir();
    harness = await startSimHarness({ regions: ["us-east-1", "us-west-2"] });
    const files = writeTestConfig({ dir: tmp.path, endpoint: harness.endpoint, regions: ["us-east-1", "us-west-2"] });
    app = new App({ config: loadTestConfig(files), logger: captureLog().logger, env: {}, clock: fakeClock().clock, credentials: MONITOR });
    db = new BetterSqlite3(files.databasePath, { readonly: true });
  });

  afterAll(async () => {
    db?.close();
    await app?.close();
    await harness?.close();
    tmp?.remove();
  });

  it("records the healthy region's poll and changes while the other fails", async () => {
    harness.sim.faults.add({ kind: "internal-error", region: "us-west-2" });
    const first = await app.cycle();
    expect(first.targets.map((t) => [t.region, t.ok])).toEqual([
      ["us-east-1", true],
      ["us-west-2", false],
    ]);

    await harness.client(INTRUDER, "us-east-1").send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: harness.demo.groups.web,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 3389, ToPort: 3389, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
      }),
    );
    const second = await app.cycle();
    expect(second.targets.map((t) => [t.region, t.ok, t.judged.length])).toEqual([
      ["us-east-1", true, 1],
      ["us-west-2", false, 0],
    ]);
    const polls = db
      .prepare("SELECT t.region, p.status FROM polls p JOIN targets t ON t.id = p.target_id ORDER BY p.id")
      .all() as Array<{ region: string; status: string }>;
    expect(polls.filter((p) => p.region === "us-east-1").map((p) => p.status)).toEqual(["ok", "ok"]);
    expect(polls.filter((p) => p.region === "us-west-2").map((p) => p.status)).toEqual(["failed", "failed"]);
    expect(db.prepare("SELECT region, kind, ports, severity FROM changes").all()).toEqual([
      { region: "us-east-1", kind: "rule-added", ports: "3389", severity: "critical" },
    ]);
    expect((db.prepare("SELECT count(*) AS n FROM group_versions g JOIN targets t ON t.id = g.target_id WHERE t.region = 'us-west-2'").get() as { n: number }).n).toBe(0);
  });
});
