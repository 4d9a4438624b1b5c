// Unexpected actors, end to end with real parts: callers with their own keys,
// source addresses and VPC endpoints (the simulator's key networks) change
// groups through the real EC2 client; the real App cycle polls, sweeps the
// simulator's CloudTrail into trail_events and attributes from there; the
// caller is held against cloudtrail.actors and the approving record's by:;
// alerts go through the outbox to a real SMTP server.
// - An approved change made with an allowed principal's key from outside the
//   allowed networks is critical, unapproved, and alerted (a new alert: the
//   approved change was never alerted), naming the address.
// - A principal not allowed, and a VPC endpoint not allowed, each fail their
//   own condition; an unapproved change's alert is a reply in its drift thread.
// - An allowed caller adds nothing: verdict "allowed", still approved, no alert.
// - by: names someone else → unapproved with the reason, alerted.
// - A late event (after the detecting cycle) is judged when it arrives; by:
//   with no event before the horizon is "unverified", not approved.
// - `sgwatch changes` (the CLI, as a child process) shows verdict and condition.
// - A restart on the same database alerts nothing twice.
// - Attribution makes no LookupEvents call of its own: every call is the sweep's.
// - A short-lived opening (opened and closed between two polls) is held
//   against the same policy and by: from its adding call: a stolen key's
//   approved opening is critical and unapproved, its transient alert (log and
//   mail) says which condition failed; by: naming someone else unapproves it;
//   an allowed caller's stays approved and unalerted.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import BetterSqlite3, { type Database } from "better-sqlite3";
import { AuthorizeSecurityGroupIngressCommand, RevokeSecurityGroupIngressCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { App } from "../../src/daemon/app.js";
import { startSimulator, type Simulator } from "../../src/sim/server.js";
import { seedDemoAccount, type DemoAccount } from "../../src/sim/seed-demo.js";
import { startMailSink, type MailSink } from "../../src/demo/mail-sink.js";
import type { TransientAlert, UnexpectedActorAlert } from "../../src/model/alert-payload.js";
import type { ChangeViewRow } from "../../src/store/view-rows.js";
import { ec2As } from "../support/ec2-as.js";
import { MONITOR, type Credentials } from "../support/sim-harness.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { writeTestConfig, loadTestConfig, TEST_ACCOUNT, type TestConfigFiles } from "../support/config-file.js";
import { writeApproval } from "../support/approval-file.js";
import { captureLog } from "../support/log-capture.js";
import { fakeClock, REFERENCE_INSTANT, type FakeClock } from "../support/fake-clock.js";
import { waitForMessages } from "../support/mailbox.js";
import { assertBuilt, runCli } from "../support/cli.js";

const MIN = 60_000;
const key = (id: string): Credentials => ({ accessKeyId: id, secretAccessKey: `${id}-secret` });
const ALICE = key("AKIATESTALICE0000001"); // alice, from the office
const STOLEN = key("AKIATESTALICESTOLEN1"); // alice's other key, used from elsewhere
const MALLORY = key("AKIATESTMALLORY00001"); // a user who never touches firewalls
const DEPLOY = key("AKIATESTDEPLOY000001"); // a deploy role session
const VPCE = key("AKIATESTVPCE00000001"); // alice through an endpoint nobody allowed
const ALICE_ARN = `arn:aws:iam::${TEST_ACCOUNT}:user/alice`;
const THIEF_IP = "203.0.113.66";

const tcp = (port: number, cidr = "10.0.0.0/8") => [{ IpProtocol: "tcp", FromPort: port, ToPort: port, IpRanges: [{ CidrIp: cidr }] }];

describe("actor policy and approval by:", () => {
  let tmp: TempDir;
  let sim: Simulator;
  let sink: MailSink;
  let demo: DemoAccount;
  let clock: FakeClock;
  let files: TestConfigFiles;
  let app: App;
  let reader: Database;
  const clients: EC2Client[] = [];

  const newApp = (): App =>
    new App({ config: loadTestConfig(files), logger: captureLog().logger, env: {}, clock: clock.clock, credentials: MONITOR, sleep: async (ms) => void clock.advance(ms) });

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    tmp = makeTempDir();
    clock = fakeClock(REFERENCE_INSTANT); // 2026-03-02 10:00 UTC
    sim = await startSimulator({ clock: clock.clock });
    sim.cloudtrail.lookupRateLimit = 2;
    demo = seedDemoAccount(sim.state, { region: "us-east-1" });
    for (const k of [ALICE, STOLEN, VPCE]) sim.cloudtrail.mapIdentity(k.accessKeyId, { userName: "alice" });
    sim.cloudtrail.mapIdentity(MALLORY.accessKeyId, { userName: "mallory" });
    sim.cloudtrail.mapIdentity(DEPLOY.accessKeyId, { type: "AssumedRole", roleName: "deploy-web", userName: "pipeline-42" });
    sim.cloudtrail.keys.setNetwork(ALICE.accessKeyId, { sourceIp: "10.1.2.3" });
    sim.cloudtrail.keys.setNetwork(STOLEN.accessKeyId, { sourceIp: THIEF_IP });
    sim.cloudtrail.keys.setNetwork(MALLORY.accessKeyId, { sourceIp: "10.9.9.9" });
    sim.cloudtrail.keys.setNetwork(DEPLOY.accessKeyId, { sourceIp: "10.4.4.4" });
    sim.cloudtrail.keys.setNetwork(VPCE.accessKeyId, { sourceIp: "10.5.5.5", vpcEndpointId: "vpce-0bad0bad0bad" });
    sink = await startMailSink();
    files = writeTestConfig({
      dir: tmp.path,
      endpoint: sim.endpoint,
      smtpPort: sink.port,
      extra: {
        cloudtrail: {
          enabled: true,
          actors: { principals: [ALICE_ARN, "arn:aws:iam::*:role/deploy-*"], networks: ["10.0.0.0/8"], vpcEndpoints: ["vpce-0aaa1111"] },
        },
      },
    });
    // Approves tcp/8080-8089 from 10.0.0.0/8 on the app group, made by alice only.
    writeApproval(files.approvalsDir, {
      id: "CHG-7",
      groupName: "app",
      from: "2026-03-02T09:00:00Z",
      until: "2026-03-02T18:00:00Z",
      changes: [{ action: "add", protocol: "tcp", ports: "8080-8089", source: "10.0.0.0/8" }],
      by: [ALICE_ARN],
    });
    app = newApp();
    reader = new BetterSqlite3(files.databasePath, { readonly: true });
    await app.cycle(); // baseline
  });

  afterAll(async () => {
    reader?.close();
    for (const c of clients) c.destroy();
    await app?.close();
    await sink?.close();
    await sim?.close();
    tmp?.remove();
  });

  const as = (who: Credentials): EC2Client => {
    const c = ec2As(sim, who, "127.0.0.1", "aws-cli/2.15.0");
    clients.push(c);
    return c;
  };
  const open = (who: Credentials, port: number, group = demo.groups.app) =>
    as(who).send(new AuthorizeSecurityGroupIngressCommand({ GroupId: group, IpPermissions: tcp(port) }));
  const change = (port: number): ChangeViewRow & { actor_verdict: string | null; actor_problem: string | null } => {
    const row = reader.prepare("SELECT * FROM changes WHERE ports = ? ORDER BY id DESC LIMIT 1").get(String(port)) as (ChangeViewRow & { actor_verdict: string | null; actor_problem: string | null }) | undefined;
    if (row === undefined) throw new Error(`no change on port ${port}`);
    return row;
  };
  const actorAlerts = (): UnexpectedActorAlert[] =>
    (reader.prepare("SELECT payload FROM outbox WHERE kind = 'unexpected-actor' AND channel = 'log' ORDER BY id").all() as Array<{ payload: string }>).map(
      (r) => JSON.parse(r.payload) as UnexpectedActorAlert,
    );
  const transientAlerts = (): TransientAlert[] =>
    (reader.prepare("SELECT payload FROM outbox WHERE kind = 'transient' AND channel = 'log' ORDER BY id").all() as Array<{ payload: string }>).map((r) => JSON.parse(r.payload) as TransientAlert);
  /** Opens tcp/`port` a minute after the last poll (clear of the clock-skew allowance) and closes it 10 s later: no poll sees it. */
  const openBriefly = async (who: Credentials, port: number) => {
    clock.advance(MIN);
    await open(who, port);
    clock.advance(10_000);
    await as(who).send(new RevokeSecurityGroupIngressCommand({ GroupId: demo.groups.app, IpPermissions: tcp(port) }));
  };
  const lookups = (): number => sim.requests.filter((r) => r.action === "LookupEvents").length;
  /** One cycle five minutes on; checks every LookupEvents call in it was the sweep's. */
  const cycle = async () => {
    clock.advance(5 * MIN);
    const before = lookups();
    const r = await app.cycle();
    expect(lookups() - before, "attribution asks CloudTrail nothing: every call is the sweep's").toBe((r.trail ?? []).reduce((n, t) => n + t.calls, 0));
    await app.dispatch();
    return r;
  };

  it("an allowed caller adds nothing: the approved change stays approved, verdict allowed, no alert", async () => {
    await open(ALICE, 8080);
    await cycle();
    expect(change(8080)).toMatchObject({ status: "approved", approval_id: "CHG-7", actor_verdict: "allowed", actor_problem: null, who: ALICE_ARN, severity: "medium" });
    expect(actorAlerts()).toEqual([]);
  });

  it("an approved change made with an allowed principal's key from outside the allowed networks is critical and alerted", async () => {
    const mailsBefore = sink.messages.length;
    await open(STOLEN, 8081);
    await cycle();
    const row = change(8081);
    expect(row).toMatchObject({ status: "unapproved", approval_id: "CHG-7", actor_verdict: "unexpected", severity: "critical", who: ALICE_ARN, who_ip: THIEF_IP });
    expect(row.actor_problem).toBe(`source address ${THIEF_IP} is not in the allowed networks (10.0.0.0/8)`);
    expect(row.approval_note).toContain("CHG-7 would cover it, but it was made by an unexpected actor");
    const [alert] = actorAlerts();
    expect(alert).toMatchObject({ items: [{ verdict: "unexpected", approvalId: "CHG-7", change: { changeId: row.id, severity: "critical" } }] });
    expect(alert?.thread, "an approved change was never alerted: this is a new alert, not a reply").toBeUndefined();

    const mails = await waitForMessages(sink, mailsBefore + 1);
    const mail = mails.find((m) => /unexpected actor/.test(m.subject ?? ""));
    expect(mail?.subject).toMatch(/^\[sgwatch\] CRITICAL: unexpected actor: #\d+ app in /);
    expect(mail?.inReplyTo).toBeUndefined();
    expect(mail?.text).toContain(`source address ${THIEF_IP} is not in the allowed networks`);
    expect(mail?.text).toContain("covering record: CHG-7");
    expect(mail?.text).toMatch(new RegExp(`made by alice \\(${ALICE_ARN.replace(/[/.]/g, "\\$&")}\\) from ${THIEF_IP.replace(/\./g, "\\.")}`));
  });

  it("a principal not allowed fails the principal condition; its unapproved change's alert replies in the drift thread", async () => {
    const mailsBefore = sink.messages.length;
    await open(MALLORY, 9100);
    await cycle();
    const row = change(9100);
    expect(row).toMatchObject({ status: "unapproved", actor_verdict: "unexpected", severity: "critical" });
    expect(row.actor_problem).toBe(`principal arn:aws:iam::${TEST_ACCOUNT}:user/mallory is not allowed to change security groups (allowed: ${ALICE_ARN}, arn:aws:iam::*:role/deploy-*)`);
    const alert = actorAlerts().at(-1);
    expect(alert?.thread?.pollId).toBe(row.poll_id);
    const mails = await waitForMessages(sink, mailsBefore + 2);
    const reply = mails.slice(mailsBefore).find((m) => /UNEXPECTED ACTOR/.test(m.text ?? ""));
    const drift = mails.slice(mailsBefore).find((m) => m.messageId === reply?.inReplyTo);
    expect(drift?.subject).toMatch(/9100/);
    expect(reply?.subject).toBe(`Re: ${drift?.subject}`);
    expect(reply?.text).toContain("UNEXPECTED ACTOR");
  });

  it("a VPC endpoint not allowed fails its own condition", async () => {
    await open(VPCE, 9200);
    await cycle();
    expect(change(9200)).toMatchObject({ actor_verdict: "unexpected", actor_problem: "VPC endpoint vpce-0bad0bad0bad is not allowed (allowed: vpce-0aaa1111)" });
  });

  it("by: names someone else: an allowed deploy role's session makes CHG-7's change, which is then not approved", async () => {
    await open(DEPLOY, 8082);
    await cycle();
    const row = change(8082);
    expect(row).toMatchObject({ status: "unapproved", approval_id: "CHG-7", actor_verdict: "not-by", severity: "medium" });
    expect(row.actor_problem).toBe(`made by arn:aws:sts::${TEST_ACCOUNT}:assumed-role/deploy-web/pipeline-42, but record CHG-7 approves it only when made by ${ALICE_ARN}`);
    expect(actorAlerts().at(-1)?.items).toEqual([expect.objectContaining({ verdict: "not-by", change: expect.objectContaining({ changeId: row.id }) })]);
  });

  it("a late event: pending (and said so) at detection, judged and alerted when the sweep brings it", async () => {
    sim.cloudtrail.delayMs = 8 * MIN;
    const before = actorAlerts().length;
    await open(STOLEN, 8083);
    await cycle();
    expect(change(8083)).toMatchObject({ status: "approved", attribution: "pending", actor_verdict: null });
    expect(change(8083).approval_note).toBe(`CHG-7 approves it once CloudTrail shows it was made by ${ALICE_ARN}: waiting for the event`);
    expect(actorAlerts()).toHaveLength(before);
    await cycle(); // the event has arrived
    expect(change(8083)).toMatchObject({ status: "unapproved", attribution: "attributed", actor_verdict: "unexpected", severity: "critical" });
    expect(actorAlerts()).toHaveLength(before + 1);
    sim.cloudtrail.delayMs = 0;
  });

  it("by: with no CloudTrail event before the horizon: not approved (unverified), never approved silently for good", async () => {
    sim.cloudtrail.delayMs = 3 * 60 * MIN;
    await open(ALICE, 8084);
    await cycle();
    expect(change(8084)).toMatchObject({ status: "approved", attribution: "pending" });
    clock.advance(30 * MIN); // attribution.horizon
    await cycle();
    const row = change(8084);
    expect(row).toMatchObject({ status: "unapproved", attribution: "unattributed", actor_verdict: "unverified" });
    expect(row.actor_problem).toBe(`record CHG-7 approves it only when made by ${ALICE_ARN}, and no CloudTrail event named who made it`);
    expect(actorAlerts().at(-1)?.items).toEqual([expect.objectContaining({ verdict: "unverified" })]);
    sim.cloudtrail.delayMs = 0;
  });

  it("a short-lived opening by a stolen key from outside the allowed networks is critical and unapproved, approved or not; its transient alert says why", async () => {
    const mailsBefore = sink.messages.length;
    const actorBefore = actorAlerts().length;
    await openBriefly(STOLEN, 8085);
    await cycle();
    const row = change(8085);
    expect(row).toMatchObject({ status: "transient", detected_status: "unapproved", approval_id: "CHG-7", actor_verdict: "unexpected", severity: "critical", who: ALICE_ARN, who_ip: THIEF_IP });
    expect(row.actor_problem).toBe(`source address ${THIEF_IP} is not in the allowed networks (10.0.0.0/8)`);
    expect(row.approval_note).toContain("CHG-7 would cover it, but it was made by an unexpected actor");
    const alert = transientAlerts().at(-1);
    expect(alert?.items).toEqual([
      expect.objectContaining({
        change: expect.objectContaining({ changeId: row.id, severity: "critical" }),
        actor: { verdict: "unexpected", problems: [row.actor_problem], approvalId: "CHG-7" },
      }),
    ]);
    expect(actorAlerts(), "the transient alert is the one alert: nothing else repeats it").toHaveLength(actorBefore);

    const mails = await waitForMessages(sink, mailsBefore + 1);
    const mail = mails.slice(mailsBefore).find((m) => /no poll saw it/.test(m.subject ?? ""));
    expect(mail?.subject).toMatch(/^\[sgwatch\] CRITICAL app: tcp\/8085 was open to 10\.0\.0\.0\/8 for 10 s between two polls; no poll saw it; unexpected actor$/);
    expect(mail?.text).toContain("UNEXPECTED ACTOR: made from outside the actor policy (cloudtrail.actors), so no approval covers it; covering record: CHG-7");
    expect(mail?.text).toContain(`- source address ${THIEF_IP} is not in the allowed networks (10.0.0.0/8)`);
  });

  it("a short-lived opening CHG-7 covers, made by an allowed deploy session that is not its by:, is not approved and is alerted", async () => {
    const before = transientAlerts().length;
    await openBriefly(DEPLOY, 8086);
    await cycle();
    const row = change(8086);
    expect(row).toMatchObject({ status: "transient", detected_status: "unapproved", approval_id: "CHG-7", actor_verdict: "not-by", severity: "medium" });
    expect(row.actor_problem).toBe(`made by arn:aws:sts::${TEST_ACCOUNT}:assumed-role/deploy-web/pipeline-42, but record CHG-7 approves it only when made by ${ALICE_ARN}`);
    expect(transientAlerts()).toHaveLength(before + 1);
    expect(transientAlerts().at(-1)?.items).toEqual([expect.objectContaining({ actor: { verdict: "not-by", problems: [row.actor_problem], approvalId: "CHG-7" } })]);
  });

  it("a short-lived opening by an allowed caller stays as before: approved by CHG-7, verdict allowed, no alert", async () => {
    const before = transientAlerts().length;
    await openBriefly(ALICE, 8087);
    await cycle();
    expect(change(8087)).toMatchObject({ status: "transient", detected_status: "approved", approval_id: "CHG-7", actor_verdict: "allowed", actor_problem: null, severity: "medium" });
    expect(transientAlerts()).toHaveLength(before);
  });

  it("sgwatch changes shows the verdict and the failed condition in the status, and in JSON", async () => {
    assertBuilt();
    const cli = (...args: string[]) => runCli(["--db", files.databasePath, "changes", "--since", "2026-03-02T00:00Z", ...args]);
    const text = (await cli()).stdout;
    expect(text).toContain(`unapproved (CHG-7); unexpected actor: source address ${THIEF_IP} is not in the allowed networks (10.0.0.0/8)`);
    expect(text).toContain("unapproved (CHG-7); made by someone else than by:");
    const rows = JSON.parse((await cli("--json")).stdout) as Array<{ ports: string; actor_verdict: string | null; actor_problem: string | null }>;
    expect(rows.find((r) => r.ports === "9200")).toMatchObject({ actor_verdict: "unexpected", actor_problem: "VPC endpoint vpce-0bad0bad0bad is not allowed (allowed: vpce-0aaa1111)" });
    // A short-lived opening's verdict reads the same way, beside its transient status.
    expect(text).toMatch(new RegExp(`transient \\(CHG-7, unapproved[^)]*\\)[^)]*\\); unexpected actor: source address ${THIEF_IP.replace(/\./g, "\\.")} is not in the allowed networks`));
    expect(rows.find((r) => r.ports === "8085")).toMatchObject({ actor_verdict: "unexpected" });
  });

  it("a restart on the same database alerts nothing twice", async () => {
    const before = reader.prepare("SELECT count(*) AS n FROM outbox WHERE kind = 'unexpected-actor'").get() as { n: number };
    await app.close();
    app = newApp();
    await cycle();
    await cycle();
    expect(reader.prepare("SELECT count(*) AS n FROM outbox WHERE kind = 'unexpected-actor'").get()).toEqual(before);
  });
});
