// Proves `sgwatch report` (issue 12 section 2) through real parts: the
// simulator's demo account over HTTP with the real AWS SDK, App writing a real
// SQLite file, then the CLI as a child process reading it in text, JSON,
// Markdown and HTML.
// - the posture now: the guardrail violation with its revoke command, the
//   world-open rules by severity, the unapproved change nobody acknowledged,
//   an approval ending within 7 days and unused, the ignore list; a target
//   gone blind (the EC2 API failing), with the findings it last saw;
// - a bad --format is a user error (exit 2) naming the flag and the value.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthorizeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import { startAppWorld, type AppWorld } from "../support/app-world.js";
import { ENGINEER, INTRUDER } from "../support/sim-harness.js";
import { writeApproval } from "../support/approval-file.js";
import { assertBuilt, runCli, type CliResult } from "../support/cli.js";
import type { PostureReport } from "../../src/model/posture-report.js";

const SLOW = 120_000;
const GUARDRAILS = [{ id: "no-world-ssh", reason: "SSH is never open to the internet", forbid: [{ protocol: "tcp", ports: 22, source: "world" }] }];
// The approvals view and the report judge "ending soon" against the real clock.
const DAY = 24 * 3600_000;
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
const YESTERDAY = iso(Date.now() - DAY);
const IN_3_DAYS = iso(Date.now() + 3 * DAY);

function explain(r: CliResult): string {
  return `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

describe("sgwatch report", { timeout: SLOW }, () => {
  let w: AppWorld;
  let bastion: string;
  let app: string;
  const report = (args: string[]) => runCli(["--db", w.files.databasePath, "--config", w.files.configPath, "report", ...args]);

  beforeAll(async () => {
    assertBuilt();
    w = await startAppWorld({
      extra: {
        guardrails: GUARDRAILS,
        ignore: [{ groupName: "eks-cluster-sg-*", until: "2099-01-01T00:00:00Z", reason: "managed by EKS" }],
      },
      beforeStart: (dir) => {
        writeApproval(dir, { id: "CHG-SOON", groupName: "app", from: YESTERDAY, until: IN_3_DAYS, changes: [{ action: "add", protocol: "tcp", ports: 9000, source: "10.0.0.0/8" }] });
      },
    });
    ({ bastion, app } = w.harness.demo.groups);
    await w.harness.client(ENGINEER).send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId: bastion, IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }),
    );
    await w.poll(); // baseline
    w.clock.advance(5 * 60_000);
    await w.harness.client(INTRUDER).send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId: app, IpPermissions: [{ IpProtocol: "tcp", FromPort: 6379, ToPort: 6379, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }),
    );
    await w.poll();
  });
  afterAll(async () => {
    await w?.close();
  });

  it("prints the posture as JSON: violations with revoke commands, open changes, approvals, ignore list", async () => {
    const r = await report(["--json"]);
    expect(r.code, explain(r)).toBe(0);
    const rep = JSON.parse(r.stdout) as PostureReport;
    expect(rep.targets).toHaveLength(1);
    const t = rep.targets[0];
    expect(t?.blindSince).toBeNull();
    // Guardrail violations lead among the critical findings.
    const first = t?.findings[0];
    expect(first).toMatchObject({ groupId: bastion, severity: "critical", guardrail: { id: "no-world-ssh" } });
    expect(first?.revokeCommand).toContain(`--group-id ${bastion}`);
    // Redis from the world on the app group (an instance without a public IP): critical by port, no guardrail.
    expect(t?.findings.some((f) => f.groupId === app && f.rule.fromPort === 6379 && f.severity === "critical" && f.guardrail === null)).toBe(true);
    expect(rep.openChanges).toEqual([expect.objectContaining({ groupId: app, severity: "critical" })]);
    expect(rep.approvalsExpiring.map((a) => a.id)).toEqual(["CHG-SOON"]);
    expect(rep.approvalsUnused.map((a) => a.id)).toEqual(["CHG-SOON"]);
    expect(rep.ignore).toEqual([expect.objectContaining({ reason: "managed by EKS", active: true })]);
  });

  it("prints text with every section", async () => {
    const r = await report([]);
    expect(r.code, explain(r)).toBe(0);
    for (const title of ["Targets:", "Guardrail violations:", "Open to the world or broad: critical:", "Unapproved changes not acknowledged or reverted:", "Approvals ending within 7 days:", "Approvals never used:", "Ignore list (recorded, not alerted):"]) {
      expect(r.stdout).toContain(title);
    }
    expect(r.stdout).toContain("no-world-ssh: SSH is never open to the internet");
    expect(r.stdout).toContain("CHG-SOON");
  });

  it("prints Markdown tables and HTML", async () => {
    const md = await report(["--format", "md"]);
    expect(md.code, explain(md)).toBe(0);
    expect(md.stdout).toMatch(/^# sgwatch posture report/);
    expect(md.stdout).toContain("## Guardrail violations");
    expect(md.stdout).toMatch(new RegExp(`\\| no-world-ssh: SSH is never open to the internet \\| .* \\| ${bastion} \\(bastion\\) \\|`));
    const html = await report(["--format", "html"]);
    expect(html.code, explain(html)).toBe(0);
    expect(html.stdout).toMatch(/^<!doctype html>/);
    expect(html.stdout).toContain("<h2 style=\"font-size:16px\">Guardrail violations</h2>");
    expect(html.stdout).toContain(`${bastion} (bastion)`);
  });

  it("names a blind target: since when in JSON, BLIND in the table, counted in the headline", async () => {
    // The EC2 API fails from now on: after monitoring.blindAfterFailures (3) failed polls the target is blind.
    w.harness.sim.faults.add({ kind: "internal-error", action: "DescribeSecurityGroups" });
    for (let i = 0; i < 3; i++) {
      w.clock.advance(5 * 60_000);
      await w.poll();
    }
    w.harness.sim.faults.clear();
    const json = await report(["--json"]);
    expect(json.code, explain(json)).toBe(0);
    const rep = JSON.parse(json.stdout) as PostureReport;
    expect(rep.targets[0]?.blindSince).toEqual(expect.any(String));
    // What was last seen is still reported: the guardrail violation did not vanish with the API.
    expect(rep.targets[0]?.findings[0]).toMatchObject({ groupId: bastion, guardrail: { id: "no-world-ssh" } });
    const md = await report(["--format", "md"]);
    expect(md.stdout).toMatch(/^# sgwatch posture report, .*, 1 blind target\(s\)$/m);
    expect(md.stdout).toContain(`| BLIND since ${rep.targets[0]?.blindSince} |`);
  });

  it("refuses an unknown --format with exit 2, naming it", async () => {
    const r = await report(["--format", "pdf"]);
    expect(r.code, explain(r)).toBe(2);
    expect(r.stderr).toContain('--format: expected text, md or html, got "pdf"');
    expect(r.stdout).toBe("");
  });
});
