// Proves issue 12 section 1 (guardrails) through real parts: the simulator
// over HTTP with the real AWS SDK, App in-process writing a real SQLite file,
// the SMTP mail sink parsed by mailparser, a local webhook receiver, and the
// CLI as a child process.
// - a change breaking a guardrail is critical and unapproved even though a
//   file record covers it; the changes view stores which guardrail and why;
// - every channel says so: the email (with the exact revoke command, and no
//   pre-approval snippet for the critical change), the log line, the webhook
//   body, and `sgwatch changes`;
// - the revoke command's permission JSON, sent through the SDK, removes the
//   rule (the change then reads as reverted);
// - `sgwatch approve` refuses a record that would cover a guardrail (exit 2,
//   naming it) and stores nothing; `check-config` reports a file record that
//   would, with file and line.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthorizeSecurityGroupIngressCommand, RevokeSecurityGroupIngressCommand, type IpPermission } from "@aws-sdk/client-ec2";
import type { ParsedMail } from "mailparser";
import { startAppWorld, type AppWorld } from "../support/app-world.js";
import { ENGINEER, INTRUDER } from "../support/sim-harness.js";
import { writeApproval } from "../support/approval-file.js";
import { assertBuilt, runCli, type CliResult } from "../support/cli.js";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.js";
import { slackBody, type GenericWebhookBody } from "../../src/alerts/channels/webhook.js";

const MIN = 60_000;
const SLOW = 120_000;
const REASON = "SSH and RDP are never open to the internet";

const GUARDRAILS = [
  {
    id: "no-world-admin",
    reason: REASON,
    forbid: [
      { protocol: "tcp", ports: 22, source: "world" },
      { protocol: "tcp", ports: 3389, source: "world" },
    ],
  },
];

function explain(r: CliResult): string {
  return `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

const html = (m: ParsedMail | undefined): string => (typeof m?.html === "string" ? m.html : "");

describe("a change that breaks a guardrail", { timeout: SLOW }, () => {
  let w: AppWorld;
  let hook: WebhookReceiver;
  let bastion: string;
  const ssh: IpPermission = { IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] };

  beforeAll(async () => {
    assertBuilt();
    hook = await startWebhookReceiver();
    w = await startAppWorld({
      extra: { guardrails: GUARDRAILS, alerts: { webhook: { url: `${hook.url}/hook`, format: "generic" } } },
      beforeStart: (dir) => {
        // A record that covers exactly what the guardrail forbids: it must not count.
        writeApproval(dir, {
          id: "CHG-SSH",
          groupName: "bastion",
          from: "2026-03-02T09:00:00Z",
          until: "2026-03-02T18:00:00Z",
          changes: [{ action: "add", protocol: "tcp", ports: 22, source: "0.0.0.0/0" }],
        });
      },
    });
    bastion = w.harness.demo.groups.bastion;
    await w.poll(); // baseline, 10:00
    expect(await w.newMails()).toEqual([]);
    hook.requests.length = 0;

    await w.harness.client(INTRUDER).send(new AuthorizeSecurityGroupIngressCommand({ GroupId: bastion, IpPermissions: [ssh] }));
    // Half the internet on RDP: no guardrail names 0.0.0.0/1, but broad ranks like the world.
    await w.harness.client(INTRUDER).send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId: bastion, IpPermissions: [{ IpProtocol: "tcp", FromPort: 3389, ToPort: 3389, IpRanges: [{ CidrIp: "0.0.0.0/1" }] }] }),
    );
    // A medium change beside it, which may still be offered a pre-approval snippet.
    await w.harness.client(ENGINEER).send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId: w.harness.demo.groups.app, IpPermissions: [{ IpProtocol: "tcp", FromPort: 8443, ToPort: 8443, IpRanges: [{ CidrIp: "10.0.0.0/8" }] }] }),
    );
    w.clock.advance(5 * MIN);
    await w.poll();
  });

  afterAll(async () => {
    await w?.close();
    await hook?.close();
  });

  const sshRow = () => {
    const row = w.changes().find((r) => r.group_id === bastion && r.kind === "rule-added" && r.ports === "22");
    if (!row) throw new Error("no rule-added change on the bastion");
    return row;
  };
  const revoke = () =>
    `aws ec2 revoke-security-group-ingress --region us-east-1 --group-id ${bastion} --ip-permissions '[{"IpProtocol":"tcp","FromPort":22,"ToPort":22,"IpRanges":[{"CidrIp":"0.0.0.0/0"}]}]'`;

  it("is stored critical and unapproved with the guardrail, although a record covers it", () => {
    expect(sshRow()).toMatchObject({
      ports: "22",
      source: "0.0.0.0/0",
      severity: "critical",
      status: "unapproved",
      detected_status: "unapproved",
      approval_id: null,
      guardrail: "no-world-admin",
      guardrail_reason: REASON,
      approval_note: "CHG-SSH would cover it, but no record can approve what guardrail no-world-admin forbids",
    });
    expect(w.reader.prepare("SELECT count(*) AS n FROM change_approvals").get()).toEqual({ n: 0 });
    expect(w.approvals().find((a) => a.id === "CHG-SSH")?.changes_covered).toBe(0);
    expect(w.changes().find((r) => r.ports === "3389")).toMatchObject({ source: "0.0.0.0/1", severity: "critical", status: "unapproved", guardrail: null });
    const app = w.changes().find((r) => r.group_name === "app");
    expect(app).toMatchObject({ severity: "medium", guardrail: null, guardrail_reason: null });
  });

  it("emails the guardrail and the exact revoke command, and offers no pre-approval for the critical change", async () => {
    const mails = await w.newMails();
    expect(mails).toHaveLength(1);
    const mail = mails[0];
    expect(mail?.subject).toContain("CRITICAL");
    expect(mail?.subject).toContain("(guardrail no-world-admin broken)");
    const text = mail?.text ?? "";
    expect(text).toContain(`breaks guardrail no-world-admin: ${REASON} (no approval can cover it)`);
    expect(text).toContain("added TCP 3389 from 0.0.0.0/1 — a broad range, ranked like the internet");
    expect(text).toContain(`revoke it now (run it with credentials for account 123456789012; add --profile NAME for a named profile):\n            ${revoke()}\n`);
    // The only snippet offered is for the medium change on app, never for the bastion.
    const appId = w.changes().find((r) => r.group_name === "app")?.id;
    expect(text).toContain(`To pre-approve a change like #${appId} next time`);
    expect(text).not.toContain(`groupId: ${bastion}`);
    expect(text).not.toMatch(/ports: 22\n\s+source: 0\.0\.0\.0\/0/);
    const body = html(mail);
    expect(body).toContain(`breaks guardrail no-world-admin: ${REASON}`);
    expect(body).toContain("These rules break a guardrail and no approval can cover them. Revoke them now");
    expect(body).toContain(revoke().replace(/"/g, "&quot;").replace(/'/g, "&#39;"));
    expect(body).not.toContain(`groupId: ${bastion}`);
  });

  it("says it in the log line and the webhook body", () => {
    const line = w.log.events("drift").find((l) => l.groupId === bastion);
    expect(line).toMatchObject({ severity: "critical", guardrailId: "no-world-admin", guardrailReason: REASON, revokeCommand: revoke() });
    expect(line?.msg).toContain("breaks guardrail no-world-admin");
    const bodies = hook.requests.map((r) => JSON.parse(r.body) as GenericWebhookBody);
    const drift = bodies.find((b) => b.type === "drift");
    expect(drift?.severity).toBe("critical");
    const change = drift?.payload.type === "drift" ? drift.payload.changes.find((c) => c.groupId === bastion) : undefined;
    expect(change).toMatchObject({ severity: "critical", guardrail: { id: "no-world-admin", reason: REASON }, revokeCommand: revoke() });
  });

  it("says it in a Slack message rendered from the stored payload, inviting pre-approval only of the non-critical change", () => {
    const drift = hook.requests.map((r) => JSON.parse(r.body) as GenericWebhookBody).find((b) => b.type === "drift");
    if (!drift) throw new Error("no drift webhook");
    const slack = JSON.stringify(slackBody({ id: drift.alertId, createdAt: drift.createdAt, severity: drift.severity, attempts: 0, payload: drift.payload }));
    expect(slack).toContain(`breaks guardrail no-world-admin: ${REASON}`);
    expect(slack).toContain(JSON.stringify(`revoke it now: \`${revoke()}\``).slice(1, -1));
    // Only the medium change on app may be pre-approved next time, never the bastion's.
    const appId = w.changes().find((r) => r.group_name === "app")?.id;
    expect(slack).toContain(`pre-approve changes like #${appId} with an approval record`);
    expect(slack).not.toContain(`pre-approve changes like #${sshRow().id}`);
  });

  it("shows the guardrail in `sgwatch changes`", async () => {
    const r = await runCli(["--db", w.files.databasePath, "--config", w.files.configPath, "changes", "--since", "2026-03-01"]);
    expect(r.code, explain(r)).toBe(0);
    const line = r.stdout.split("\n").find((l) => l.includes(bastion) && l.includes("tcp 22 from 0.0.0.0/0"));
    expect(line).toContain("unapproved (guardrail no-world-admin)");
  });

  it("reminds of the open violation with the guardrail and the command again", async () => {
    await w.newMails();
    w.clock.advance(24 * 60 * MIN);
    await w.poll();
    // A reminder is a reply in the incident's thread ("Re: …"); its text says what it is.
    const reminder = (await w.newMails()).find((m) => (m.text ?? "").startsWith("These unapproved changes are still in effect"));
    expect(reminder?.text).toContain(`#${sshRow().id}`);
    expect(reminder?.text).toContain(`breaks guardrail no-world-admin: ${REASON}`);
    expect(reminder?.text).toContain(revoke());
  });

  it("offers a revoke command whose permission removes the rule", async () => {
    const json = /--ip-permissions '(.+)'$/.exec(revoke())?.[1] ?? "[]";
    await w.harness.client(ENGINEER).send(new RevokeSecurityGroupIngressCommand({ GroupId: bastion, IpPermissions: JSON.parse(json) as IpPermission[] }));
    w.clock.advance(5 * MIN);
    await w.poll();
    expect(w.change(sshRow().id).status).toBe("reverted");
  });
});

describe("approval records that would cover a guardrail", { timeout: SLOW }, () => {
  let w: AppWorld;

  beforeAll(async () => {
    assertBuilt();
    const dataTeam = { id: "data-team-private", reason: "the data team's groups take nothing from the internet", tags: { team: "data" }, forbid: [{ protocol: "any", source: "world" }] };
    w = await startAppWorld({ extra: { guardrails: [...GUARDRAILS, dataTeam] } });
    await w.poll(); // baseline: the database knows the groups
  });

  afterAll(async () => {
    await w?.close();
  });

  const approve = (args: string[]) => runCli(["--db", w.files.databasePath, "--config", w.files.configPath, "approve", ...args]);
  const stored = () => (w.reader.prepare("SELECT count(*) AS n FROM approval_records").get() as { n: number }).n;

  it("`sgwatch approve` refuses one, names the guardrail, and stores nothing", async () => {
    const r = await approve(["--id", "CHG-9", "--group", "bastion", "--add", "tcp/20-25 from 0.0.0.0/0", "--until", "+4h", "--by", "alice", "--reason", "debugging"]);
    expect(r.code, explain(r)).toBe(2);
    expect(r.stderr).toContain("approval CHG-9 would cover what a guardrail forbids; no record can approve that, nothing was stored");
    expect(r.stderr).toContain(`add ingress tcp/20-25 from 0.0.0.0/0 would allow tcp/22 from world, which guardrail no-world-admin forbids (${REASON})`);
    expect(stored()).toBe(0);
  });

  it("`sgwatch approve` accepts one that stays clear of every guardrail", async () => {
    const r = await approve(["--id", "CHG-10", "--group", "bastion", "--add", "tcp/22 from 10.20.0.0/16", "--until", "+4h", "--by", "alice", "--reason", "new office"]);
    expect(r.code, explain(r)).toBe(0);
    expect(stored()).toBe(1);
  });

  it("`sgwatch approve` decides a tag-selected guardrail on the group's real tags", async () => {
    // db is tagged team=data: HTTP from the world there is forbidden; app (team=backend) is not the data team's.
    const db = await approve(["--id", "CHG-11", "--group", "db", "--add", "tcp/80 from 0.0.0.0/0", "--until", "+4h", "--by", "alice", "--reason", "r"]);
    expect(db.code, explain(db)).toBe(2);
    expect(db.stderr).toContain("which guardrail data-team-private forbids");
    const app = await approve(["--id", "CHG-12", "--group", "app", "--add", "tcp/80 from 0.0.0.0/0", "--until", "+4h", "--by", "alice", "--reason", "r"]);
    expect(app.code, explain(app)).toBe(0);
    expect(stored()).toBe(2);
  });

  it("`check-config` reports a file record that would, with file and line", async () => {
    const file = writeApproval(w.files.approvalsDir, {
      id: "CHG-RDP",
      groupName: "bastion",
      from: "2026-03-02T09:00:00Z",
      until: "2026-03-02T18:00:00Z",
      changes: [{ action: "add", protocol: "tcp", ports: 3389, source: "::/0" }],
    });
    const r = await runCli(["--config", w.files.configPath, "check-config"]);
    expect(r.code, explain(r)).toBe(2);
    expect(r.stdout).toContain("guardrails: 2 (no-world-admin, data-team-private)");
    expect(r.stdout).toContain(
      `guardrail conflict: ${file}:1: CHG-RDP: add ingress tcp/3389 from ::/0 would allow tcp/3389 from world, which guardrail no-world-admin forbids (${REASON})`,
    );
  });
});
