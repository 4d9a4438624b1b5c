// Proves two promises about the daemon itself (issue 4, item 9; issue 10, section 2):
// - secrets never appear in anything sgwatch writes: stdout, stderr, emails,
//   webhook bodies, or the database (its -wal and -shm files too). The
//   secrets: the SMTP password (and the base64 forms AUTH sends it in), the
//   AWS secret key and session token, a webhook URL's password, secret path
//   and ?token= value (the URL comes from urlEnv), and a webhook header's
//   value. Every command runs, and a full daemon life: start, drift alerted
//   by log, authenticated email and webhook, webhook failures (fetch refuses
//   a user:pass@ URL and quotes it; a receiver echoes the request in its
//   error answer), failed polls making the target blind and its recovery, a
//   reload and a refused reload (SIGHUP), and stop (SIGTERM);
// - sgwatch only ever calls read-only AWS actions: every request the
//   simulator received during all of it is a Describe* call.
import { isReadOnlyAction } from "../../src/sim/actions/index.js";
import { readFileSync, existsSync, writeFileSync } from "node:fs";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthorizeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import { startMailSink, type MailSink } from "../../src/demo/mail-sink.js";
import { startSimHarness, INTRUDER, type SimHarness } from "../support/sim-harness.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { writeTestConfig, type TestConfigFiles } from "../support/config-file.js";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.js";
import { cliEnv, runCli, startCli, type CliResult } from "../support/cli.js";

const SMTP_PASSWORD = "smtp-Pa55-do-not-leak-7f3a";
const AWS_SECRET = "aws-secret-do-not-leak-91c2";
const AWS_TOKEN = "aws-session-token-do-not-leak-44e0";
const HOOK_PASSWORD = "hook-pw-do-not-leak-5b1d";
const HOOK_PATH_SECRET = "T0SECRET/B0SECRET/hookpath-do-not-leak-0c9e";
const HOOK_QUERY_TOKEN = "hook-query-token-do-not-leak-e27a";
const HOOK_HEADER = "Bearer hook-header-do-not-leak-3f80";
const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");
const SECRETS = [
  SMTP_PASSWORD,
  b64(SMTP_PASSWORD),
  b64(`\u0000sgwatch\u0000${SMTP_PASSWORD}`),
  AWS_SECRET,
  AWS_TOKEN,
  HOOK_PASSWORD,
  HOOK_PATH_SECRET,
  "hookpath-do-not-leak",
  HOOK_QUERY_TOKEN,
  HOOK_HEADER,
  "hook-header-do-not-leak",
];

describe("secrets and read-only access over a full run", () => {
  let h: SimHarness;
  let sink: MailSink;
  let receiver: WebhookReceiver;
  let tmp: TempDir;
  let files: TestConfigFiles;
  const output: Array<{ what: string; text: string }> = [];

  const keep = (what: string, r: CliResult): CliResult => {
    output.push({ what: `${what} stdout`, text: r.stdout }, { what: `${what} stderr`, text: r.stderr });
    return r;
  };
  /** The webhook URL with a password, a secret path and a token: fetch refuses it (credentials) and quotes it whole. */
  const credentialsUrl = (): string => `http://hookuser:${HOOK_PASSWORD}@127.0.0.1:${new URL(receiver.url).port}/${HOOK_PATH_SECRET}?token=${HOOK_QUERY_TOKEN}`;
  /** The same without the password: it reaches the receiver. */
  const tokenUrl = (): string => `${receiver.url}/${HOOK_PATH_SECRET}?token=${HOOK_QUERY_TOKEN}`;
  const env = (hookUrl: string): NodeJS.ProcessEnv =>
    cliEnv({ AWS_SECRET_ACCESS_KEY: AWS_SECRET, AWS_SESSION_TOKEN: AWS_TOKEN, SMTP_PW: SMTP_PASSWORD, HOOK_URL: hookUrl, HOOK_TOKEN: HOOK_HEADER, SGWATCH_LOG_LEVEL: "debug" });
  const run = async (hookUrl: string, ...args: string[]): Promise<CliResult> => keep(args.join(" "), await runCli(["--config", files.configPath, ...args], { env: env(hookUrl) }));
  const drift = (port: number): Promise<unknown> =>
    h.client(INTRUDER).send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: h.demo.groups.bastion,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: port, ToPort: port, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
      }),
    );

  beforeAll(async () => {
    h = await startSimHarness();
    sink = await startMailSink({ auth: { user: "sgwatch", pass: SMTP_PASSWORD } });
    receiver = await startWebhookReceiver();
    tmp = makeTempDir();
    files = writeTestConfig({
      dir: tmp.path,
      endpoint: h.endpoint,
      smtpPort: sink.port,
      extra: {
        schedule: "* * * * * *",
        monitoring: { blindAfterFailures: 2 },
        alerts: {
          log: { minSeverity: "low" },
          email: { host: "127.0.0.1", port: sink.port, user: "sgwatch", passwordEnv: "SMTP_PW", from: "sgwatch@test.example", to: ["ops@test.example"] },
          webhook: { urlEnv: "HOOK_URL", headersFromEnv: { Authorization: "HOOK_TOKEN" }, timeout: "5s" },
          retry: { baseDelay: "1s", maxDelay: "2s" },
        },
      },
    });
  });

  afterAll(async () => {
    await receiver?.close();
    await sink?.close();
    await h?.close();
    tmp?.remove();
  });

  it("runs every command and a full daemon life without writing a secret anywhere", async () => {
    expect((await run(credentialsUrl(), "poll")).code).toBe(0); // baseline

    // The daemon: drift alerted by log, email and (failing) webhook; failed polls; reloads; stop.
    await drift(22);
    const daemon = startCli(["--config", files.configPath, "run"], { env: env(credentialsUrl()) });
    await daemon.waitForJson((l) => l.event === "drift", 30_000);
    await daemon.waitForJson((l) => l.event === "alert-retry" && l.channel === "webhook", 30_000);
    await daemon.waitForJson((l) => l.event === "alert-sent" && l.channel === "email", 30_000); // debug level: the password was used

    h.sim.faults.add({ kind: "auth-failure", action: "DescribeSecurityGroups", count: 2 });
    await daemon.waitForJson((l) => l.event === "monitoring-blind", 30_000);
    await daemon.waitForJson((l) => l.event === "monitoring-restored", 30_000);

    writeFileSync(files.configPath, stringify({ ...files.raw, schedule: "*/2 * * * * *" }));
    daemon.child.kill("SIGHUP");
    await daemon.waitForJson((l) => l.event === "config-reloaded", 10_000);
    writeFileSync(files.configPath, `${stringify(files.raw)}\nnot: [valid\n`);
    daemon.child.kill("SIGHUP");
    await daemon.waitForJson((l) => l.event === "config-reload-failed", 10_000);
    writeFileSync(files.configPath, stringify(files.raw));

    daemon.child.kill("SIGTERM");
    const ran = await daemon.exited;
    expect(ran.code).toBe(0);
    keep("run", ran);
    expect(ran.stdout).toContain("Request cannot be constructed from a URL that includes credentials"); // fetch's refusal, quoted redacted

    // The webhook reaches a receiver that echoes the request in its error answer, then accepts.
    receiver.answer({ status: 500, body: `no route for ${tokenUrl()} with ${HOOK_HEADER}` });
    await drift(3389);
    await run(tokenUrl(), "poll");
    const alertIds = ((JSON.parse((await run(tokenUrl(), "alerts", "--json", "--pending")).stdout) as Array<{ id: number; channel: string }>))
      .filter((a) => a.channel === "webhook")
      .map((a) => String(a.id));
    expect(alertIds.length).toBeGreaterThan(0);
    receiver.answer({ status: 200, body: "ok" });
    await run(tokenUrl(), "alerts", "retry", ...alertIds);
    await run(tokenUrl(), "poll");
    expect(receiver.requests.length).toBeGreaterThan(0);

    // Every other command.
    const changes = JSON.parse((await run(tokenUrl(), "changes", "--json")).stdout) as Array<{ id: number; status: string }>;
    const open = changes.find((c) => c.status === "unapproved");
    expect(open).toBeDefined();
    for (const args of [
      ["status"],
      ["status", "--json"],
      ["status", "--health"],
      ["changes"],
      ["history", h.demo.groups.bastion],
      ["history", h.demo.groups.bastion, "--json"],
      ["rules"],
      ["rules", "--json"],
      ["diff", "--from", "1h"],
      ["alerts"],
      ["alerts", "--json"],
      ["alerts", "--dead"],
      ["approve", "--id", "CHG-9", "--group", h.demo.groups.bastion, "--add", "tcp/443 from 10.0.0.0/8", "--until", "+2h", "--by", "alice", "--reason", "test"],
      ["approvals", "list"],
      ["approvals", "show", "CHG-9"],
      ["approvals", "--json"],
      ["ack", String(open?.id), "--by", "bob", "--reason", "known"],
      ["check-config"],
      ["check-config", "--json"],
      ["test-email"],
      ["migrate"],
      ["poll", "--json"],
    ]) {
      await run(tokenUrl(), ...args);
    }

    // The secrets were really used: the mail server authenticated, the receiver got the header.
    expect(sink.messages.length).toBeGreaterThan(1);
    expect(receiver.requests.some((r) => r.headers.authorization === HOOK_HEADER && r.path.includes(HOOK_QUERY_TOKEN))).toBe(true);

    const places = [
      ...output,
      ...sink.messages.map((m, i) => ({ what: `mail ${i}`, text: m.raw.toString("utf8") })),
      ...receiver.requests.map((r, i) => ({ what: `webhook body ${i}`, text: r.body })),
      ...["", "-wal", "-shm"].filter((s) => existsSync(files.databasePath + s)).map((s) => ({ what: `database${s}`, text: readFileSync(files.databasePath + s).toString("latin1") })),
    ];
    const everything = places.map((p) => p.text).join("\n");
    expect(everything).toContain("drift"); // the output is really there
    expect(everything).toContain("monitoring-blind");
    for (const secret of SECRETS) {
      const leaks = places.filter((p) => p.text.includes(secret)).map((p) => p.what);
      expect(leaks, `${secret} leaked`).toEqual([]);
    }
  }, 300_000);

  it("made only read-only AWS calls", () => {
    // Calls sgwatch made are those signed with the monitor's key; the test's own drift used INTRUDER.
    const monitorCalls = h.sim.requests.filter((r) => r.accessKeyId === cliEnv().AWS_ACCESS_KEY_ID);
    expect(monitorCalls.length).toBeGreaterThanOrEqual(2); // the poll and at least one daemon cycle
    const actions = [...new Set(monitorCalls.map((r) => r.action))].sort();
    // Security groups, and the network interfaces that use them (blast radius): the README's policy, no more.
    expect(actions).toEqual(["DescribeNetworkInterfaces", "DescribeSecurityGroups"]);
    expect(actions.every((a) => isReadOnlyAction(a))).toBe(true);
  });
});
