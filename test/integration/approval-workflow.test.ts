// Proves issue 3's approval workflow end to end through App in-process: the
// simulator over HTTP with the real SDK, a real SQLite file, the SMTP mail
// sink parsed by mailparser, and a fake clock (approval windows, exposure
// and reminders are all decided by it). Each scenario runs in its own world
// (simulator, sink, database) so their alerts cannot mix:
// - a YAML record approves a matching change: stored approved with its id,
//   linked in change_approvals, counted in the `approvals` view, no email;
// - a change wider than its nearest record is unapproved and the email says
//   which record and why;
// - `sgwatch ack` (child process) acknowledges after the fact, keeping the
//   detection-time status; bad ids change nothing, all or nothing;
// - a rule opened and closed again is reverted with its observed exposure
//   ("2 h 13 min") in the database and in the closing alert; a removal
//   restored is reverted too;
// - open critical/high changes are reminded every remindEvery, once per
//   period, and never once acknowledged;
// - an approval whose window ended unused is reported once;
// - bad approval files are reported with file and line, alert once per
//   distinct problem, and do not stop the valid records beside them;
// - a deleted file withdraws its records for the future, not the past.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { AuthorizeSecurityGroupIngressCommand, RevokeSecurityGroupIngressCommand, type IpPermission } from "@aws-sdk/client-ec2";
import type { ParsedMail } from "mailparser";
import { startAppWorld, type AppWorld } from "../support/app-world.js";
import { ENGINEER, INTRUDER, type Credentials } from "../support/sim-harness.js";
import { writeApproval } from "../support/approval-file.js";
import { assertBuilt, runCli, type CliResult } from "../support/cli.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
// Each CLI run starts Node and loads the SDK; generous for loaded CI machines.
const SLOW = 120_000;

/** A tcp ingress permission from an IPv4 CIDR. */
function tcpFrom(port: number, cidr: string): IpPermission {
  return { IpProtocol: "tcp", FromPort: port, ToPort: port, IpRanges: [{ CidrIp: cidr }] };
}

/** A tcp ingress permission from another group. */
function tcpFromGroup(port: number, groupId: string, description?: string): IpPermission {
  return { IpProtocol: "tcp", FromPort: port, ToPort: port, UserIdGroupPairs: [{ GroupId: groupId, ...(description ? { Description: description } : {}) }] };
}

async function authorize(w: AppWorld, groupId: string, perm: IpPermission, who: Credentials = ENGINEER): Promise<void> {
  await w.harness.client(who).send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [perm] }));
}

async function revoke(w: AppWorld, groupId: string, perm: IpPermission, who: Credentials = ENGINEER): Promise<void> {
  await w.harness.client(who).send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [perm] }));
}

function explain(r: CliResult): string {
  return `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

/** `sgwatch --db DB --config CFG ack …` against the world's database. */
function ack(w: AppWorld, args: string[]): Promise<CliResult> {
  return runCli(["--db", w.files.databasePath, "--config", w.files.configPath, "ack", ...args]);
}

function subjects(mails: ParsedMail[]): string[] {
  return mails.map((m) => m.subject ?? "");
}

describe("approved and wider-than-approved changes, and acknowledging after the fact", { timeout: SLOW }, () => {
  let w: AppWorld;
  let approvedId: number;
  let widerId: number;
  let otherId: number;

  beforeAll(async () => {
    assertBuilt();
    w = await startAppWorld({
      beforeStart: (dir) => {
        writeApproval(dir, {
          id: "CHG-OK",
          groupName: "app",
          from: "2026-03-02T09:00:00Z",
          until: "2026-03-02T18:00:00Z",
          changes: [{ action: "add", protocol: "tcp", ports: 443, source: "10.0.0.0/8" }],
        });
        writeApproval(dir, {
          id: "CHG-NARROW",
          groupName: "web",
          from: "2026-03-02T09:00:00Z",
          until: "2026-03-02T18:00:00Z",
          changes: [{ action: "add", protocol: "tcp", ports: 8443, source: "10.0.0.0/16" }],
        });
      },
    });
    await w.poll(); // baseline, 10:00
    expect(await w.newMails()).toEqual([]);
  });

  afterAll(async () => {
    await w?.close();
  });

  it("stores a change covered by a file record as approved, links it, and emails nothing", async () => {
    await authorize(w, w.harness.demo.groups.app, tcpFrom(443, "10.0.0.0/8"));
    w.clock.advance(5 * MIN);
    const result = await w.poll();
    expect(result.targets[0]?.judged.map((j) => j.judgement.status)).toEqual(["approved"]);

    const rows = w.changes();
    expect(rows).toEqual([
      expect.objectContaining({ kind: "rule-added", group_name: "app", ports: "443", source: "10.0.0.0/8", status: "approved", detected_status: "approved", approval_id: "CHG-OK", approval_note: null }),
    ]);
    approvedId = rows[0]!.id;
    expect(w.reader.prepare("SELECT change_id, approval_id FROM change_approvals").all()).toEqual([{ change_id: approvedId, approval_id: "CHG-OK" }]);
    const ok = w.approvals().find((a) => a.id === "CHG-OK");
    expect(ok).toMatchObject({ origin: "file", file: path.join(w.files.approvalsDir, "CHG-OK.yaml"), line: 1, changes_covered: 1, selector: "group named app" });
    expect(w.approvals().find((a) => a.id === "CHG-NARROW")?.changes_covered).toBe(0);
    // Approved drift alerts nobody: no email, no drift log line.
    expect(await w.newMails()).toEqual([]);
    expect(w.log.events("drift")).toEqual([]);
  });

  it("leaves a change wider than the nearest record unapproved and says why in the email", async () => {
    await authorize(w, w.harness.demo.groups.web, tcpFrom(8443, "10.0.0.0/8"));
    await authorize(w, w.harness.demo.groups.db, tcpFrom(6000, "10.0.0.0/8"));
    w.clock.advance(5 * MIN);
    await w.poll();

    const fresh = w.changes().filter((r) => r.id > approvedId);
    const wider = fresh.find((r) => r.group_name === "web");
    const other = fresh.find((r) => r.group_name === "db");
    expect(wider).toMatchObject({ kind: "rule-added", ports: "8443", source: "10.0.0.0/8", status: "unapproved", approval_id: null });
    expect(wider?.approval_note).toBe("CHG-NARROW allows 10.0.0.0/16 but 10.0.0.0/8 was opened");
    expect(other).toMatchObject({ status: "unapproved", approval_id: null });
    widerId = wider!.id;
    otherId = other!.id;
    expect(w.reader.prepare("SELECT count(*) AS n FROM change_approvals WHERE change_id IN (?, ?)").get(widerId, otherId)).toEqual({ n: 0 });

    const mails = await w.newMails();
    expect(mails).toHaveLength(1);
    const text = mails[0]?.text ?? "";
    expect(text).toContain(`#${widerId}`);
    expect(text).toContain("nearest approval: CHG-NARROW allows 10.0.0.0/16 but 10.0.0.0/8 was opened");
    expect(text).not.toContain(`#${approvedId} `);
    const html = typeof mails[0]?.html === "string" ? mails[0].html : "";
    expect(html).toContain("nearest approval: CHG-NARROW allows 10.0.0.0/16 but 10.0.0.0/8 was opened");
  });

  it("refuses to ack an approved change, an unknown id, or a batch with one bad id, and changes nothing", async () => {
    const acks = (): number => (w.reader.prepare("SELECT count(*) AS n FROM acknowledgements").get() as { n: number }).n;

    const approved = await ack(w, [String(approvedId), "--by", "bob", "--reason", "looks fine"]);
    expect(approved.code, explain(approved)).toBe(2);
    expect(approved.stderr).toContain(`change ${approvedId} was approved when detected; nothing to acknowledge`);

    const unknown = await ack(w, ["999999", "--by", "bob", "--reason", "looks fine"]);
    expect(unknown.code, explain(unknown)).toBe(2);
    expect(unknown.stderr).toContain("change 999999 does not exist");

    // All or nothing: the good id in the batch must not be acknowledged either.
    const mixed = await ack(w, [String(widerId), "999998", "--by", "bob", "--reason", "looks fine"]);
    expect(mixed.code, explain(mixed)).toBe(2);
    expect(mixed.stderr).toContain("nothing was acknowledged");
    expect(mixed.stderr).toContain("change 999998 does not exist");
    expect(acks()).toBe(0);
    expect(w.change(widerId).status).toBe("unapproved");
  });

  it("acknowledges an unapproved change with who, why and ticket, keeping the detected status", async () => {
    const r = await ack(w, [`#${widerId}`, "--by", "bob", "--reason", "partner VPN needs the whole range", "--ticket", "OPS-1"]);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toContain(`acknowledged #${widerId} by bob (OPS-1)`);
    expect(w.change(widerId)).toMatchObject({
      status: "acknowledged",
      detected_status: "unapproved",
      acked_by: "bob",
      ack_reason: "partner VPN needs the whole range",
      ack_ticket: "OPS-1",
      approval_id: null,
      approval_note: "CHG-NARROW allows 10.0.0.0/16 but 10.0.0.0/8 was opened",
    });
    // The detection-time row itself is not rewritten.
    expect(w.reader.prepare("SELECT status FROM change_events WHERE id = ?").get(widerId)).toEqual({ status: "unapproved" });
    expect(w.change(otherId).status).toBe("unapproved");
  });

  it("refuses to ack the same change twice (exit 2) and keeps the first acknowledgement", async () => {
    const again = await ack(w, [String(widerId), String(otherId), "--by", "carol", "--reason", "again"]);
    expect(again.code, explain(again)).toBe(2);
    expect(again.stderr).toContain(`change ${widerId} is already acknowledged`);
    expect(w.change(widerId)).toMatchObject({ acked_by: "bob", ack_ticket: "OPS-1" });
    // The other id of the refused batch was not acknowledged either.
    expect(w.change(otherId).status).toBe("unapproved");
    expect(w.reader.prepare("SELECT count(*) AS n FROM acknowledgements").get()).toEqual({ n: 1 });
  });
});

describe("reverts and their exposure time", () => {
  let w: AppWorld;

  beforeAll(async () => {
    w = await startAppWorld();
    await w.poll(); // baseline, 10:00
  });

  afterAll(async () => {
    await w?.close();
  });

  it("marks an opened-then-closed rule reverted with the time between the detecting polls", async () => {
    const bastion = w.harness.demo.groups.bastion;
    await authorize(w, bastion, tcpFrom(22, "0.0.0.0/0"), INTRUDER);
    w.clock.advance(5 * MIN); // 10:05
    const openedAt = w.clock.iso();
    await w.poll();
    const [opened] = w.changes();
    expect(opened).toMatchObject({ kind: "rule-added", ports: "22", source: "0.0.0.0/0", severity: "critical", status: "unapproved", time: openedAt, exposure: null });
    const [alert] = await w.newMails();
    expect(alert?.subject).toBe("[sgwatch] CRITICAL bastion: tcp/22 opened to the internet");
    // Critical with no guardrail configured: still no invitation to pre-approve SSH from the world (issue #12 section 1).
    expect(alert?.text).not.toMatch(/pre-approve/i);
    expect(typeof alert?.html === "string" ? alert.html : "").not.toMatch(/pre-approve/i);

    await revoke(w, bastion, tcpFrom(22, "0.0.0.0/0"), INTRUDER);
    w.clock.advance(2 * HOUR + 13 * MIN); // 12:18
    const closedAt = w.clock.iso();
    await w.poll();

    const rows = w.changes();
    const removal = rows.find((r) => r.kind === "rule-removed");
    // The removal closed the incident: its own status, naming the change it undid.
    expect(removal).toMatchObject({ ports: "22", source: "0.0.0.0/0", status: "revert", detected_status: "unapproved", closes: opened!.id, time: closedAt });
    expect(w.change(opened!.id)).toMatchObject({ status: "reverted", detected_status: "unapproved", reverted_at: closedAt, exposure: "2 h 13 min" });
    const raw = w.reader.prepare("SELECT exposure_seconds, reverted_by_change_id FROM change_events WHERE id = ?").get(opened!.id);
    expect(raw).toEqual({ exposure_seconds: (Date.parse(closedAt) - Date.parse(openedAt)) / 1000, reverted_by_change_id: removal!.id });
    expect((Date.parse(closedAt) - Date.parse(openedAt)) / 1000).toBe(2 * 3600 + 13 * 60);

    // The revert closes the incident: one short reply in the alert's thread, not a new change to acknowledge.
    const mails = await w.newMails();
    expect(mails).toHaveLength(1);
    const closed = mails[0]!;
    expect(closed.subject).toBe(`Re: ${alert!.subject}`);
    expect(closed.inReplyTo).toBe(alert!.messageId);
    expect([closed.references].flat()).toEqual([alert!.messageId]);
    expect(closed.text).toContain(`Closed after 2 h 13 min: unapproved change #${opened!.id} on ${bastion} (bastion)`);
    expect(closed.text).toContain(`undone by change #${removal!.id}`);
    expect(closed.text).not.toContain("sgwatch ack");
    expect(closed.headerLines.map((h) => h.key)).not.toContain("x-priority"); // good news is not urgent
  });

  it("marks an unapproved removal reverted when the rule is restored", async () => {
    const { db, app } = w.harness.demo.groups;
    const pg = tcpFromGroup(5432, app);
    await revoke(w, db, pg);
    w.clock.advance(5 * MIN);
    const removedAt = w.clock.iso();
    await w.poll();
    const removal = w.changes().at(-1)!;
    expect(removal).toMatchObject({ kind: "rule-removed", group_id: db, ports: "5432", source: app, status: "unapproved", exposure: null });

    await authorize(w, db, tcpFromGroup(5432, app, "PostgreSQL from app"));
    w.clock.advance(45 * MIN);
    const restoredAt = w.clock.iso();
    await w.poll();
    const restore = w.changes().at(-1)!;
    expect(restore).toMatchObject({ kind: "rule-added", group_id: db, ports: "5432", source: app, status: "revert", closes: removal.id });
    expect(w.change(removal.id)).toMatchObject({ status: "reverted", reverted_at: restoredAt, exposure: "45 min" });
    expect(w.reader.prepare("SELECT exposure_seconds FROM change_events WHERE id = ?").get(removal.id)).toEqual({
      exposure_seconds: (Date.parse(restoredAt) - Date.parse(removedAt)) / 1000,
    });
    const mails = await w.newMails();
    // The removal's alert, then the reply in its thread that closes it.
    expect(mails).toHaveLength(2);
    expect(mails[1]?.subject).toBe(`Re: ${mails[0]?.subject}`);
    expect(mails[1]?.inReplyTo).toBe(mails[0]?.messageId);
    expect(mails[1]?.text).toContain(`Closed after 45 min: unapproved change #${removal.id} on ${db} (db)`);
  });
});

describe("reminders for open critical and high changes", { timeout: SLOW }, () => {
  let w: AppWorld;
  let ackedId: number;
  let criticalId: number;
  let highId: number;
  let mediumId: number;
  let driftAlert: ParsedMail;

  beforeAll(async () => {
    assertBuilt();
    w = await startAppWorld({ extra: { alerts: { remindEvery: "1h" } } });
    await w.poll(); // baseline, 10:00
    const g = w.harness.demo.groups;
    await authorize(w, g.bastion, tcpFrom(22, "0.0.0.0/0"), INTRUDER); // critical, acknowledged below
    await authorize(w, g.web, tcpFrom(3389, "0.0.0.0/0"), INTRUDER); // critical
    await authorize(w, g.app, tcpFrom(8080, "0.0.0.0/0"), INTRUDER); // high: world-open, not a sensitive port
    await authorize(w, g.db, tcpFrom(6000, "10.0.0.0/8")); // medium: never reminded
    w.clock.advance(5 * MIN); // 10:05
    await w.poll();
    const rows = w.changes();
    const by = (groupId: string): number => rows.find((r) => r.group_id === groupId)!.id;
    [ackedId, criticalId, highId, mediumId] = [by(g.bastion), by(g.web), by(g.app), by(g.db)];
    expect(rows.map((r) => [r.id, r.severity])).toEqual(
      expect.arrayContaining([
        [ackedId, "critical"],
        [criticalId, "critical"],
        [highId, "high"],
        [mediumId, "medium"],
      ]),
    );
    const drift = await w.newMails();
    expect(drift).toHaveLength(1); // the drift alert
    driftAlert = drift[0]!;
    expect(driftAlert.subject).toMatch(/^\[sgwatch\] CRITICAL: 4 unapproved security-group changes in /);
    const r = await ack(w, [String(ackedId), "--by", "dana", "--reason", "break-glass access during incident"]);
    expect(r.code, explain(r)).toBe(0);
  });

  afterAll(async () => {
    await w?.close();
  });

  it("sends one reminder digest once remindEvery has passed, listing the open critical and high changes only", async () => {
    w.clock.advance(61 * MIN); // 11:06
    await w.poll();
    // Two replies in the thread of the drift alert: dana's acknowledgement (made
    // after the last cycle, said at this one) and the reminder of the rest.
    const mails = await w.newMails();
    expect(subjects(mails)).toEqual([`Re: ${driftAlert.subject}`, `Re: ${driftAlert.subject}`]);
    expect(mails.map((m) => m.inReplyTo)).toEqual([driftAlert.messageId, driftAlert.messageId]);
    const acked = mails.find((m) => m.text?.startsWith("Acknowledged by"));
    expect(acked?.text).toContain(`Acknowledged by dana at `);
    expect(acked?.text).toContain(`#${ackedId} `);
    expect(acked?.text).toContain("Reason: break-glass access during incident");
    const reminder = mails.find((m) => m.text?.startsWith("These unapproved changes are still in effect"));
    expect(reminder).toBeDefined();
    const text = reminder?.text ?? "";
    expect(text).toContain(`#${criticalId} `);
    expect(text).toContain(`#${highId} `);
    expect(text).toContain("TCP 3389 from 0.0.0.0/0");
    expect(text).not.toContain(`#${ackedId} `);
    expect(text).not.toContain(`#${mediumId} `);
    // Worst first: the critical change leads the digest and its ack command.
    expect(text.indexOf(`#${criticalId} `)).toBeLessThan(text.indexOf(`#${highId} `));
    expect(text).toContain(`sgwatch ack ${criticalId} ${highId} `);
    const reminded = w.reader.prepare("SELECT id, last_reminded_at FROM change_events WHERE last_reminded_at IS NOT NULL ORDER BY id").all();
    expect(reminded).toEqual(
      [criticalId, highId].sort((a, b) => a - b).map((id) => ({ id, last_reminded_at: w.clock.iso() })),
    );
  });

  it("does not remind again within remindEvery", async () => {
    w.clock.advance(30 * MIN); // 11:36
    await w.poll();
    expect(await w.newMails()).toEqual([]);
  });

  it("reminds again after another remindEvery", async () => {
    w.clock.advance(31 * MIN); // 12:07, 61 min after the first reminder
    await w.poll();
    const mails = await w.newMails();
    expect(subjects(mails)).toEqual([`Re: ${driftAlert.subject}`]);
    expect(mails[0]?.text).toContain(`#${criticalId} `);
    expect(mails[0]?.text).not.toContain(`#${ackedId} `);
  });

  it("stops reminding once the changes are acknowledged", async () => {
    const r = await ack(w, [String(criticalId), String(highId), "--by", "dana", "--reason", "accepted risk", "--ticket", "RISK-9"]);
    expect(r.code, explain(r)).toBe(0);
    w.clock.advance(2 * HOUR);
    await w.poll();
    // Only the acknowledgement, once, in the incident's thread; no reminder.
    const mails = await w.newMails();
    expect(subjects(mails)).toEqual([`Re: ${driftAlert.subject}`]);
    const said = mails[0]?.text ?? "";
    expect(said).toMatch(/^Acknowledged by dana at \S+: #\d+ /);
    for (const id of [criticalId, highId]) expect(said).toMatch(new RegExp(`Acknowledged by dana at \\S+: #${id} [^\\n]+\\n  Reason: accepted risk\\n  Ticket: RISK-9`));
    // Two reminders went out in the thread; each channel keeps the receipt of the last one only.
    const receipts = w.reader.prepare("SELECT channel, count(*) AS n, max(created_at) AS last FROM outbox WHERE kind = 'reminder' AND status = 'sent' GROUP BY channel ORDER BY channel").all() as Array<{ channel: string; n: number; last: string }>;
    expect(receipts.length).toBeGreaterThan(0);
    for (const r of receipts) expect(r, r.channel).toMatchObject({ n: 1, last: new Date(w.clock.now().getTime() - 2 * HOUR).toISOString() });
    w.clock.advance(2 * HOUR);
    await w.poll();
    expect(await w.newMails()).toEqual([]);
  });
});

describe("approvals that never happened", () => {
  let w: AppWorld;

  beforeAll(async () => {
    w = await startAppWorld({
      beforeStart: (dir) => {
        writeApproval(dir, {
          id: "CHG-UNUSED",
          groupName: "app",
          from: "2026-03-02T09:00:00Z",
          until: "2026-03-02T10:30:00Z",
          changes: [{ action: "add", protocol: "tcp", ports: 443, source: "10.0.0.0/8" }],
        });
        writeApproval(dir, {
          id: "CHG-USED",
          groupName: "web",
          from: "2026-03-02T09:00:00Z",
          until: "2026-03-02T10:30:00Z",
          changes: [{ action: "add", protocol: "tcp", ports: 8443, source: "10.1.0.0/16" }],
        });
      },
    });
    await w.poll(); // baseline, 10:00
    await authorize(w, w.harness.demo.groups.web, tcpFrom(8443, "10.1.0.0/16"));
    w.clock.advance(5 * MIN); // 10:05
    await w.poll();
    expect(w.changes()).toEqual([expect.objectContaining({ status: "approved", approval_id: "CHG-USED" })]);
  });

  afterAll(async () => {
    await w?.close();
  });

  it("says nothing while the window is open", async () => {
    w.clock.advance(20 * MIN); // 10:25
    await w.poll();
    expect(await w.newMails()).toEqual([]);
  });

  it("reports the unused record exactly once after its window ends, and never the used one", async () => {
    w.clock.advance(10 * MIN); // 10:35
    const reportedAt = w.clock.iso();
    await w.poll();
    const mails = await w.newMails();
    expect(subjects(mails)).toEqual(["[sgwatch] 1 approved change never happened"]);
    const text = mails[0]?.text ?? "";
    expect(text).toContain("CHG-UNUSED (approved by alice@test.example) allowed add ingress tcp/443 from 10.0.0.0/8 on group named app from 2026-03-02T09:00:00Z until 2026-03-02T10:30:00Z, but it never happened");
    expect(text).toContain("but it never happened");
    expect(text).not.toContain("CHG-USED");
    const rows = w.reader.prepare("SELECT id, unfulfilled_reported_at FROM approval_records ORDER BY id").all();
    expect(rows).toEqual([
      { id: "CHG-UNUSED", unfulfilled_reported_at: reportedAt },
      { id: "CHG-USED", unfulfilled_reported_at: null },
    ]);

    for (let i = 0; i < 3; i++) {
      w.clock.advance(10 * MIN);
      await w.poll();
    }
    expect(await w.newMails()).toEqual([]);
    expect(w.log.events("follow-up").filter((l) => Number(l.unusedApprovals) > 0)).toHaveLength(1);
  });
});

describe("bad approval files", () => {
  // Line numbers matter: every problem is asserted with its file and line.
  const A_YAML = [
    "approvals:", // 1
    "  - id: CHG-A1", // 2  valid: approves tcp/443 from 10.0.0.0/8 on app
    "    reason: valid one", // 3
    "    approvedBy: alice", // 4
    "    window: {from: 2026-03-02T09:00Z, until: 2026-03-02T18:00Z}", // 5
    "    groupName: app", // 6
    "    changes:", // 7
    "      - {action: add, protocol: tcp, ports: 443, source: 10.0.0.0/8}", // 8
    "  - id: CHG-A2", // 9
    "    reason: unknown field", // 10
    "    approvedBy: alice", // 11
    "    ticketUrl: https://tickets.example/2", // 12
    "    window: {from: 2026-03-02T09:00Z, until: 2026-03-02T18:00Z}", // 13
    "    groupName: app", // 14
    "    changes:", // 15
    "      - {action: add, protocol: tcp, ports: 8443, source: 10.0.0.0/8}", // 16
    "  - id: CHG-A3", // 17
    "    reason: invalid cidr", // 18
    "    approvedBy: alice", // 19
    "    window: {from: 2026-03-02T09:00Z, until: 2026-03-02T18:00Z}", // 20
    "    groupName: app", // 21
    "    changes:", // 22
    "      - {action: add, protocol: tcp, ports: 9443, source: 10.0.0.0/33}", // 23
    "  - id: CHG-A4", // 24
    "    reason: window backwards", // 25
    "    approvedBy: alice", // 26
    "    window: {from: 2026-03-02T18:00Z, until: 2026-03-02T09:00Z}", // 27
    "    groupName: app", // 28
    "    changes:", // 29
    "      - {action: add, protocol: tcp, ports: 7443, source: 10.0.0.0/8}", // 30
    "  - id: CHG-A5", // 31
    "    reason: malformed", // 32
    "    approvedBy: alice", // 33
    "    window: {from: 2026-03-02T09:00Z, until: 2026-03-02T18:00Z}", // 34
    "    groupName: app", // 35
    "    changes: open everything please", // 36
    "",
  ].join("\n");
  const B_YAML = [
    "id: CHG-B1", // 1  valid: approves tcp/8443 from 10.1.0.0/16 on web
    "reason: valid in the second file", // 2
    "approvedBy: bob", // 3
    "window: {from: 2026-03-02T09:00Z, until: 2026-03-02T18:00Z}", // 4
    "groupName: web", // 5
    "changes:", // 6
    "  - {action: add, protocol: tcp, ports: 8443, source: 10.1.0.0/16}", // 7
    "---", // 8
    "id: CHG-A1", // 9  duplicate of a.yaml:2
    "reason: duplicate id", // 10
    "approvedBy: bob", // 11
    "window: {from: 2026-03-02T09:00Z, until: 2026-03-02T18:00Z}", // 12
    "groupName: db", // 13
    "changes:", // 14
    "  - {action: add, protocol: tcp, ports: 443, source: 10.0.0.0/8}", // 15
    "---", // 16
    "id: [broken", // 17  YAML syntax error
    "",
  ].join("\n");

  let w: AppWorld;
  let aFile: string;
  let bFile: string;
  let expected: Array<{ file: string; line: number; message: RegExp }>;

  beforeAll(async () => {
    w = await startAppWorld({
      beforeStart: (dir) => {
        aFile = path.join(dir, "a.yaml");
        bFile = path.join(dir, "b.yaml");
        writeFileSync(aFile, A_YAML);
        writeFileSync(bFile, B_YAML);
      },
    });
    expected = [
      { file: aFile, line: 12, message: /^ticketUrl: unknown field$/ },
      { file: aFile, line: 23, message: /^changes\[0\]\.source: "10\.0\.0\.0\/33" is not a valid CIDR$/ },
      { file: aFile, line: 27, message: /^window\.until: .*before window\.from/ },
      { file: aFile, line: 36, message: /^changes: expected a list/ },
      { file: bFile, line: 9, message: new RegExp(`^id: "CHG-A1" is already defined at ${aFile.replace(/[.\\/]/g, "\\$&")}:2; this record is ignored$`) },
      { file: bFile, line: 17, message: /^YAML syntax error: / },
    ];
  });

  afterAll(async () => {
    await w?.close();
  });

  it("reports every problem with file and line in the log and in one approvals-invalid email", async () => {
    const result = await w.poll(); // baseline, 10:00: the approvals load before the poll
    expect(result.approvalProblems.map((p) => [p.file, p.line])).toEqual(expected.map((e) => [e.file, e.line]));
    expect(result.approvalRecords).toBe(2);

    // The cycle's own lines (the log channel's copy of the alert has an alertId instead).
    const logged = w.log.events("approvals-invalid").filter((l) => l.alertId === undefined);
    expect(logged.map((l) => [l.file, l.line])).toEqual(expected.map((e) => [e.file, e.line]));
    for (const [i, l] of logged.entries()) {
      const e = expected[i]!;
      expect(l.level).toBe("warn");
      const prefix = `${e.file}:${e.line}: `;
      expect(String(l.msg).startsWith(prefix), String(l.msg)).toBe(true);
      expect(String(l.msg).slice(prefix.length)).toMatch(e.message);
    }

    const mails = await w.newMails();
    expect(subjects(mails)).toEqual(["[sgwatch] MEDIUM: 6 problems in approval records"]);
    const lines = (mails[0]?.text ?? "").split("\n").filter((l) => l.startsWith("  "));
    expect(lines).toHaveLength(6);
    for (const [i, e] of expected.entries()) {
      const prefix = `  ${e.file}:${e.line}: `;
      expect(lines[i]?.startsWith(prefix), lines[i]).toBe(true);
      expect(lines[i]?.slice(prefix.length)).toMatch(e.message);
    }
  });

  it("keeps approving with the valid records beside the bad ones, and sends no second email for the same problems", async () => {
    const g = w.harness.demo.groups;
    await authorize(w, g.app, tcpFrom(443, "10.0.0.0/8")); // CHG-A1
    await authorize(w, g.web, tcpFrom(8443, "10.1.0.0/16")); // CHG-B1
    await authorize(w, g.app, tcpFrom(8443, "10.0.0.0/8")); // only the broken CHG-A2 meant to allow it
    w.log.clear();
    w.clock.advance(5 * MIN);
    await w.poll();

    const rows = w.changes();
    expect(rows.map((r) => [r.group_name, r.ports, r.status, r.approval_id]).sort()).toEqual(
      [
        ["app", "443", "approved", "CHG-A1"],
        ["app", "8443", "unapproved", null],
        ["web", "8443", "approved", "CHG-B1"],
      ].sort(),
    );
    // The first record of an id stays valid; the duplicate (on group db) is ignored.
    expect(w.approvals().find((a) => a.id === "CHG-A1")).toMatchObject({ file: aFile, line: 2, selector: "group named app", changes_covered: 1 });

    const mails = await w.newMails();
    expect(subjects(mails)).toEqual(["[sgwatch] MEDIUM app: tcp/8443 opened to 10.0.0.0/8"]);
    // Logged again every cycle, alerted once.
    expect(w.log.events("approvals-invalid").filter((l) => l.alertId === undefined)).toHaveLength(6);
    expect(w.log.events("approvals-invalid").filter((l) => l.alertId !== undefined)).toEqual([]);
    expect(w.log.events("approvals-invalid-alert")).toEqual([]);
  });

  it("after fixing one problem and making a new typo, emails only the new typo's problems", async () => {
    const fixed = readFileSync(aFile, "utf8").replace("source: 10.0.0.0/33", "source: 10.0.0.0/16");
    const typo = [
      "  - id: CHG-A6", // 37
      "    reason: typo", // 38
      "    approvedBy: alice", // 39
      "    window: {from: 2026-03-02T09:00Z, until: 2026-03-02T18:00Z}", // 40
      "    groupName: app", // 41
      "    changes:", // 42
      "      - {action: add, protocol: tcp, prots: 443, source: 10.0.0.0/8}", // 43
      "",
    ].join("\n");
    writeFileSync(aFile, fixed + typo);
    w.clock.advance(5 * MIN);
    const result = await w.poll();
    // The misspelt key is unknown, and so the required ports are missing: two problems on line 43.
    expect(result.approvalProblems.map((p) => `${p.file}:${p.line}`)).toEqual([
      `${aFile}:12`,
      `${aFile}:27`,
      `${aFile}:36`,
      `${aFile}:43`,
      `${aFile}:43`,
      `${bFile}:9`,
      `${bFile}:17`,
    ]);

    const mails = await w.newMails();
    expect(subjects(mails)).toEqual(["[sgwatch] MEDIUM: 2 problems in approval records"]);
    const lines = (mails[0]?.text ?? "").split("\n").filter((l) => l.startsWith("  "));
    expect(lines).toEqual([
      `  ${aFile}:43: changes[0].prots: unknown field`,
      `  ${aFile}:43: changes[0].ports: is required for tcp (a port, a range such as "8000-8080", or all)`,
    ]);
    // The fixed record now loads and is mirrored.
    expect(w.approvals().find((a) => a.id === "CHG-A3")).toMatchObject({ file: aFile, line: 17, state: expect.any(String) });
  });
});

describe("an approvals file withdrawn", () => {
  let w: AppWorld;
  let recordFile: string;
  let approvedId: number;

  beforeAll(async () => {
    w = await startAppWorld({
      beforeStart: (dir) => {
        recordFile = writeApproval(dir, {
          id: "CHG-W",
          groupName: "app",
          from: "2026-03-02T09:00:00Z",
          until: "2026-03-02T18:00:00Z",
          changes: [{ action: "add", protocol: "tcp", ports: 443, source: "10.0.0.0/8" }],
        });
      },
    });
    await w.poll(); // baseline, 10:00
    await authorize(w, w.harness.demo.groups.app, tcpFrom(443, "10.0.0.0/8"));
    w.clock.advance(5 * MIN);
    await w.poll();
    const [row] = w.changes();
    expect(row).toMatchObject({ status: "approved", approval_id: "CHG-W" });
    approvedId = row!.id;
  });

  afterAll(async () => {
    await w?.close();
  });

  it("stops approving new changes once the file is gone, but keeps what it approved", async () => {
    unlinkSync(recordFile);
    await authorize(w, w.harness.demo.groups.app, tcpFrom(443, "10.1.0.0/16")); // inside 10.0.0.0/8: CHG-W would cover it
    w.clock.advance(5 * MIN);
    const withdrawnAt = w.clock.iso();
    await w.poll();

    const rows = w.changes();
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({ group_name: "app", ports: "443", source: "10.1.0.0/16", status: "unapproved", approval_id: null });
    expect(w.change(approvedId)).toMatchObject({ status: "approved", approval_id: "CHG-W" });
    expect(w.reader.prepare("SELECT change_id FROM change_approvals WHERE approval_id = 'CHG-W'").all()).toEqual([{ change_id: approvedId }]);
    expect(w.approvals()).toEqual([expect.objectContaining({ id: "CHG-W", state: "withdrawn", changes_covered: 1, file: recordFile })]);
    expect(w.reader.prepare("SELECT withdrawn_at FROM approval_records WHERE id = 'CHG-W'").get()).toEqual({ withdrawn_at: withdrawnAt });
    const mails = await w.newMails();
    expect(subjects(mails)).toEqual(["[sgwatch] MEDIUM app: tcp/443 opened to 10.1.0.0/16"]);
  });
});
