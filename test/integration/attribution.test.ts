// Proves attribution end to end with real parts: two callers (different access
// keys, user agents and source addresses) change groups through the real
// EC2Client; the real App cycle detects the changes; the App's CloudTrail sweep
// reads the simulator's CloudTrail through the real CloudTrailClient (JSON 1.1
// protocol) into trail_events, and attributePending finds who made each change
// there, making no LookupEvents call of its own (the simulator counts them).
// - Each change names the right caller: ARN, access key, source address, user
//   agent and CloudTrail event id, also through the `changes` view.
// - An event that has not arrived yet (CloudTrail delivers minutes late) leaves
//   the change pending; a later call attributes it.
// - CloudTrail failing (the sweep stores nothing) leaves the change pending;
//   past the horizon it is marked unattributed (fake clock, no waiting).
// - A target without attribution gets n/a and no lookup.
// - A database with 0001 + 0002 history migrates to 0003 keeping every row
//   and every old column of the `changes` view.
// The simulator shares the App's fake clock, so CloudTrail event times and
// poll times are on one time line, as AWS's and sgwatch's clocks are.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import path from "node:path";
import BetterSqlite3, { type Database } from "better-sqlite3";
import { AuthorizeSecurityGroupIngressCommand, CreateTagsCommand, EC2Client, RevokeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { App } from "../../src/daemon/app.js";
import { startSimulator, type Simulator } from "../../src/sim/server.js";
import { seedDemoAccount, type DemoAccount } from "../../src/sim/seed-demo.js";
import { attributePending, type AttributionDeps } from "../../src/attribution/attribute.js";
import { runCycle } from "../../src/daemon/cycle.js";
import { ec2As } from "../support/ec2-as.js";
import { createEc2Client } from "../../src/aws/ec2-client.js";
import { attributionsFor, describeActor, type AttributionRow } from "../../src/attribution/read.js";
import type { ChangeViewRow } from "../../src/store/view-rows.js";
import { migrate, readMigrations } from "../../src/store/migrate.js";
import { packageRoot } from "../../src/util/package-root.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { ENGINEER, INTRUDER, MONITOR, type Credentials } from "../support/sim-harness.js";
import { writeTestConfig, loadTestConfig, TEST_ACCOUNT, type TestConfigFiles } from "../support/config-file.js";
import { captureLog, type CapturedLog } from "../support/log-capture.js";
import { fakeClock, REFERENCE_INSTANT, type FakeClock } from "../support/fake-clock.js";

const MIN = 60_000;
const HORIZON = 30 * MIN;
const ENGINEER_IP = "198.51.100.7";
const INTRUDER_IP = "203.0.113.66";
const ENGINEER_AGENT = "terraform/1.9.5";
const INTRUDER_AGENT = "curl-like-tool/0.1";



describe("attribution through CloudTrail LookupEvents", () => {
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

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    tmp = makeTempDir();
    clock = fakeClock(REFERENCE_INSTANT); // 2026-03-02 10:00 UTC
    sim = await startSimulator({ clock: clock.clock, trustForwardedFor: true });
    demo = seedDemoAccount(sim.state, { region: "us-east-1" });
    sim.cloudtrail.mapIdentity(ENGINEER.accessKeyId, { userName: "alice" });
    sim.cloudtrail.mapIdentity(INTRUDER.accessKeyId, { type: "AssumedRole", roleName: "ci-deploy", userName: "build-4711" });
    engineer = ec2As(sim, ENGINEER, ENGINEER_IP, ENGINEER_AGENT);
    intruder = ec2As(sim, INTRUDER, INTRUDER_IP, INTRUDER_AGENT);
    log = captureLog();
    files = writeTestConfig({ dir: tmp.path, endpoint: sim.endpoint, extra: { cloudtrail: { enabled: true } } });
    const config = loadTestConfig(files);
    app = new App({ config, logger: log.logger, env: {}, clock: clock.clock, credentials: MONITOR });
    reader = new BetterSqlite3(files.databasePath, { readonly: true });
    await runCycle({ db: app.db, config: app.config, logger: log.logger, clock: clock.clock, clientFactory: createEc2Client, credentials: MONITOR, routes: [] }); // baseline at 10:00
  });

  afterAll(async () => {
    reader?.close();
    engineer?.destroy();
    intruder?.destroy();
    await app?.close();
    await sim?.close();
    tmp?.remove();
  });

  // Detection only, as the daemon's cycle does it before the sweep and
  // attribution: these tests drive the sweep and attributePending themselves to
  // see each step. (App.cycle runs all three; attribution-email.test.ts proves
  // that wiring and the email.)
  const detect = () =>
    runCycle({ db: app.db, config: app.config, logger: log.logger, clock: clock.clock, clientFactory: createEc2Client, credentials: MONITOR, routes: [] });

  const deps = (over: Partial<AttributionDeps> = {}): AttributionDeps => ({
    db: app.db,
    clock: clock.clock,
    logger: log.logger,
    horizonMs: HORIZON,
    ...over,
  });
  const lookups = (): number => sim.requests.filter((r) => r.action === "LookupEvents").length;
  // The sweep stores what CloudTrail has delivered; attribution reads only that, never CloudTrail itself.
  const sweepThenAttribute = async (over: Partial<AttributionDeps> = {}) => {
    await app.sweep();
    const before = lookups();
    const result = await attributePending(deps(over));
    expect(lookups()).toBe(before);
    return result;
  };
  const view = (): ChangeViewRow[] => reader.prepare("SELECT * FROM changes ORDER BY id").all() as ChangeViewRow[];
  const attributionOf = (changeId: number): AttributionRow | undefined =>
    reader.prepare("SELECT * FROM change_attributions WHERE change_id = ?").get(changeId) as AttributionRow | undefined;
  const requestIdOf = (action: string, key: string): string => {
    const r = sim.requests.filter((x) => x.action === action && x.accessKeyId === key && x.status === 200).pop();
    if (r === undefined) throw new Error(`no ${action} by ${key}`);
    return r.requestId;
  };

  it("answers LookupEvents in CloudTrail's shape, newest first, paged, with CloudTrail's errors", async () => {
    const ct = new CloudTrailClient({ region: "us-east-1", endpoint: sim.endpoint, credentials: MONITOR, maxAttempts: 1 });
    try {
      const all = await ct.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "ResourceName", AttributeValue: demo.groups.web }] }));
      const events = all.Events ?? [];
      expect(events.length).toBeGreaterThan(0);
      for (const e of events) {
        expect(e.Resources?.map((r) => r.ResourceName)).toContain(demo.groups.web);
        expect(e.EventTime).toBeInstanceOf(Date);
        const record = JSON.parse(e.CloudTrailEvent ?? "{}") as Record<string, unknown>;
        expect(record).toMatchObject({ eventSource: "ec2.amazonaws.com", eventID: e.EventId, eventName: e.EventName, awsRegion: "us-east-1", recipientAccountId: TEST_ACCOUNT });
      }
      const paged: string[] = [];
      let token: string | undefined;
      do {
        const page = await ct.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "ResourceName", AttributeValue: demo.groups.web }], MaxResults: 1, NextToken: token }));
        expect((page.Events ?? []).length).toBeLessThanOrEqual(1);
        paged.push(...(page.Events ?? []).map((e) => e.EventId ?? ""));
        token = page.NextToken;
      } while (token !== undefined);
      expect(paged).toEqual(events.map((e) => e.EventId));

      await expect(
        ct.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "ResourceName", AttributeValue: "a" }, { AttributeKey: "EventName", AttributeValue: "b" }] })),
      ).rejects.toMatchObject({ name: "InvalidLookupAttributesException", $metadata: { httpStatusCode: 400 } });
      await expect(ct.send(new LookupEventsCommand({ MaxResults: 51 }))).rejects.toMatchObject({ name: "InvalidMaxResultsException" });
      await expect(ct.send(new LookupEventsCommand({ StartTime: new Date(2), EndTime: new Date(1000) }))).resolves.toBeDefined();
      await expect(ct.send(new LookupEventsCommand({ StartTime: new Date(5000), EndTime: new Date(1000) }))).rejects.toMatchObject({ name: "InvalidTimeRangeException" });
      await expect(ct.send(new LookupEventsCommand({ NextToken: "bogus" }))).rejects.toMatchObject({ name: "InvalidNextTokenException" });
    } finally {
      ct.destroy();
    }
  });

  it("names the right caller, key, address, user agent and event for each change of two callers", async () => {
    const g = demo.groups;
    clock.advance(2 * MIN); // 10:02
    await engineer.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: g.app,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: "10.0.0.0/8", Description: "internal ALB" }] }],
      }),
    );
    clock.advance(MIN); // 10:03: the other caller, on the same group
    await intruder.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: g.app,
        IpPermissions: [{ IpProtocol: "6", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
      }),
    );
    await intruder.send(new CreateTagsCommand({ Resources: [g.app], Tags: [{ Key: "owner", Value: "mallory" }] }));
    await engineer.send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: g.db,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, UserIdGroupPairs: [{ GroupId: g.bastion }] }],
      }),
    );
    clock.advance(2 * MIN); // 10:05: the detecting poll
    await detect();

    const before = view();
    expect(before).toHaveLength(4);
    expect(before.every((r) => r.attribution === "pending" && r.who === null)).toBe(true);

    const result = await sweepThenAttribute();
    expect(result).toMatchObject({ attributed: 4, pending: 0, gaveUp: 0, notApplicable: 0 });
    expect(result.attributedChangeIds.sort()).toEqual(before.map((r) => r.id).sort());

    const rows = view();
    const find = (pred: (r: ChangeViewRow) => boolean): ChangeViewRow => {
      const hit = rows.find(pred);
      if (hit === undefined) throw new Error("change not found");
      return hit;
    };
    const alice = `arn:aws:iam::${TEST_ACCOUNT}:user/alice`;
    const build = `arn:aws:sts::${TEST_ACCOUNT}:assumed-role/ci-deploy/build-4711`;

    const https = find((r) => r.group_id === g.app && r.kind === "rule-added" && r.ports === "443");
    expect(https).toMatchObject({ who: alice, who_ip: ENGINEER_IP, who_key: ENGINEER.accessKeyId, attribution: "attributed" });
    const ssh = find((r) => r.group_id === g.app && r.kind === "rule-added" && r.ports === "22");
    expect(ssh).toMatchObject({ who: build, who_ip: INTRUDER_IP, who_key: INTRUDER.accessKeyId, attribution: "attributed" });
    const tag = find((r) => r.group_id === g.app && r.kind === "group-changed");
    expect(tag).toMatchObject({ who: build, who_ip: INTRUDER_IP, who_key: INTRUDER.accessKeyId });
    const revoke = find((r) => r.group_id === g.db && r.kind === "rule-removed");
    expect(revoke).toMatchObject({ who: alice, who_ip: ENGINEER_IP, who_key: ENGINEER.accessKeyId });

    const sshRow = attributionOf(ssh.id);
    expect(sshRow).toMatchObject({
      event_name: "AuthorizeSecurityGroupIngress",
      event_time: "2026-03-02T10:03:00.000Z",
      actor_type: "AssumedRole",
      actor_name: "build-4711",
      match_quality: "exact",
      attributed_at: clock.iso(),
    });
    expect(sshRow?.user_agent).toContain(INTRUDER_AGENT);
    expect(attributionOf(https.id)?.user_agent).toContain(ENGINEER_AGENT);
    expect(attributionOf(https.id)).toMatchObject({ actor_type: "IAMUser", actor_name: "alice", event_time: "2026-03-02T10:02:00.000Z" });

    // The event id is the one CloudTrail reports for that very call.
    const ct = new CloudTrailClient({ region: "us-east-1", endpoint: sim.endpoint, credentials: MONITOR, maxAttempts: 1 });
    try {
      const out = await ct.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "EventId", AttributeValue: sshRow?.event_id ?? "" }] }));
      expect(out.Events).toHaveLength(1);
      const record = JSON.parse(out.Events?.[0]?.CloudTrailEvent ?? "{}") as { requestID?: string; userAgent?: string };
      expect(record.requestID).toBe(requestIdOf("AuthorizeSecurityGroupIngress", INTRUDER.accessKeyId));
      expect(record.userAgent).toBe(sim.requests.find((r) => r.requestId === record.requestID)?.userAgent);
    } finally {
      ct.destroy();
    }

    const stored = attributionsFor(app.db, [ssh.id, https.id, 999_999]);
    expect([...stored.keys()].sort()).toEqual([ssh.id, https.id].sort());
    expect(describeActor(stored.get(ssh.id) ?? { actorArn: null, actorName: null, sourceIp: null })).toBe(`build-4711 (${build}) from ${INTRUDER_IP}`);

    const lines = log.events("attributed");
    expect(lines).toHaveLength(4);
    expect(lines.find((l) => l.changeId === ssh.id)).toMatchObject({ who: build, sourceIp: INTRUDER_IP, accessKeyId: INTRUDER.accessKeyId });

    // Done is done: a second call attributes nothing again (and, like every call, asks CloudTrail nothing).
    expect(await sweepThenAttribute()).toEqual({ attributed: 0, pending: 0, gaveUp: 0, notApplicable: 0, attributedChangeIds: [], actorAlertedChangeIds: [] });
  });

  it("leaves a change pending while its event has not arrived, and attributes it later", async () => {
    sim.cloudtrail.delayMs = 10 * MIN; // events "arrive" ten minutes after the call
    clock.advance(MIN); // 10:06
    await engineer.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: demo.groups.web,
        IpPermissions: [{ IpProtocol: "udp", FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: "10.1.0.0/16" }] }],
      }),
    );
    clock.advance(4 * MIN); // 10:10
    await detect();
    const id = view().find((r) => r.group_id === demo.groups.web && r.ports === "53")?.id ?? -1;

    expect(await sweepThenAttribute()).toMatchObject({ attributed: 0, pending: 1, gaveUp: 0 });
    expect(view().find((r) => r.id === id)).toMatchObject({ attribution: "pending", who: null });
    const row = reader.prepare("SELECT attribution_attempts, attribution_last_attempt_at FROM change_events WHERE id = ?").get(id);
    expect(row).toEqual({ attribution_attempts: 1, attribution_last_attempt_at: clock.iso() });

    clock.advance(7 * MIN); // 10:17: the 10:06 call's event has arrived
    expect(await sweepThenAttribute()).toMatchObject({ attributed: 1, pending: 0, gaveUp: 0 });
    expect(view().find((r) => r.id === id)).toMatchObject({ attribution: "attributed", who: `arn:aws:iam::${TEST_ACCOUNT}:user/alice`, who_ip: ENGINEER_IP });
    expect(attributionOf(id)).toMatchObject({ event_time: "2026-03-02T10:06:00.000Z", attributed_at: clock.iso() });
    sim.cloudtrail.restore();
  });

  it("keeps retrying while CloudTrail fails, then marks the change unattributed after the horizon", async () => {
    sim.cloudtrail.makeUnavailable();
    clock.advance(MIN);
    await intruder.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: demo.groups.bastion,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 3389, ToPort: 3389, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
      }),
    );
    clock.advance(4 * MIN);
    await detect();
    const id = view().find((r) => r.ports === "3389")?.id ?? -1;

    log.clear();
    expect(await sweepThenAttribute()).toMatchObject({ attributed: 0, pending: 1, gaveUp: 0 });
    expect(view().find((r) => r.id === id)?.attribution).toBe("pending");
    expect(log.events("trail-sweep-failed")[0]?.msg).toContain("ServiceUnavailableException");

    clock.advance(10 * MIN);
    expect(await sweepThenAttribute()).toMatchObject({ pending: 1, gaveUp: 0 });
    clock.advance(HORIZON);
    expect(await sweepThenAttribute()).toMatchObject({ attributed: 0, pending: 0, gaveUp: 1 });
    expect(view().find((r) => r.id === id)).toMatchObject({ attribution: "unattributed", who: null });
    expect(reader.prepare("SELECT attribution_attempts AS n FROM change_events WHERE id = ?").get(id)).toEqual({ n: 3 });
    expect(log.events("unattributed")).toEqual([expect.objectContaining({ changeId: id, reason: "trail-not-read" })]);

    // Given up means given up: CloudTrail coming back does not reopen it.
    sim.cloudtrail.restore();
    expect(await sweepThenAttribute()).toEqual({ attributed: 0, pending: 0, gaveUp: 0, notApplicable: 0, attributedChangeIds: [], actorAlertedChangeIds: [] });
  });

  it("marks changes of targets without attribution n/a and looks nothing up", async () => {
    clock.advance(MIN);
    await engineer.send(new CreateTagsCommand({ Resources: [demo.groups.db], Tags: [{ Key: "reviewed", Value: "yes" }] }));
    clock.advance(4 * MIN);
    await detect();
    expect(await sweepThenAttribute({ enabled: () => false })).toEqual({ attributed: 0, pending: 0, gaveUp: 0, notApplicable: 1, attributedChangeIds: [], actorAlertedChangeIds: [] });
    expect(view().find((r) => r.group_id === demo.groups.db && r.kind === "group-changed")?.attribution).toBe("n/a");
  });
});

describe("migration 0003 on a database with 0001 + 0002 history", () => {
  it("keeps every row and old view column, and marks old changes n/a", () => {
    const tmp = makeTempDir();
    const db = new BetterSqlite3(path.join(tmp.path, "old.db"));
    try {
      const all = readMigrations(path.join(packageRoot(), "migrations"));
      const upTo2 = all.filter((m) => m.version <= 2);
      migrate(db, upTo2, () => REFERENCE_INSTANT);
      db.exec(`
        INSERT INTO targets (id, account, region, label, created_at) VALUES (1, '${TEST_ACCOUNT}', 'us-east-1', 'prod', '2026-03-01T00:00:00.000Z');
        INSERT INTO polls (id, target_id, started_at, finished_at, status, baseline) VALUES
          (1, 1, '2026-03-01T00:00:00.000Z', '2026-03-01T00:00:01.000Z', 'ok', 1),
          (2, 1, '2026-03-01T00:05:00.000Z', '2026-03-01T00:05:01.000Z', 'ok', 0);
        INSERT INTO change_events (id, poll_id, target_id, detected_at, interval_start, kind, group_id, group_name, direction,
            protocol, from_port, to_port, source_kind, source, severity, status, rule_key)
          VALUES (1, 2, 1, '2026-03-01T00:05:01.000Z', '2026-03-01T00:00:01.000Z', 'rule-added', 'sg-01', 'web', 'ingress',
            'tcp', 22, 22, 'ipv4', '0.0.0.0/0', 'critical', 'unapproved', 'ingress|tcp|22|22|ipv4|0.0.0.0/0||');
        INSERT INTO acknowledgements (change_id, acked_at, acked_by, reason) VALUES (1, '2026-03-01T01:00:00.000Z', 'bob', 'break-glass');
      `);
      const oldView = db.prepare("SELECT * FROM changes").all() as Array<Record<string, unknown>>;

      // Up to 0003 only: later migrations re-create the view with columns of their own (0006: who_match).
      expect(migrate(db, all.filter((m) => m.version <= 3), () => REFERENCE_INSTANT)).toContain("0003_attribution.sql");

      const newView = db.prepare("SELECT * FROM changes").all() as Array<Record<string, unknown>>;
      expect(newView).toHaveLength(1);
      expect(newView[0]).toMatchObject(oldView[0] ?? {});
      expect(Object.keys(newView[0] ?? {})).toEqual([...Object.keys(oldView[0] ?? {}), "who", "who_ip", "who_key", "attribution"]);
      expect(newView[0]).toMatchObject({ status: "acknowledged", acked_by: "bob", who: null, who_ip: null, who_key: null, attribution: "n/a" });
      expect(db.prepare("SELECT attribution_status, attribution_attempts FROM change_events").get()).toEqual({ attribution_status: "n/a", attribution_attempts: 0 });
      // New changes start unlooked-at (NULL), which the view shows as pending.
      db.exec(`INSERT INTO change_events (poll_id, target_id, detected_at, kind, group_id, group_name, severity, status)
               VALUES (2, 1, '2026-03-01T00:05:01.000Z', 'group-created', 'sg-02', 'new', 'low', 'unapproved')`);
      expect(db.prepare("SELECT attribution FROM changes WHERE group_id = 'sg-02'").get()).toEqual({ attribution: "pending" });
      expect(() => db.exec("UPDATE change_events SET attribution_status = 'maybe' WHERE id = 1")).toThrow(/CHECK/);
    } finally {
      db.close();
      tmp.remove();
    }
  });
});
