// Proves the whole poll → diff → judge → record → alert path through App, with
// real parts: the EC2 simulator over HTTP with the AWS SDK, a SQLite file, the
// log channel through a real pino logger, and email to a real SMTP server.
// - The first poll is a baseline: recorded, never alerted.
// - Drift made through the SDK is recorded as change_events with the right
//   kind, severity and approval status (an approval YAML record covers one
//   change), and a description edit is one rule-description-changed event.
// - One poll gives one email (subject: count, worst severity, account, region;
//   text and HTML) and one `drift` log line per unapproved change; hostile
//   names are escaped in HTML and cannot inject mail headers.
// - An unchanged poll writes exactly one polls row and nothing else.
// - History is intervals: "what did sg-X look like at T" is answered exactly.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import BetterSqlite3, { type Database } from "better-sqlite3";
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateTagsCommand,
  RevokeSecurityGroupIngressCommand,
  UpdateSecurityGroupRuleDescriptionsIngressCommand,
} from "@aws-sdk/client-ec2";
import { App } from "../../src/daemon/app.js";
import { startMailSink, type MailSink } from "../../src/demo/mail-sink.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { startSimHarness, ENGINEER, INTRUDER, MONITOR, type SimHarness } from "../support/sim-harness.js";
import { writeTestConfig, loadTestConfig, TEST_ACCOUNT, type TestConfigFiles } from "../support/config-file.js";
import { writeApproval } from "../support/approval-file.js";
import { captureLog, type CapturedLog } from "../support/log-capture.js";
import { fakeClock, REFERENCE_INSTANT, type FakeClock } from "../support/fake-clock.js";
import { parseMessages } from "../support/mailbox.js";
import { tableCounts } from "../support/db-counts.js";
import type { ChangeViewRow } from "../../src/store/view-rows.js";

const FIVE_MIN = 5 * 60_000;
const HOSTILE_NAME = "<script>alert(1)</script>";
const HOSTILE_TAG = "<img src=x onerror=alert(1)>";
const NEW_DESCRIPTION = "R&D {redirect}; see #42";
const HOSTILE_GROUP_ID = "sg-0badbadbadbad0001";


interface HistoryRow {
  group_id: string;
  direction: string;
  protocol: string;
  ports: string;
  source: string;
  description: string | null;
  valid_from: string;
  valid_until: string | null;
}

describe("full cycle through App", () => {
  let tmp: TempDir;
  let harness: SimHarness;
  let sink: MailSink;
  let log: CapturedLog;
  let clock: FakeClock;
  let files: TestConfigFiles;
  let app: App;
  let reader: Database;
  let baselineAt: string;
  let driftAt: string;

  beforeAll(async () => {
    tmp = makeTempDir();
    harness = await startSimHarness();
    sink = await startMailSink();
    log = captureLog();
    clock = fakeClock(REFERENCE_INSTANT); // 2026-03-02 10:00 UTC
    files = writeTestConfig({ dir: tmp.path, endpoint: harness.endpoint, smtpPort: sink.port, label: "prod\r\nBcc: attacker@evil.example" });
    writeApproval(files.approvalsDir, {
      id: "CHG-2001",
      groupName: "app",
      from: "2026-03-02T09:00:00Z",
      until: "2026-03-02T18:00:00Z",
      changes: [{ action: "add", direction: "ingress", protocol: "tcp", ports: 443, source: "10.0.0.0/8" }],
    });
    app = new App({ config: loadTestConfig(files), logger: log.logger, env: {}, clock: clock.clock, credentials: MONITOR });
    reader = new BetterSqlite3(files.databasePath, { readonly: true });
  });

  afterAll(async () => {
    reader?.close();
    await app?.close();
    await sink?.close();
    await harness?.close();
    tmp?.remove();
  });

  const changes = (): ChangeViewRow[] => reader.prepare("SELECT * FROM changes ORDER BY id").all() as ChangeViewRow[];
  const simRuleCount = (): number => [...harness.sim.state.account(TEST_ACCOUNT).region("us-east-1").groups.values()].reduce((n, g) => n + g.rules.length, 0);

  it("records the first poll as a baseline and alerts nothing", async () => {
    baselineAt = clock.iso();
    const result = await app.cycle();
    await app.dispatch();

    const t = result.targets[0];
    expect(t?.ok).toBe(true);
    expect(t?.baseline).toBe(true);
    expect(t?.judged).toEqual([]);
    const polls = reader.prepare("SELECT * FROM polls").all() as Array<Record<string, unknown>>;
    expect(polls).toHaveLength(1);
    expect(polls[0]).toMatchObject({ status: "ok", baseline: 1, group_count: 5, rule_count: simRuleCount(), finished_at: baselineAt });
    // The baseline's diff against nothing (every group and rule new) is counted, but not stored as events.
    expect(polls[0]?.change_count).toBe(5 + simRuleCount());
    const currentRules = (reader.prepare("SELECT count(*) AS n FROM current_rules").get() as { n: number }).n;
    expect(currentRules).toBe(simRuleCount());
    const groupNames = (reader.prepare("SELECT name FROM current_groups ORDER BY name").all() as Array<{ name: string }>).map((g) => g.name);
    expect(groupNames).toEqual(["app", "bastion", "db", "default", "web"]);
    expect(tableCounts(reader)).toMatchObject({ change_events: 0, outbox: 0 });
    expect(sink.messages).toHaveLength(0);
    expect(log.events("drift")).toHaveLength(0);
  });

  it("judges drift made through the SDK: critical, approved, removal, description edit", async () => {
    const g = harness.demo.groups;
    clock.advance(FIVE_MIN);
    driftAt = clock.iso();
    await harness.client(INTRUDER).send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: g.bastion,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
      }),
    );
    await harness.client(ENGINEER).send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: g.app,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: "10.0.0.0/8", Description: "internal ALB" }] }],
      }),
    );
    await harness.client(ENGINEER).send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: g.db,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: g.app }] }],
      }),
    );
    await harness.client(ENGINEER).send(
      new UpdateSecurityGroupRuleDescriptionsIngressCommand({
        GroupId: g.web,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: "0.0.0.0/0", Description: NEW_DESCRIPTION }] }],
      }),
    );
    await harness.client(INTRUDER).send(new CreateTagsCommand({ Resources: [g.web], Tags: [{ Key: "owner", Value: HOSTILE_TAG }] }));
    // AWS refuses "<" in VPC group names, but EC2-Classic names and other
    // EC2-compatible APIs do not; the alert must not trust the API's text.
    harness.sim.state.account(TEST_ACCOUNT).region("us-east-1").adoptGroup({
      groupId: HOSTILE_GROUP_ID,
      groupName: HOSTILE_NAME,
      description: "hostile",
      vpcId: harness.demo.vpcId,
      ownerId: TEST_ACCOUNT,
      tags: [{ key: "Name", value: HOSTILE_TAG }],
      rules: [{ ruleId: "sgr-0badbadbadbad0001", isEgress: true, protocol: "-1", fromPort: null, toPort: null, peer: { kind: "ipv4", cidr: "0.0.0.0/0" }, tags: [] }],
    });

    const result = await app.cycle();
    await app.dispatch();
    expect(result.targets[0]?.ok).toBe(true);
    expect(result.targets[0]?.baseline).toBe(false);

    const rows = changes();
    const pollId = (reader.prepare("SELECT max(id) AS id FROM polls").get() as { id: number }).id;
    for (const r of rows) {
      expect(r).toMatchObject({ account: TEST_ACCOUNT, region: "us-east-1", time: driftAt, since_previous_poll: baselineAt, poll_id: pollId });
    }
    const find = (pred: (r: ChangeViewRow) => boolean): ChangeViewRow[] => rows.filter(pred);

    expect(find((r) => r.group_id === g.bastion)).toEqual([
      expect.objectContaining({ kind: "rule-added", direction: "ingress", protocol: "tcp", ports: "22", source: "0.0.0.0/0", severity: "critical", status: "unapproved", approval_id: null }),
    ]);
    expect(find((r) => r.group_id === g.app)).toEqual([
      expect.objectContaining({ kind: "rule-added", protocol: "tcp", ports: "443", source: "10.0.0.0/8", status: "approved", approval_id: "CHG-2001" }),
    ]);
    expect(find((r) => r.group_id === g.db)).toEqual([
      expect.objectContaining({ kind: "rule-removed", protocol: "tcp", ports: "5432", source: g.app, severity: "low", status: "unapproved" }),
    ]);
    const web = find((r) => r.group_id === g.web);
    expect(web.map((r) => r.kind).sort()).toEqual(["group-changed", "rule-description-changed"]);
    expect(web.find((r) => r.kind === "rule-description-changed")).toMatchObject({
      protocol: "tcp",
      ports: "80",
      source: "0.0.0.0/0",
      description: NEW_DESCRIPTION,
      old_description: "redirect to HTTPS",
      severity: "low",
    });
    const tagChange = web.find((r) => r.kind === "group-changed");
    expect(JSON.parse(tagChange?.after ?? "{}")).toMatchObject({ tags: expect.objectContaining({ owner: HOSTILE_TAG }) });
    expect(find((r) => r.group_id === HOSTILE_GROUP_ID).map((r) => `${r.kind} ${r.direction ?? ""}`)).toEqual(["group-created ", "rule-added egress"]);
    expect(find((r) => r.group_id === HOSTILE_GROUP_ID)[0]?.group_name).toBe(HOSTILE_NAME);
    expect(rows).toHaveLength(7);
    // The raw table keeps every covering record and the detected rule's columns.
    const approvedRaw = reader.prepare("SELECT * FROM change_events WHERE status = 'approved'").all() as Array<Record<string, unknown>>;
    expect(approvedRaw).toEqual([
      expect.objectContaining({ kind: "rule-added", group_id: g.app, group_name: "app", vpc_id: harness.demo.vpcId, from_port: 443, to_port: 443, source_kind: "ipv4", description: "internal ALB", approval_ids: '["CHG-2001"]', detected_at: driftAt, interval_start: baselineAt }),
    ]);
    expect(reader.prepare("SELECT count(*) AS n FROM change_events WHERE status = 'unapproved' AND approval_id IS NOT NULL").get()).toEqual({ n: 0 });
  });

  it("writes one drift log line per unapproved change and none for the approved one", () => {
    const rows = changes();
    const unapproved = rows.filter((r) => r.status === "unapproved");
    const drift = log.events("drift");
    expect(drift.map((l) => l.changeId).sort()).toEqual(unapproved.map((r) => r.id).sort());
    const critical = drift.find((l) => l.severity === "critical");
    expect(critical).toMatchObject({
      level: "warn",
      kind: "rule-added",
      account: TEST_ACCOUNT,
      region: "us-east-1",
      groupId: harness.demo.groups.bastion,
      groupName: "bastion",
      direction: "ingress",
      protocol: "tcp",
      fromPort: 22,
      toPort: 22,
      source: "0.0.0.0/0",
      rule: "TCP 22 from 0.0.0.0/0",
      detectedAt: driftAt,
      since: baselineAt,
    });
    expect(String(critical?.console)).toContain(harness.demo.groups.bastion);
    // A log line is one line: the target label's CR/LF must not split it.
    expect(drift.every((l) => !String(l.msg).includes("\n"))).toBe(true);
  });

  it("sends exactly one email for the poll, escaped and header-safe", async () => {
    const mails = await parseMessages(sink);
    expect(mails).toHaveLength(1);
    const mail = mails[0]!;
    const unapproved = changes().filter((r) => r.status === "unapproved");
    const subject = mail.subject ?? "";
    expect(subject).not.toMatch(/[\r\n]/);
    expect(subject).toMatch(new RegExp(`^\\[sgwatch\\] CRITICAL: ${unapproved.length} unapproved security-group changes in .*\\(${TEST_ACCOUNT}\\) us-east-1$`));
    // The label's "\r\nBcc:" stayed inside the subject instead of becoming a header.
    expect(mail.bcc).toBeUndefined();
    expect(sink.messages[0]?.to).toEqual(["ops@test.example"]);
    expect(mail.headers.get("x-sgwatch-severity")).toBe("critical");

    const text = mail.text ?? "";
    for (const r of unapproved) expect(text).toContain(`#${r.id}`);
    const approved = changes().find((r) => r.status === "approved");
    expect(text).not.toContain(`#${approved?.id} `);
    expect(text).toContain("TCP 22 from 0.0.0.0/0");

    const html = typeof mail.html === "string" ? mail.html : "";
    expect(html).toContain("TCP 22 from 0.0.0.0/0");
    expect(html).not.toContain(HOSTILE_NAME);
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(html).toContain("R&amp;D {redirect}; see #42");
    expect(html).not.toMatch(/<script/i);
  });

  it("records an unchanged poll as one polls row and nothing else", async () => {
    const before = tableCounts(reader);
    const mailsBefore = sink.messages.length;
    const driftBefore = log.events("drift").length;
    clock.advance(FIVE_MIN);
    const result = await app.cycle();
    await app.dispatch();
    expect(result.targets[0]?.judged).toEqual([]);
    const after = tableCounts(reader);
    expect(after).toEqual({ ...before, polls: (before.polls ?? 0) + 1 });
    const last = reader.prepare("SELECT * FROM polls ORDER BY id DESC LIMIT 1").get() as Record<string, unknown>;
    expect(last).toMatchObject({ status: "ok", baseline: 0, change_count: 0 });
    expect(sink.messages).toHaveLength(mailsBefore);
    expect(log.events("drift")).toHaveLength(driftBefore);
  });

  it("keeps history as intervals and answers 'what did sg-X look like at T'", () => {
    const g = harness.demo.groups;
    const removed = reader
      .prepare("SELECT * FROM group_history WHERE group_id = ? AND ports = '5432'")
      .all(g.db) as HistoryRow[];
    expect(removed).toEqual([expect.objectContaining({ source: g.app, valid_from: baselineAt, valid_until: driftAt })]);
    const web80 = reader.prepare("SELECT * FROM group_history WHERE group_id = ? AND ports = '80' ORDER BY valid_from").all(g.web) as HistoryRow[];
    expect(web80.map((r) => [r.description, r.valid_from, r.valid_until])).toEqual([
      ["redirect to HTTPS", baselineAt, driftAt],
      [NEW_DESCRIPTION, driftAt, null],
    ]);

    const at = (groupId: string, t: string): string[] =>
      (
        reader
          .prepare(
            `SELECT * FROM group_history WHERE group_id = ? AND valid_from <= ? AND (valid_until IS NULL OR valid_until > ?)
             ORDER BY direction, protocol, ports, source`,
          )
          .all(groupId, t, t) as HistoryRow[]
      ).map((r) => `${r.direction} ${r.protocol} ${r.ports} ${r.source} ${r.description ?? ""}`.trim());
    const between = new Date(Date.parse(baselineAt) + 60_000).toISOString();
    const later = new Date(Date.parse(driftAt) + 60_000).toISOString();
    expect(at(g.db, between)).toEqual([
      "egress all all 0.0.0.0/0",
      `ingress tcp 22 ${g.bastion} SSH from bastion`,
      `ingress tcp 5432 ${g.app} PostgreSQL from app`,
    ]);
    expect(at(g.db, later)).toEqual(["egress all all 0.0.0.0/0", `ingress tcp 22 ${g.bastion} SSH from bastion`]);
    expect(at(g.bastion, between)).not.toContain("ingress tcp 22 0.0.0.0/0");
    expect(at(g.bastion, later)).toContain("ingress tcp 22 0.0.0.0/0");
    expect(at(g.web, between)).toContain("ingress tcp 80 0.0.0.0/0 redirect to HTTPS");
    expect(at(g.web, later)).toContain(`ingress tcp 80 0.0.0.0/0 ${NEW_DESCRIPTION}`);
    // Before the first poll sgwatch knew nothing.
    expect(at(g.db, "2026-03-02T09:59:59.000Z")).toEqual([]);
  });
});
