// The scheduled report (issue 12 section 2), with real parts: the simulator
// over HTTP with the real SDK, App writing a real SQLite file, a real SMTP
// server taking the mail (parsed by mailparser), the fake clock, and the CLI
// as a child process. No wall-clock waits: the report schedule's tick is
// triggered directly (node-cron only decides when it runs). It proves:
// - a tick queues one report in the outbox and delivers it to report.to only
//   (not the alert list), with a subject of counts, a text part and an HTML
//   part, no urgency flag; a hostile group name is escaped in HTML and kept
//   on one line in text;
// - a tick that finds a polling cycle running waits for it to end before it
//   reads the database (event order, no timers);
// - a report that cannot be queued (the database locked) is logged with its
//   reason;
// - during an SMTP outage the report waits in the outbox (polling goes on)
//   and is delivered once the server takes mail again: delayed, not lost;
//   a process that stops with it queued leaves it for the next to deliver;
// - `sgwatch report --email` mails the same report now and says where.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import BetterSqlite3 from "better-sqlite3";
import { AuthorizeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import { startAppWorld, type AppWorld } from "../support/app-world.js";
import { INTRUDER, MONITOR } from "../support/sim-harness.js";
import { TEST_ACCOUNT, loadTestConfig } from "../support/config-file.js";
import { App } from "../../src/daemon/app.js";
import { ReportSchedule } from "../../src/daemon/report-schedule.js";
import { Scheduler } from "../../src/daemon/scheduler.js";
import { assertBuilt, runCli } from "../support/cli.js";

const FIVE_MIN = 5 * 60_000;
const REPORT = { schedule: "0 8 * * 1", to: ["auditors@test.example"] };
const HOSTILE = "evil</td><script>x</script>\r\nFORGED";

describe("the scheduled report", { timeout: 120_000 }, () => {
  let w: AppWorld;
  let schedule: ReportSchedule;

  beforeEach(async () => {
    w = await startAppWorld({ extra: { report: REPORT } });
    schedule = new ReportSchedule({ schedule: REPORT.schedule, queue: () => w.app.queueReport(), dispatch: () => w.app.dispatch(), logger: w.log.logger });
    // A hostile group already open to the world, then a baseline and one unapproved drift. With the demo web tier's
    // four world-open rules on its public load balancer, six rules are world-open: the subject counts them.
    const region = w.harness.sim.state.account(TEST_ACCOUNT).region("us-east-1");
    region.adoptGroup({
      groupId: "sg-0badbadbadbad0001",
      groupName: HOSTILE,
      description: "x",
      vpcId: w.harness.demo.vpcId,
      ownerId: TEST_ACCOUNT,
      tags: [],
      rules: [{ ruleId: "sgr-0badbadbadbad0001", isEgress: false, protocol: "tcp", fromPort: 3389, toPort: 3389, peer: { kind: "ipv4", cidr: "0.0.0.0/0" }, description: "", tags: [] }],
    });
    await w.poll();
    await w.harness.client(INTRUDER).send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId: w.harness.demo.groups.bastion, IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }),
    );
    w.clock.advance(FIVE_MIN);
    await w.poll();
    await w.newMails(); // the baseline's posture mail and the drift alert
  });
  afterEach(async () => {
    await schedule?.stop();
    await w?.close();
  });

  it("a tick mails the posture report to report.to only: counts in the subject, text and HTML parts, hostile names escaped", async () => {
    const before = w.sink.messages.length;
    const id = await schedule.tick();
    expect(id).toEqual(expect.any(Number));
    await w.app.dispatch(); // the tick started it; this waits for the same run
    const [mail, ...more] = await w.newMails();
    expect(more).toEqual([]);
    expect(w.sink.messages.slice(before).map((m) => m.to)).toEqual([["auditors@test.example"]]);
    expect(mail?.subject).toBe("[sgwatch] posture report: 0 guardrail violations, 6 world-open or broad rules, 1 open unapproved change");
    const text = mail?.text ?? "";
    expect(text).toContain("Unapproved changes not acknowledged or reverted:");
    // Attached to nothing, so high; its line break is shown escaped, never a new line of the report.
    expect(text).toContain("high  123456789012 us-east-1  sg-0badbadbadbad0001 (evil</td><script>x</script>\\r\\nFORGED)  TCP 3389 from 0.0.0.0/0");
    expect(text).not.toContain("\r\nFORGED");
    const html = typeof mail?.html === "string" ? mail.html : "";
    expect(html).toContain("<table");
    expect(html).toContain("evil&lt;/td&gt;&lt;script&gt;x&lt;/script&gt;");
    expect(html).not.toContain("<script>");
    // A report is not an alert: no urgency header however bad it is.
    expect(mail?.headerLines.map((h) => h.key)).not.toContain("x-priority");
    expect(w.reader.prepare("SELECT channel, kind, severity, status FROM outbox WHERE id = ?").get(id)).toEqual({ channel: "report", kind: "report", severity: "low", status: "sent" });
    expect(w.log.lines().filter((l) => l.event === "report-queued")).toHaveLength(1);
  });

  it("a tick during a polling cycle waits for it to end before reading the database: the report is late, never the poll", async () => {
    let endCycle!: () => void;
    const cycle = new Promise<void>((resolve) => (endCycle = resolve));
    const order: string[] = [];
    const polling = new Scheduler({ schedule: "*/5 * * * *", run: async () => { await cycle; order.push("cycle ended"); }, logger: w.log.logger });
    const reporting = new ReportSchedule({ schedule: REPORT.schedule, queue: () => { order.push("report queued"); return w.app.queueReport(); }, dispatch: () => w.app.dispatch(), pollingIdle: () => polling.idle(), logger: w.log.logger });
    polling.tick("test"); // a cycle is running
    const ticked = reporting.tick();
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([]);
    endCycle();
    const id = await ticked;
    expect(order).toEqual(["cycle ended", "report queued"]);
    expect(id).toEqual(expect.any(Number));
    await w.app.dispatch();
    expect((await w.newMails()).map((m) => m.subject)).toEqual(["[sgwatch] posture report: 0 guardrail violations, 6 world-open or broad rules, 1 open unapproved change"]);
    await polling.stop(0, 0);
    await reporting.stop();
  });

  it("a report that cannot be queued (another writer holds the database) is logged with its reason, and the tick does not throw", async () => {
    const locker = new BetterSqlite3(w.files.databasePath);
    try {
      locker.exec("BEGIN IMMEDIATE");
      expect(await schedule.tick()).toBeNull();
    } finally {
      locker.exec("ROLLBACK");
      locker.close();
    }
    expect(w.log.lines().filter((l) => l.event === "report-failed").map((l) => l.reason)).toEqual(["db-locked"]);
    expect(w.reader.prepare("SELECT count(*) AS n FROM outbox WHERE kind = 'report'").get()).toEqual({ n: 0 });
  });

  it("waits in the outbox through an SMTP outage while polling goes on, and is delivered after it", async () => {
    w.sink.failing = true;
    const id = await schedule.tick();
    await w.app.dispatch();
    const row = () => w.reader.prepare("SELECT status, attempts FROM outbox WHERE id = ?").get(id) as { status: string; attempts: number };
    expect(row()).toEqual({ status: "pending", attempts: 1 });
    // Polling does not wait for it: a cycle runs and records while the report is stuck.
    w.clock.advance(FIVE_MIN);
    const r = await w.poll();
    expect(r.targets.map((t) => t.ok)).toEqual([true]);
    expect(await w.newMails()).toEqual([]);

    w.sink.failing = false;
    w.clock.advance(2 * 60 * 60_000); // past the retry's backoff
    await w.app.dispatch();
    const mails = await w.newMails();
    expect(mails.map((m) => m.subject)).toContain("[sgwatch] posture report: 0 guardrail violations, 6 world-open or broad rules, 1 open unapproved change");
    expect(row().status).toBe("sent");
  });

  it("survives a restart while queued: a new process delivers it from the outbox", async () => {
    w.sink.failing = true;
    const id = await schedule.tick();
    await w.app.dispatch();
    // The process stops (as after a crash, nothing of its memory is kept) with the report still pending.
    await schedule.stop();
    await w.app.close();
    w.sink.failing = false;
    w.clock.advance(2 * 60 * 60_000);
    const next = new App({ config: loadTestConfig(w.files), logger: w.log.logger, env: {}, clock: w.clock.clock, credentials: MONITOR });
    try {
      await next.dispatch();
    } finally {
      await next.close();
    }
    const mails = await w.newMails();
    expect(mails.map((m) => m.subject)).toEqual(["[sgwatch] posture report: 0 guardrail violations, 6 world-open or broad rules, 1 open unapproved change"]);
    expect(w.reader.prepare("SELECT status FROM outbox WHERE id = ?").get(id)).toEqual({ status: "sent" });
  });

  it("sgwatch report --email mails it now to report.to and says where", async () => {
    assertBuilt();
    const before = w.sink.messages.length;
    const r = await runCli(["--config", w.files.configPath, "report", "--email"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("report sent to auditors@test.example via 127.0.0.1:");
    expect(w.sink.messages.slice(before).map((m) => m.to)).toEqual([["auditors@test.example"]]);
    const [mail] = await w.newMails();
    expect(mail?.subject).toBe("[sgwatch] posture report: 0 guardrail violations, 6 world-open or broad rules, 1 open unapproved change");
    expect(typeof mail?.html === "string" && mail.html.includes("<table")).toBe(true);
    const bad = await runCli(["--config", w.files.configPath, "report", "--email", "--json"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--email sends the mail");
  });
});
