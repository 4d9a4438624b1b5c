// Failed attempts, end to end with real parts: a denied key (the simulator's
// deny list answers UnauthorizedOperation) tries to open tcp/3389 to the world
// three times through the real EC2 client; the real App cycle sweeps the
// simulator's CloudTrail and queues ONE failed-attempts alert (critical: what
// the change would have been) naming the identity, key, address, user agent,
// what was tried and how many times; the email, received by a real SMTP
// server, says so. Failures that are not about authorisation (a duplicate
// rule, a DryRun) are stored but not alerted; attempts later in the window
// (the burst going on after the alert, or a call CloudTrail delivered late)
// are one reply per sweep in the first alert's mail thread, told once even
// across a restart; after the window a new one alerts; another identity is
// its own alert.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import BetterSqlite3, { type Database } from "better-sqlite3";
import { AuthorizeSecurityGroupIngressCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { App } from "../../src/daemon/app.js";
import { startSimulator, type Simulator } from "../../src/sim/server.js";
import { seedDemoAccount, type DemoAccount } from "../../src/sim/seed-demo.js";
import { startMailSink, type MailSink } from "../../src/demo/mail-sink.js";
import type { FailedAttemptsAlert, FailedAttemptsMoreAlert } from "../../src/model/alert-payload.js";
import { ec2As } from "../support/ec2-as.js";
import { ENGINEER, INTRUDER, MONITOR } from "../support/sim-harness.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { writeTestConfig, loadTestConfig, TEST_ACCOUNT, type TestConfigFiles } from "../support/config-file.js";
import { captureLog } from "../support/log-capture.js";
import { fakeClock, REFERENCE_INSTANT, type FakeClock } from "../support/fake-clock.js";
import { parseMessages } from "../support/mailbox.js";

const MIN = 60_000;
const STOLEN_FROM = "203.0.113.66";
const rdp = [{ IpProtocol: "tcp", FromPort: 3389, ToPort: 3389, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }];

describe("failed-attempt alerts", () => {
  let tmp: TempDir;
  let sim: Simulator;
  let sink: MailSink;
  let demo: DemoAccount;
  let clock: FakeClock;
  let app: App;
  let reader: Database;
  let engineer: EC2Client;
  let intruder: EC2Client;
  let files: TestConfigFiles;

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    tmp = makeTempDir();
    clock = fakeClock(REFERENCE_INSTANT);
    sim = await startSimulator({ clock: clock.clock });
    sim.cloudtrail.lookupRateLimit = 2;
    demo = seedDemoAccount(sim.state, { region: "us-east-1" });
    sim.cloudtrail.mapIdentity(INTRUDER.accessKeyId, { userName: "svc-backup" });
    sim.cloudtrail.keys.deny(INTRUDER.accessKeyId);
    sim.cloudtrail.keys.setNetwork(INTRUDER.accessKeyId, { sourceIp: STOLEN_FROM });
    engineer = ec2As(sim, ENGINEER, "10.1.2.3", "terraform/1.9.5");
    intruder = ec2As(sim, INTRUDER, "127.0.0.1", "python-requests/2.31");
    sink = await startMailSink();
    files = writeTestConfig({ dir: tmp.path, endpoint: sim.endpoint, smtpPort: sink.port, extra: { cloudtrail: { enabled: true } } });
    app = new App({ config: loadTestConfig(files), logger: captureLog().logger, env: {}, clock: clock.clock, credentials: MONITOR, sleep: async (ms) => void clock.advance(ms) });
    reader = new BetterSqlite3(files.databasePath, { readonly: true });
    await app.cycle(); // baseline
  });

  afterAll(async () => {
    reader?.close();
    engineer?.destroy();
    intruder?.destroy();
    await app?.close();
    await sink?.close();
    await sim?.close();
    tmp?.remove();
  });

  const alerts = (): FailedAttemptsAlert[] =>
    (reader.prepare("SELECT payload FROM outbox WHERE kind = 'failed-attempts' AND channel = 'log' ORDER BY id").all() as Array<{ payload: string }>).map(
      (r) => JSON.parse(r.payload) as FailedAttemptsAlert,
    );
  const more = (): FailedAttemptsMoreAlert[] =>
    (reader.prepare("SELECT payload FROM outbox WHERE kind = 'failed-attempts-more' AND channel = 'log' ORDER BY id").all() as Array<{ payload: string }>).map(
      (r) => JSON.parse(r.payload) as FailedAttemptsMoreAlert,
    );
  const denied = async (): Promise<void> => {
    await expect(intruder.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: demo.groups.bastion, IpPermissions: rdp }))).rejects.toMatchObject({ name: "UnauthorizedOperation" });
  };

  it("three denied calls are one critical alert naming who, the key, the address and what was tried, with the count; other failures are not alerted", async () => {
    clock.advance(MIN);
    for (let i = 0; i < 3; i++) {
      await denied();
      clock.advance(7_000);
    }
    // Failures that are no authorisation problem: a duplicate rule, and a DryRun (the caller was allowed).
    await engineer.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: demo.groups.app, IpPermissions: [{ IpProtocol: "tcp", FromPort: 8443, ToPort: 8443, IpRanges: [{ CidrIp: "10.0.0.0/8" }] }] }));
    await expect(
      engineer.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: demo.groups.app, IpPermissions: [{ IpProtocol: "tcp", FromPort: 8443, ToPort: 8443, IpRanges: [{ CidrIp: "10.0.0.0/8" }] }] })),
    ).rejects.toMatchObject({ name: "InvalidPermission.Duplicate" });
    sim.cloudtrail.seed({
      Records: [
        {
          eventID: "d1d1d1d1-0000-4000-a000-000000000001",
          eventTime: clock.iso().replace(/\.\d+Z$/, "Z"),
          eventName: "AuthorizeSecurityGroupIngress",
          eventSource: "ec2.amazonaws.com",
          awsRegion: "us-east-1",
          recipientAccountId: TEST_ACCOUNT,
          userIdentity: { type: "IAMUser", arn: `arn:aws:iam::${TEST_ACCOUNT}:user/carol`, accountId: TEST_ACCOUNT, accessKeyId: "AKIAEXAMPLECAROL0001", userName: "carol" },
          errorCode: "Client.DryRunOperation",
          errorMessage: "Request would have succeeded, but DryRun flag is set.",
          requestParameters: { groupId: demo.groups.db, ipPermissions: { items: [{ ipProtocol: "tcp", fromPort: 5432, toPort: 5432, ipRanges: { items: [{ cidrIp: "0.0.0.0/0" }] } }] } },
          responseElements: null,
          readOnly: false,
        },
      ],
    });
    clock.advance(MIN);
    const result = await app.cycle();
    expect(result.trail?.[0]).toMatchObject({ ok: true, attemptAlerts: 1 });
    expect(alerts()).toEqual([
      {
        type: "failed-attempts",
        target: { account: TEST_ACCOUNT, region: "us-east-1", label: null },
        severity: "critical",
        identity: { arn: `arn:aws:iam::${TEST_ACCOUNT}:user/svc-backup`, type: "IAMUser", accessKeyIds: [INTRUDER.accessKeyId] },
        count: 3,
        firstAt: "2026-03-02T10:01:00.000Z",
        lastAt: "2026-03-02T10:01:14.000Z",
        sources: [{ sourceIp: STOLEN_FROM, userAgent: expect.stringContaining("python-requests/2.31"), vpcEndpointId: null }],
        attempts: [0, 7, 14].map((s) => ({
          time: `2026-03-02T10:01:${String(s).padStart(2, "0")}.000Z`,
          eventName: "AuthorizeSecurityGroupIngress",
          errorCode: "Client.UnauthorizedOperation",
          groupId: demo.groups.bastion,
          rules: "add ingress TCP 3389 from 0.0.0.0/0",
          severity: "critical",
        })),
        attemptGroupId: 1,
        windowStart: "2026-03-02T10:01:00.000Z",
      },
    ]);
    // The other failures are stored, for `sgwatch events --failed`.
    expect(reader.prepare("SELECT error_code FROM trail_events WHERE error_code IS NOT NULL AND attempt_group_id IS NULL ORDER BY error_code").all()).toEqual([
      { error_code: "Client.DryRunOperation" },
      { error_code: "Client.InvalidPermission.Duplicate" },
    ]);

    await app.dispatch();
    const mail = (await parseMessages(sink)).find((m) => /denied security-group calls/.test(m.subject ?? ""));
    expect(mail?.subject).toBe(`[sgwatch] CRITICAL: 3 denied security-group calls by arn:aws:iam::${TEST_ACCOUNT}:user/svc-backup in ${TEST_ACCOUNT} us-east-1`);
    expect(mail?.text).toContain("was refused, 3 times between 2026-03-02T10:01:00.000Z and 2026-03-02T10:01:14.000Z");
    expect(mail?.text).toContain(`Access key: ${INTRUDER.accessKeyId}`);
    expect(mail?.text).toMatch(new RegExp(`  ${STOLEN_FROM.replace(/\./g, "\\.")}, user agent .*python-requests/2\\.31`));
    expect(mail?.text).toContain(`CRITICAL AuthorizeSecurityGroupIngress on ${demo.groups.bastion}: add ingress TCP 3389 from 0.0.0.0/0 — Client.UnauthorizedOperation`);
  });

  it("later calls of an alerted burst are told once per sweep, as a reply in the first alert's thread; never a second alert, never again", async () => {
    // The burst goes on after the sweep that alerted it: two more calls, one sweep.
    clock.advance(10 * MIN);
    await denied();
    clock.advance(5_000);
    await denied();
    clock.advance(MIN);
    await app.cycle();
    expect(alerts()).toHaveLength(1);
    expect(more().map(({ newCount, count, firstAt, lastAt, severity }) => ({ newCount, count, firstAt, lastAt, severity }))).toEqual([
      { newCount: 2, count: 5, firstAt: "2026-03-02T10:01:00.000Z", lastAt: "2026-03-02T10:12:26.000Z", severity: "critical" },
    ]);
    expect(more()[0]?.attempts.map((a) => a.time)).toEqual(["2026-03-02T10:12:21.000Z", "2026-03-02T10:12:26.000Z"]);
    expect(reader.prepare("SELECT attempts, first_at, last_at FROM trail_attempt_groups").all()).toEqual([
      { attempts: 5, first_at: "2026-03-02T10:01:00.000Z", last_at: "2026-03-02T10:12:26.000Z" },
    ]);

    // The next sweep re-reads those calls (its overlap window) and tells nothing again.
    clock.advance(MIN);
    await app.cycle();
    expect(more()).toHaveLength(1);

    // CloudTrail delivers a call of the burst late, older than the first one seen: it joins the burst.
    sim.cloudtrail.seed({
      Records: [
        {
          eventID: "d1d1d1d1-0000-4000-a000-000000000002",
          eventTime: "2026-03-02T10:00:50Z",
          eventName: "AuthorizeSecurityGroupIngress",
          eventSource: "ec2.amazonaws.com",
          awsRegion: "us-east-1",
          recipientAccountId: TEST_ACCOUNT,
          userIdentity: { type: "IAMUser", arn: `arn:aws:iam::${TEST_ACCOUNT}:user/svc-backup`, accountId: TEST_ACCOUNT, accessKeyId: INTRUDER.accessKeyId, userName: "svc-backup" },
          sourceIPAddress: STOLEN_FROM,
          userAgent: "python-requests/2.31",
          errorCode: "Client.UnauthorizedOperation",
          errorMessage: "You are not authorized to perform this operation.",
          requestParameters: { groupId: demo.groups.bastion, ipPermissions: { items: [{ ipProtocol: "tcp", fromPort: 22, toPort: 22, ipRanges: { items: [{ cidrIp: "0.0.0.0/0" }] } }] } },
          responseElements: null,
          readOnly: false,
        },
      ],
    });
    clock.advance(MIN);
    await app.cycle();
    expect(alerts()).toHaveLength(1);
    expect(more().map(({ newCount, count, firstAt, lastAt }) => ({ newCount, count, firstAt, lastAt }))).toEqual([
      { newCount: 2, count: 5, firstAt: "2026-03-02T10:01:00.000Z", lastAt: "2026-03-02T10:12:26.000Z" },
      { newCount: 1, count: 6, firstAt: "2026-03-02T10:00:50.000Z", lastAt: "2026-03-02T10:12:26.000Z" },
    ]);

    // Each reply is a mail in the first alert's thread.
    await app.dispatch();
    const mails = await parseMessages(sink);
    const first = mails.find((m) => /^\[sgwatch\] CRITICAL: 3 denied security-group calls/.test(m.subject ?? ""));
    const replies = mails.filter((m) => m.subject === `Re: ${first?.subject}`);
    expect(first?.messageId).toBeDefined();
    expect(replies.map((m) => m.inReplyTo)).toEqual([first?.messageId, first?.messageId]);
    expect(replies[0]?.text).toContain("2 more attempts, 5 in all, last at 2026-03-02T10:12:26.000Z");
    expect(replies[0]?.text).toContain(`CRITICAL AuthorizeSecurityGroupIngress on ${demo.groups.bastion}: add ingress TCP 3389 from 0.0.0.0/0 — Client.UnauthorizedOperation`);
    expect(replies[1]?.text).toContain("1 more attempt, 6 in all, last at 2026-03-02T10:12:26.000Z");
    expect(replies[1]?.text).toContain("add ingress TCP 22 from 0.0.0.0/0");
    expect(mails.filter((m) => /denied security-group calls/.test(m.subject ?? "") && !m.subject?.startsWith("Re: "))).toHaveLength(1);

    // A restart decides from what is stored: the overlap re-read tells nothing again.
    await app.close();
    app = new App({ config: loadTestConfig(files), logger: captureLog().logger, env: {}, clock: clock.clock, credentials: MONITOR, sleep: async (ms) => void clock.advance(ms) });
    clock.advance(MIN);
    await app.cycle();
    expect(more()).toHaveLength(2);
    expect(alerts()).toHaveLength(1);
  });

  it("after the window a new call alerts again", async () => {
    clock.advance(60 * MIN);
    await denied();
    clock.advance(MIN);
    await app.cycle();
    expect(alerts().map((a) => a.count)).toEqual([3, 1]);
  });

  it("another identity is its own alert", async () => {
    sim.cloudtrail.keys.deny(ENGINEER.accessKeyId, ["RevokeSecurityGroupIngress"]);
    try {
      clock.advance(MIN);
      await denied();
      await expect(
        engineer.send(
          new (await import("@aws-sdk/client-ec2")).RevokeSecurityGroupIngressCommand({ GroupId: demo.groups.app, IpPermissions: [{ IpProtocol: "tcp", FromPort: 8443, ToPort: 8443, IpRanges: [{ CidrIp: "10.0.0.0/8" }] }] }),
        ),
      ).rejects.toMatchObject({ name: "UnauthorizedOperation" });
      clock.advance(MIN);
      await app.cycle();
      const last = alerts().slice(2);
      expect(last.map((a) => [a.identity.accessKeyIds, a.count, a.severity])).toEqual([[[ENGINEER.accessKeyId], 1, "low"]]);
    } finally {
      sim.cloudtrail.keys.allow(ENGINEER.accessKeyId);
    }
  });
});
