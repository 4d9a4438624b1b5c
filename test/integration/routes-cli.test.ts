// Proves the routing table and the ignore list as an operator sees them: the
// built CLI as a child process, a config file on disk, and a real SMTP server.
// `check-config` shows the resolved routes in order with the default last (a
// route's inline webhook URL never whole), `test-email --route NAME` reaches
// that route's recipients only, and a route name that does not exist is a
// user error (exit 2) naming the routes there are.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AddressObject } from "mailparser";
import { startMailSink, type MailSink } from "../../src/demo/mail-sink.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { writeTestConfig, type TestConfigFiles } from "../support/config-file.js";
import { assertBuilt, runCli, type CliResult } from "../support/cli.js";
import { parseMessages } from "../support/mailbox.js";

const SECRET_PATH = "/services/T000/B000/s3cr3t-route-token";

function explain(r: CliResult): string {
  return `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

describe("routes in the CLI", { timeout: 60_000 }, () => {
  let tmp: TempDir;
  let sink: MailSink;
  let files: TestConfigFiles;
  const cli = (args: string[]): Promise<CliResult> => runCli(["--config", files.configPath, ...args]);

  beforeAll(async () => {
    assertBuilt();
    tmp = makeTempDir();
    sink = await startMailSink();
    files = writeTestConfig({
      dir: tmp.path,
      endpoint: "http://127.0.0.1:9",
      label: "prod",
      smtpPort: sink.port,
      extra: {
        alerts: {
          routing: "first",
          routes: [
            { name: "payments", match: { tags: { team: "payments" }, minSeverity: "high" }, email: ["payments@test.example"], batch: "2m" },
            { name: "eks", match: { targets: ["prod"], groupName: ["eks-*", "/^k8s-elb-/"] }, webhook: { url: `https://hooks.example.com${SECRET_PATH}`, format: "slack" } },
          ],
        },
        ignore: [
          { groupName: "eks-cluster-sg-*", tags: { "aws:eks:cluster-name": "*" }, until: "2099-01-01T00:00:00Z", reason: "managed by EKS" },
          { groupId: "sg-0123456789abcdef0", until: "2020-01-01T00:00:00Z", reason: "old load balancer" },
        ],
      },
    });
  });

  afterAll(async () => {
    await sink?.close();
    tmp?.remove();
  });

  it("check-config shows the routing table in order, the default last, and the ignore list", async () => {
    const r = await cli(["check-config", "--offline"]);
    expect(r.code, explain(r)).toBe(0);
    const lines = r.stdout.split("\n");
    const start = lines.findIndex((l) => l.startsWith("routing ("));
    expect(lines.slice(start, start + 4)).toEqual([
      "routing (each change goes to the first route that takes it; the log gets everything):",
      // A batch window changes when mail comes: the table says so.
      "  1. payments: tag team=payments, severity high or worse → email payments@test.example; batched: drift alerts of 2 min in one message",
      "  2. eks: target prod, group name eks-* or /^k8s-elb-/ → slack webhook https://hooks.example.com (rest of the URL redacted) (min low)",
      "  default: what no route takes → email ops@test.example (min low)",
    ]);
    expect(r.stdout).toContain("ignore (recorded, not alerted): 1 of 2 entries active:");
    expect(r.stdout).toContain("  ignore[0]: group name eks-cluster-sg-*, tag aws:eks:cluster-name present until 2099-01-01T00:00:00.000Z: managed by EKS");
    expect(r.stdout).toContain("  ignore[1]: group sg-0123456789abcdef0 until 2020-01-01T00:00:00.000Z (EXPIRED: alerting again): old load balancer");
    expect(r.stdout).not.toContain(SECRET_PATH);
  });

  it("check-config --json has the routing table and ignore list, and no route webhook URL", async () => {
    const r = await cli(["check-config", "--offline", "--json"]);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).not.toContain(SECRET_PATH);
    const out = JSON.parse(r.stdout) as { routing: { mode: string; routes: Array<{ name: string; batchMs?: number }> }; ignore: Array<{ active: boolean }> };
    expect(out.routing.mode).toBe("first");
    expect(out.routing.routes.map((x) => x.name)).toEqual(["payments", "eks", "default"]);
    expect(out.routing.routes.map((x) => x.batchMs)).toEqual([120_000, undefined, undefined]);
    expect(out.ignore.map((e) => e.active)).toEqual([true, false]);
  });

  it("test-email --route sends the sample to that route's recipients only", async () => {
    const r = await cli(["test-email", "--route", "payments"]);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toContain("sample alert sent to payments@test.example (route payments)");
    const mails = await parseMessages(sink);
    expect(mails).toHaveLength(1);
    expect((mails[0]?.to as AddressObject).value.map((a) => a.address)).toEqual(["payments@test.example"]);
    expect(mails[0]?.subject).toMatch(/^\[sgwatch\] CRITICAL: 2 unapproved security-group changes in .*\[TEST EMAIL\]/);
  });

  it("test-email --route refuses an unknown route or one without mail (exit 2), naming the routes", async () => {
    const unknown = await cli(["test-email", "--route", "payment"]);
    expect(unknown.code, explain(unknown)).toBe(2);
    expect(unknown.stderr).toContain('--route: no route named "payment"; the routes are: payments, eks');
    const hookOnly = await cli(["test-email", "--route", "eks"]);
    expect(hookOnly.code, explain(hookOnly)).toBe(2);
    expect(hookOnly.stderr).toContain('--route: route "eks" has no email recipients (only a webhook)');
    expect(sink.messages).toHaveLength(1); // nothing more was sent
  });

  it("check-config names a bad route or ignore entry at its key and line", async () => {
    const bad = writeTestConfig({
      dir: tmp.path,
      endpoint: "http://127.0.0.1:9",
      smtpPort: sink.port,
      extra: {
        alerts: {
          routes: [
            { name: "payments", match: { groupName: "/([/" }, email: ["payments@test.example"] },
            { name: "payments", match: { targets: ["nope"] } },
          ],
        },
        ignore: [{ reason: "everything", until: "2099-01-01" }],
      },
    });
    const r = await runCli(["--config", bad.configPath, "check-config", "--offline"]);
    expect(r.code, explain(r)).toBe(2);
    expect(r.stderr).toMatch(/line \d+: alerts\.routes\[0\]\.match\.groupName: "\/\(\[\/" is not a valid regular expression/);
    expect(r.stderr).toMatch(/line \d+: alerts\.routes\[1\]\.email: a route needs email recipients, a webhook, or both/);
    expect(r.stderr).toMatch(/line \d+: ignore\[0\]\.until: expected an ISO-8601 time with its zone like "2026-06-30T00:00:00Z", got "2099-01-01"/);

    // Checks across entries, once each entry is well formed.
    const clash = writeTestConfig({
      dir: tmp.path,
      endpoint: "http://127.0.0.1:9",
      smtpPort: sink.port,
      extra: {
        alerts: {
          routes: [
            { name: "payments", email: ["payments@test.example"] },
            { name: "payments", match: { targets: ["nope"] }, email: ["other@test.example"] },
          ],
        },
        ignore: [{ reason: "everything", until: "2099-01-01T00:00:00Z" }],
      },
    });
    const c = await runCli(["--config", clash.configPath, "check-config", "--offline"]);
    expect(c.code, explain(c)).toBe(2);
    expect(c.stderr).toMatch(/line \d+: alerts\.routes\[1\]\.name: "payments" is already the name of alerts\.routes\[0\]/);
    expect(c.stderr).toMatch(/line \d+: alerts\.routes\[1\]\.match\.targets: no target has the label "nope"/);
    expect(c.stderr).toMatch(/line \d+: ignore\[0\]\.groupName: an ignore entry needs groupId, groupName or tags/);
  });
});
