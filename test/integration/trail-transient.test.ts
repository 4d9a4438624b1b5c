// Short-lived openings and exposure from the record, end to end with real
// parts: people call the simulator through the real EC2 SDK, the real App
// polls it, sweeps its CloudTrail with the real CloudTrail SDK and joins the
// two stores in a real SQLite file; alerts go to a real SMTP server and a
// real webhook receiver, and the CLI runs as a child process. It proves:
// a rule opened and closed between two polls is a transient change, alerted
// in every channel with its CloudTrail times; a rule a poll saw is not, and
// its exposure is measured between CloudTrail's times instead of the polls';
// events arriving after the next poll are still classified right; an opening
// whose deciding poll has not run yet waits; nothing is reported twice across
// re-runs and a restart; an approved one is recorded with its record, not
// alerted; one opened and closed inside a run of unchanged polls (one polls
// row extended in place, migration 0014) on a quiet target is still decided.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import BetterSqlite3, { type Database } from "better-sqlite3";
import { AuthorizeSecurityGroupIngressCommand, ModifySecurityGroupRulesCommand, RevokeSecurityGroupIngressCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { App } from "../../src/daemon/app.js";
import { startSimulator, type Simulator } from "../../src/sim/server.js";
import { seedDemoAccount, type DemoAccount } from "../../src/sim/seed-demo.js";
import { startMailSink, type MailSink } from "../../src/demo/mail-sink.js";
import type { TransientAlert } from "../../src/model/alert-payload.js";
import type { ChangeViewRow } from "../../src/store/view-rows.js";
import type { Config } from "../../src/config/schema.js";
import { ec2As } from "../support/ec2-as.js";
import { ENGINEER, INTRUDER, MONITOR } from "../support/sim-harness.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { writeTestConfig, loadTestConfig, TEST_ACCOUNT, type TestConfigFiles } from "../support/config-file.js";
import { captureLog, type CapturedLog } from "../support/log-capture.js";
import { fakeClock, REFERENCE_INSTANT, type FakeClock } from "../support/fake-clock.js";
import { parseMessages } from "../support/mailbox.js";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.js";
import { assertBuilt, runCli } from "../support/cli.js";
import { writeApproval } from "../support/approval-file.js";

const MIN = 60_000;
const STOLEN_FROM = "203.0.113.66";
const INTRUDER_ARN = `arn:aws:iam::${TEST_ACCOUNT}:user/deploy-bot`;
const world = (port: number) => [{ IpProtocol: "tcp", FromPort: port, ToPort: port, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }];

describe("transient openings and CloudTrail times", () => {
  let tmp: TempDir;
  let sim: Simulator;
  let sink: MailSink;
  let hook: WebhookReceiver;
  let demo: DemoAccount;
  let clock: FakeClock;
  let files: TestConfigFiles;
  let config: Config;
  let log: CapturedLog;
  let app: App;
  let reader: Database;
  let engineer: EC2Client;
  let intruder: EC2Client;

  const newApp = (): App => new App({ config, logger: log.logger, env: {}, clock: clock.clock, credentials: MONITOR, sleep: async (ms) => void clock.advance(ms) });

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    tmp = makeTempDir();
    clock = fakeClock(REFERENCE_INSTANT);
    sim = await startSimulator({ clock: clock.clock, trustForwardedFor: true });
    sim.cloudtrail.lookupRateLimit = 2;
    demo = seedDemoAccount(sim.state, { region: "us-east-1" });
    sim.cloudtrail.mapIdentity(INTRUDER.accessKeyId, { userName: "deploy-bot" });
    sim.cloudtrail.mapIdentity(ENGINEER.accessKeyId, { userName: "alice" });
    engineer = ec2As(sim, ENGINEER, "10.1.2.3", "terraform/1.9.5");
    intruder = ec2As(sim, INTRUDER, STOLEN_FROM, "python-requests/2.31");
    sink = await startMailSink();
    hook = await startWebhookReceiver();
    files = writeTestConfig({ dir: tmp.path, endpoint: sim.endpoint, smtpPort: sink.port, extra: { cloudtrail: { enabled: true }, alerts: { ...alertsWithWebhook() } } });
    config = loadTestConfig(files);
    log = captureLog();
    app = newApp();
    reader = new BetterSqlite3(files.databasePath, { readonly: true });
    await app.cycle(); // baseline at 10:00:00
  });

  // The test config's alerts block with the webhook receiver added (the helper merges one level deep).
  function alertsWithWebhook(): Record<string, unknown> {
    return {
      log: { minSeverity: "low" },
      baselinePosture: false,
      email: { host: "127.0.0.1", port: sink.port, from: "sgwatch@test.example", to: ["ops@test.example"], minSeverity: "low" },
      webhook: { url: `${hook.url}/hook` },
    };
  }

  afterAll(async () => {
    reader?.close();
    engineer?.destroy();
    intruder?.destroy();
    await app?.close();
    await sink?.close();
    await hook?.close();
    await sim?.close();
    tmp?.remove();
  });

  const rows = (where = "1"): ChangeViewRow[] => reader.prepare(`SELECT * FROM changes WHERE ${where} ORDER BY id`).all() as ChangeViewRow[];
  const transientAlerts = (channel = "log"): TransientAlert[] =>
    (reader.prepare("SELECT payload FROM outbox WHERE kind = 'transient' AND channel = ? ORDER BY id").all(channel) as Array<{ payload: string }>).map((r) => JSON.parse(r.payload) as TransientAlert);

  it("tcp/3306 opened to the world and closed 10 s later between two polls is a transient change, alerted in the log, by email and webhook with its CloudTrail times", async () => {
    clock.advance(MIN); // 10:01:00
    await intruder.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: demo.groups.db, IpPermissions: world(3306) }));
    clock.advance(10_000);
    await intruder.send(new RevokeSecurityGroupIngressCommand({ GroupId: demo.groups.db, IpPermissions: world(3306) }));
    clock.advance(MIN); // 10:02:10
    const result = await app.cycle();
    // The poll compares two identical states: no change of its own.
    expect(result.targets[0]).toMatchObject({ ok: true, judged: [] });
    expect(result.join).toEqual([{ account: TEST_ACCOUNT, region: "us-east-1", transients: 1, alerted: 1, waiting: 0, timed: 0 }]);

    const [row] = rows("status = 'transient'");
    expect(row).toMatchObject({
      kind: "rule-added",
      group_id: demo.groups.db,
      direction: "ingress",
      protocol: "tcp",
      ports: "3306",
      source: "0.0.0.0/0",
      status: "transient",
      detected_status: "unapproved",
      exposure: "10 s",
      changed_at: "2026-03-02T10:01:00.000Z",
      changed_from: "cloudtrail",
      undone_at: "2026-03-02T10:01:10.000Z",
      undone_from: "cloudtrail",
      who: INTRUDER_ARN,
      who_ip: STOLEN_FROM,
      who_key: INTRUDER.accessKeyId,
      who_match: "exact",
      time: "2026-03-02T10:02:10.000Z",
      since_previous_poll: "2026-03-02T10:00:00.000Z",
    });

    // One alert per channel; the log's is the full payload.
    for (const channel of ["log", "email", "webhook"]) expect(transientAlerts(channel)).toHaveLength(1);
    const [alert] = transientAlerts();
    expect(alert?.items).toEqual([
      expect.objectContaining({
        openedAt: "2026-03-02T10:01:00.000Z",
        closedAt: "2026-03-02T10:01:10.000Z",
        seconds: 10,
        openedBy: expect.objectContaining({ eventName: "AuthorizeSecurityGroupIngress", arn: INTRUDER_ARN, accessKeyId: INTRUDER.accessKeyId, sourceIp: STOLEN_FROM }),
        closedBy: expect.objectContaining({ eventName: "RevokeSecurityGroupIngress", arn: INTRUDER_ARN }),
        previousPollAt: "2026-03-02T10:00:00.000Z",
        nextPollAt: "2026-03-02T10:02:10.000Z",
      }),
    ]);

    await app.dispatch();
    const line = `tcp/3306 was open to 0.0.0.0/0 for 10 s, 2026-03-02 10:01:00–10:01:10 UTC, by ${INTRUDER_ARN} (key ${INTRUDER.accessKeyId}) from ${STOLEN_FROM}; no poll saw it`;
    const logged = log.events("transient");
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ changeId: row?.id, seconds: 10, timesFrom: "cloudtrail", sourceIp: STOLEN_FROM, accessKeyId: INTRUDER.accessKeyId });
    expect(logged[0]?.msg).toContain(line);

    const mail = (await parseMessages(sink)).find((m) => /no poll saw it/.test(m.subject ?? ""));
    expect(mail?.subject).toMatch(/^\[sgwatch\] (CRITICAL|HIGH) db: tcp\/3306 was open to 0\.0\.0\.0\/0 for 10 s between two polls; no poll saw it$/);
    expect(mail?.text).toContain(line);
    expect(mail?.text).toContain("times from CloudTrail; polls at 2026-03-02T10:00:00.000Z and 2026-03-02T10:02:10.000Z saw neither");
    expect(mail?.text).toContain(`sgwatch ack ${row?.id}`);

    const posted = hook.requests.map((r) => JSON.parse(r.body) as { type: string; payload: TransientAlert }).filter((b) => b.type === "transient");
    expect(posted).toHaveLength(1);
    expect(posted[0]?.payload.items[0]).toMatchObject({ seconds: 10, openedAt: "2026-03-02T10:01:00.000Z", change: { changeId: row?.id, kind: "rule-added" } });
  });

  it("a rule a poll saw is an ordinary change, not transient; its exposure is measured between CloudTrail's times and says so", async () => {
    clock.advance(MIN); // 10:03:10
    const addedAt = clock.iso();
    await engineer.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: demo.groups.app, IpPermissions: world(5432) }));
    clock.advance(20_000);
    await app.cycle(); // the poll sees it
    clock.advance(10_000);
    const removedAt = clock.iso();
    await engineer.send(new RevokeSecurityGroupIngressCommand({ GroupId: demo.groups.app, IpPermissions: world(5432) }));
    clock.advance(25_000);
    const result = await app.cycle(); // the poll sees it gone
    expect(result.join?.[0]).toMatchObject({ transients: 0 });

    const changes = rows("ports = '5432'");
    expect(changes.map((r) => [r.kind, r.status])).toEqual([
      ["rule-added", "reverted"],
      // The removal undid the unapproved addition: it closed that incident.
      ["rule-removed", "revert"],
    ]);
    // Between the polls it was 35 s; CloudTrail says 30 s, and each time says where it came from.
    expect(changes[0]).toMatchObject({ changed_at: addedAt, changed_from: "cloudtrail", undone_at: removedAt, undone_from: "cloudtrail", exposure: "30 s" });
    expect(changes[1]).toMatchObject({ changed_at: removedAt, changed_from: "cloudtrail" });
    // The closed alert went out when the poll saw the removal, before the sweep read it: poll times, said so.
    const closed = reader.prepare("SELECT payload FROM outbox WHERE kind = 'closed' AND channel = 'log'").all() as Array<{ payload: string }>;
    expect(closed.map((c) => (JSON.parse(c.payload) as { items: Array<{ exposureSeconds: number }> }).items[0]?.exposureSeconds)).toEqual([35]);
    expect(transientAlerts()).toHaveLength(1);
  });

  it("events that arrive after the next poll are still classified right", async () => {
    sim.cloudtrail.delayMs = 5 * MIN;
    try {
      clock.advance(MIN);
      const openedAt = clock.iso();
      await intruder.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: demo.groups.web, IpPermissions: world(6379) }));
      clock.advance(5_000);
      await intruder.send(new RevokeSecurityGroupIngressCommand({ GroupId: demo.groups.web, IpPermissions: world(6379) }));
      clock.advance(MIN);
      const first = await app.cycle(); // the deciding poll; CloudTrail has delivered nothing yet
      expect(first.trail?.[0]).toMatchObject({ ok: true, stored: 0 });
      expect(rows("ports = '6379'")).toEqual([]);
      clock.advance(5 * MIN);
      const late = await app.cycle();
      expect(late.join?.[0]).toMatchObject({ transients: 1 });
      expect(rows("ports = '6379'")).toEqual([expect.objectContaining({ status: "transient", exposure: "5 s", changed_at: openedAt, changed_from: "cloudtrail" })]);
    } finally {
      sim.cloudtrail.delayMs = 0;
    }
  });

  it("an opening whose deciding poll has not run waits, and is decided by a later join", async () => {
    clock.advance(MIN);
    await intruder.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: demo.groups.bastion, IpPermissions: world(11211) }));
    clock.advance(3_000);
    await intruder.send(new RevokeSecurityGroupIngressCommand({ GroupId: demo.groups.bastion, IpPermissions: world(11211) }));
    clock.advance(1_000);
    // The sweep reads both calls before any poll after them: no verdict yet.
    await app.sweep();
    expect(app.join([])).toEqual([expect.objectContaining({ transients: 0, waiting: 1 })]);
    expect(rows("ports = '11211'")).toEqual([]);
    clock.advance(MIN);
    await app.cycle();
    expect(rows("ports = '11211'")).toEqual([expect.objectContaining({ status: "transient", exposure: "3 s" })]);
  });

  it("is never reported twice: joins re-run, the overlap re-read, a restart", async () => {
    const before = { rows: rows("status = 'transient'").length, alerts: transientAlerts().length };
    expect(before).toEqual({ rows: 3, alerts: 3 });
    for (let i = 0; i < 3; i++) expect(app.join([]).map((r) => r.transients)).toEqual([0]);
    await app.close();
    app = newApp();
    clock.advance(MIN);
    const after = await app.cycle();
    expect(after.trail?.[0]?.read).toBeGreaterThan(0); // the overlap window read the same calls again
    expect(after.join?.[0]).toMatchObject({ transients: 0 });
    expect({ rows: rows("status = 'transient'").length, alerts: transientAlerts().length }).toEqual(before);
  });

  it("sgwatch changes shows them with status transient, the exposure and its source, in text and JSON", async () => {
    assertBuilt();
    const text = await runCli(["--db", files.databasePath, "changes", "--since", "2026-03-02", "--status", "transient"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/transient \(unapproved, open 10 s \(cloudtrail\)\)/);
    // The rule, not the digits: a random group id (sg-…5432…) may hold them.
    expect(text.stdout).not.toContain("tcp 5432 ");
    const json = await runCli(["--db", files.databasePath, "changes", "--since", "2026-03-02", "--json"]);
    const all = JSON.parse(json.stdout) as ChangeViewRow[];
    expect(all.filter((r) => r.status === "transient").map((r) => r.ports).sort()).toEqual(["11211", "3306", "6379"]);
    expect(all.find((r) => r.ports === "5432" && r.kind === "rule-added")).toMatchObject({ changed_from: "cloudtrail", undone_from: "cloudtrail", exposure: "30 s" });
  });

  it("an approved transient is recorded with its record, not alerted", async () => {
    writeApproval(files.approvalsDir, {
      id: "CHG-7001",
      groupId: demo.groups.app,
      from: new Date(clock.now().getTime() - 60 * MIN).toISOString(),
      until: new Date(clock.now().getTime() + 60 * MIN).toISOString(),
      changes: [{ action: "add", direction: "ingress", protocol: "tcp", ports: 8080, source: "10.0.0.0/8" }],
    });
    const lan = [{ IpProtocol: "tcp", FromPort: 8080, ToPort: 8080, IpRanges: [{ CidrIp: "10.0.0.0/8" }] }];
    const alertsBefore = transientAlerts().length;
    clock.advance(MIN);
    await engineer.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: demo.groups.app, IpPermissions: lan }));
    clock.advance(15_000);
    await engineer.send(new RevokeSecurityGroupIngressCommand({ GroupId: demo.groups.app, IpPermissions: lan }));
    clock.advance(MIN);
    const result = await app.cycle();
    expect(result.join?.[0]).toMatchObject({ transients: 1, alerted: 0 });
    expect(rows("ports = '8080'")).toEqual([expect.objectContaining({ status: "transient", detected_status: "approved", approval_id: "CHG-7001", exposure: "15 s", who: `arn:aws:iam::${TEST_ACCOUNT}:user/alice` })]);
    expect(transientAlerts()).toHaveLength(alertsBefore);
  });

  it("an opening between two polls of a run of unchanged polls (one polls row, extended in place) is still decided, on the next poll", async () => {
    // A quiet target: its unchanged polls coalesce into one run row, whose start is before the opening.
    for (let i = 0; i < 2; i++) {
      clock.advance(5 * MIN);
      await app.cycle();
    }
    const run = reader.prepare("SELECT id, run, poll_count FROM polls ORDER BY id DESC LIMIT 1").get() as { id: number; run: number; poll_count: number };
    expect(run).toMatchObject({ run: 1 });
    clock.advance(MIN);
    await intruder.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: demo.groups.db, IpPermissions: world(27017) }));
    clock.advance(10_000);
    await intruder.send(new RevokeSecurityGroupIngressCommand({ GroupId: demo.groups.db, IpPermissions: world(27017) }));
    clock.advance(4 * MIN);
    const result = await app.cycle();
    // The deciding poll extended the same run row: it is the poll after the opening.
    expect(reader.prepare("SELECT id, poll_count FROM polls ORDER BY id DESC LIMIT 1").get()).toEqual({ id: run.id, poll_count: run.poll_count + 1 });
    expect(result.join?.[0]).toMatchObject({ transients: 1, alerted: 1, waiting: 0 });
    expect(rows("ports = '27017'")).toEqual([expect.objectContaining({ status: "transient", exposure: "10 s" })]);
  });
  // --- Rules named by sgr- id (revoke by id, ModifySecurityGroupRules) --------

  const region = () => sim.state.account(TEST_ACCOUNT).region("us-east-1");
  const secondIso = (): string => clock.iso().replace(/\.\d+Z$/, "Z");
  /** A revoke by rule id as an older CloudTrail record has it: the ids, and no responseElements. */
  const revokeByIdRecord = (eventID: string, groupId: string, ruleId: string, who: { key: string; user: string; ip: string }) => ({
    eventID,
    eventTime: secondIso(),
    eventName: "RevokeSecurityGroupIngress",
    eventSource: "ec2.amazonaws.com",
    awsRegion: "us-east-1",
    recipientAccountId: TEST_ACCOUNT,
    userIdentity: { type: "IAMUser", arn: `arn:aws:iam::${TEST_ACCOUNT}:user/${who.user}`, accountId: TEST_ACCOUNT, accessKeyId: who.key, userName: who.user },
    sourceIPAddress: who.ip,
    userAgent: "aws-cli/2.15.0",
    requestParameters: { groupId, securityGroupRuleIds: { items: [{ securityGroupRuleId: ruleId }] } },
    responseElements: null,
    readOnly: false,
  });

  it("tcp/3306 opened and revoked by its rule id between two polls is transient once; the simulator records the ids the revoke named", async () => {
    clock.advance(MIN);
    const out = await intruder.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: demo.groups.db, IpPermissions: world(3306) }));
    const ruleId = out.SecurityGroupRules?.[0]?.SecurityGroupRuleId as string;
    expect(ruleId).toMatch(/^sgr-/);
    clock.advance(4_000);
    await intruder.send(new RevokeSecurityGroupIngressCommand({ GroupId: demo.groups.db, SecurityGroupRuleIds: [ruleId] }));
    clock.advance(MIN);
    const result = await app.cycle();
    expect(result.join?.[0]).toMatchObject({ transients: 1 });
    const record = JSON.parse(
      (reader.prepare("SELECT record FROM trail_events WHERE event_name = 'RevokeSecurityGroupIngress' ORDER BY event_time DESC LIMIT 1").get() as { record: string }).record,
    ) as { requestParameters: unknown; responseElements: { revokedSecurityGroupRuleSet: { items: Array<{ securityGroupRuleId: string }> } } };
    expect(record.requestParameters).toEqual({ groupId: demo.groups.db, securityGroupRuleIds: { items: [{ securityGroupRuleId: ruleId }] } });
    expect(record.responseElements.revokedSecurityGroupRuleSet.items.map((i) => i.securityGroupRuleId)).toEqual([ruleId]);
    expect(rows("status = 'transient' AND ports = '3306' AND exposure = '4 s'")).toHaveLength(1);
    clock.advance(MIN);
    expect((await app.cycle()).join?.[0]).toMatchObject({ transients: 0 });
  });

  it("a revoke by rule id recorded without responseElements still closes the opening its Authorize gave that id: transient exactly once", async () => {
    clock.advance(MIN);
    const openedAt = clock.iso();
    const out = await intruder.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: demo.groups.db, IpPermissions: world(3306) }));
    const ruleId = out.SecurityGroupRules?.[0]?.SecurityGroupRuleId as string;
    clock.advance(20_000);
    const closedAt = clock.iso();
    // The rule goes, and CloudTrail's record of it names only the id.
    sim.state.withoutMutationLog(() => region().revokeRuleIds(demo.groups.db, false, [ruleId]));
    sim.cloudtrail.seed({ Records: [revokeByIdRecord("5eed0000-0000-4000-a000-000000000011", demo.groups.db, ruleId, { key: INTRUDER.accessKeyId, user: "deploy-bot", ip: STOLEN_FROM })] });
    clock.advance(MIN);
    const result = await app.cycle();
    expect(result.join?.[0]).toMatchObject({ transients: 1, alerted: 1 });
    expect(rows(`status = 'transient' AND ports = '3306' AND changed_at = '${openedAt}'`)).toEqual([
      expect.objectContaining({ exposure: "20 s", undone_at: closedAt, undone_from: "cloudtrail", who: INTRUDER_ARN }),
    ]);
    const [alert] = transientAlerts().slice(-1);
    expect(alert?.items[0]).toMatchObject({ seconds: 20, closedBy: { eventName: "RevokeSecurityGroupIngress", eventId: "5eed0000-0000-4000-a000-000000000011" } });
    for (let i = 0; i < 2; i++) {
      clock.advance(MIN);
      expect((await app.cycle()).join?.[0]).toMatchObject({ transients: 0 });
    }
    expect(rows(`status = 'transient' AND changed_at = '${openedAt}'`)).toHaveLength(1);
  });

  it("a rule a poll saw, revoked by its rule id without responseElements: the removal and the exposure take CloudTrail's times", async () => {
    clock.advance(MIN);
    const addedAt = clock.iso();
    const out = await engineer.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: demo.groups.app, IpPermissions: world(5433) }));
    const ruleId = out.SecurityGroupRules?.[0]?.SecurityGroupRuleId as string;
    clock.advance(20_000);
    await app.cycle(); // the poll sees it
    clock.advance(10_000);
    const removedAt = clock.iso();
    sim.state.withoutMutationLog(() => region().revokeRuleIds(demo.groups.app, false, [ruleId]));
    sim.cloudtrail.seed({ Records: [revokeByIdRecord("5eed0000-0000-4000-a000-000000000012", demo.groups.app, ruleId, { key: ENGINEER.accessKeyId, user: "alice", ip: "10.1.2.3" })] });
    clock.advance(25_000);
    await app.cycle(); // the poll sees it gone
    const changes = rows("ports = '5433'");
    expect(changes.map((r) => [r.kind, r.status])).toEqual([
      ["rule-added", "reverted"],
      ["rule-removed", "revert"],
    ]);
    // Between the polls it was 35 s; CloudTrail says 30 s.
    expect(changes[0]).toMatchObject({ changed_at: addedAt, changed_from: "cloudtrail", undone_at: removedAt, undone_from: "cloudtrail", exposure: "30 s" });
    expect(changes[1]).toMatchObject({ changed_at: removedAt, changed_from: "cloudtrail" });
  });

  it("a rule changed by ModifySecurityGroupRules and changed back: both sides take the modify calls' times, so the exposure is CloudTrail's", async () => {
    clock.advance(MIN);
    const out = await engineer.send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId: demo.groups.app, IpPermissions: [{ IpProtocol: "tcp", FromPort: 9200, ToPort: 9200, IpRanges: [{ CidrIp: "10.0.0.0/8" }] }] }),
    );
    const ruleId = out.SecurityGroupRules?.[0]?.SecurityGroupRuleId as string;
    clock.advance(MIN);
    await app.cycle(); // the poll sees tcp/9200 from 10.0.0.0/8
    clock.advance(10_000);
    const openedAt = clock.iso();
    const modify = (cidr: string) =>
      engineer.send(new ModifySecurityGroupRulesCommand({ GroupId: demo.groups.app, SecurityGroupRules: [{ SecurityGroupRuleId: ruleId, SecurityGroupRule: { IpProtocol: "tcp", FromPort: 9200, ToPort: 9200, CidrIpv4: cidr } }] }));
    await modify("0.0.0.0/0");
    clock.advance(20_000);
    await app.cycle(); // the poll sees 10.0.0.0/8 removed and 0.0.0.0/0 added
    clock.advance(10_000);
    const closedAt = clock.iso();
    await modify("10.0.0.0/8");
    clock.advance(15_000);
    await app.cycle(); // the poll sees it back
    const changes = rows("ports = '9200'");
    // Each poll's changes (sorted: the differ's order within a poll is not the point); the removed side is the old content the modify's rule id held.
    const seen = changes.map((r) => [r.kind, r.source, r.changed_at, r.changed_from]);
    expect([seen[0], ...seen.slice(1).sort((a, b) => String(a[2]).localeCompare(String(b[2])) || String(a[0]).localeCompare(String(b[0])))]).toEqual([
      ["rule-added", "10.0.0.0/8", expect.any(String), "cloudtrail"],
      ["rule-added", "0.0.0.0/0", openedAt, "cloudtrail"],
      ["rule-removed", "10.0.0.0/8", openedAt, "cloudtrail"],
      ["rule-added", "10.0.0.0/8", closedAt, "cloudtrail"],
      ["rule-removed", "0.0.0.0/0", closedAt, "cloudtrail"],
    ]);
    // Open to the world 30 s by CloudTrail (45 s between the polls), each end from CloudTrail.
    expect(changes.find((r) => r.kind === "rule-added" && r.source === "0.0.0.0/0")).toMatchObject({ status: "reverted", undone_at: closedAt, undone_from: "cloudtrail", exposure: "30 s" });
  });
});
