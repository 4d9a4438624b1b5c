// Proves two promises about the daemon itself (issue 4, item 9):
// - secrets (the SMTP password, the AWS secret key and session token in the
//   environment) never appear in anything sgwatch writes: stdout, stderr,
//   emails, or the database;
// - sgwatch only ever calls read-only AWS actions: every request the
//   simulator received during a full run (poll, daemon, status, changes) is
//   a Describe* call.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthorizeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import { startMailSink, type MailSink } from "../../src/demo/mail-sink.js";
import { startSimHarness, INTRUDER, type SimHarness } from "../support/sim-harness.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { writeTestConfig, type TestConfigFiles } from "../support/config-file.js";
import { cliEnv, runCli, startCli } from "../support/cli.js";

const SMTP_PASSWORD = "smtp-Pa55-do-not-leak-7f3a";
const AWS_SECRET = "aws-secret-do-not-leak-91c2";
const AWS_TOKEN = "aws-session-token-do-not-leak-44e0";
const SECRETS = [SMTP_PASSWORD, AWS_SECRET, AWS_TOKEN];

describe("secrets and read-only access over a full run", () => {
  let h: SimHarness;
  let sink: MailSink;
  let tmp: TempDir;
  let files: TestConfigFiles;
  const output: string[] = [];

  beforeAll(async () => {
    h = await startSimHarness();
    sink = await startMailSink({ auth: { user: "sgwatch", pass: SMTP_PASSWORD } });
    tmp = makeTempDir();
    files = writeTestConfig({
      dir: tmp.path,
      endpoint: h.endpoint,
      smtpPort: sink.port,
      extra: {
        schedule: "* * * * * *",
        alerts: {
          log: { minSeverity: "low" },
          email: { host: "127.0.0.1", port: sink.port, user: "sgwatch", passwordEnv: "SMTP_PW", from: "sgwatch@test.example", to: ["ops@test.example"] },
        },
      },
    });
  });

  afterAll(async () => {
    await sink.close();
    await h.close();
    tmp.remove();
  });

  it("runs poll, the daemon, status and changes without writing a secret anywhere", async () => {
    const env = cliEnv({ AWS_SECRET_ACCESS_KEY: AWS_SECRET, AWS_SESSION_TOKEN: AWS_TOKEN, SMTP_PW: SMTP_PASSWORD, SGWATCH_LOG_LEVEL: "debug" });
    const baseline = await runCli(["--config", files.configPath, "poll"], { env });
    expect(baseline.code).toBe(0);
    output.push(baseline.stdout, baseline.stderr);

    // Drift that alerts by log and by authenticated email.
    await h.client(INTRUDER).send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: h.demo.groups.bastion,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
      }),
    );
    const daemon = startCli(["--config", files.configPath, "run"], { env });
    await daemon.waitForJson((l) => l.event === "drift", 20_000);
    const deadline = Date.now() + 10_000;
    while (sink.messages.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    daemon.child.kill("SIGTERM");
    const ran = await daemon.exited;
    expect(ran.code).toBe(0);
    output.push(ran.stdout, ran.stderr);
    for (const args of [["status"], ["changes", "--json"], ["alerts", "--json"], ["check-config"]]) {
      const r = await runCli(["--config", files.configPath, ...args], { env });
      output.push(r.stdout, r.stderr);
    }

    expect(sink.messages.length).toBeGreaterThan(0); // the password was used: mail got through
    const everything = [...output, ...sink.messages.map((m) => m.raw.toString("utf8")), readFileSync(files.databasePath).toString("latin1")].join("\n");
    expect(everything).toContain("drift"); // the output is really there
    for (const secret of SECRETS) expect(everything).not.toContain(secret);
  }, 60_000);

  it("made only read-only AWS calls", () => {
    // Calls sgwatch made are those signed with the monitor's key; the test's own drift used INTRUDER.
    const monitorCalls = h.sim.requests.filter((r) => r.accessKeyId === cliEnv().AWS_ACCESS_KEY_ID);
    expect(monitorCalls.length).toBeGreaterThanOrEqual(2); // the poll and at least one daemon cycle
    const actions = [...new Set(monitorCalls.map((r) => r.action))].sort();
    expect(actions).toEqual(["DescribeSecurityGroups"]);
  });
});
