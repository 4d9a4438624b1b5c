// Proves check-config gives one verdict that matches what `poll` and `run`
// would do, as a person or a script sees it: the built CLI as a child process,
// real config and approval files, a real SQLite database filled by a real poll
// of the simulator over HTTP.
// - Unset variables named by passwordEnv / urlEnv / headersFromEnv are
//   problems (exit 2), warnings with --offline; the summary lists every channel.
// - A missing approvals directory: one verdict, NOT valid, never "valid" first.
// - --json on a bad file prints the problems as JSON on stdout.
// - An alias bomb and bad env overrides are config errors (exit 2) naming the
//   line or the variable, never "internal error".
// - A webhook URL with user:password@ is refused; a URL with a token in its path
//   or query is accepted and never printed beyond its origin.
// - SMTP auth without TLS is a warning here and in the daemon's first log lines.
// - With a database: an id both in a file and created by `sgwatch approve` is a
//   problem; a selector no target has seen is a warning.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { startSimHarness, type SimHarness } from "../support/sim-harness.js";
import { writeTestConfig, type TestConfigFiles } from "../support/config-file.js";
import { writeApproval } from "../support/approval-file.js";
import { assertBuilt, cliEnv, runCli, startCli, type CliResult } from "../support/cli.js";

const SLOW = 120_000;
const STACK_LINE = /^\s+at /m;

function explain(r: CliResult): string {
  return `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

let harness: SimHarness;
const temps: TempDir[] = [];
function tempDir(): TempDir {
  const t = makeTempDir();
  temps.push(t);
  return t;
}

beforeAll(async () => {
  assertBuilt();
  harness = await startSimHarness();
});

afterAll(async () => {
  await harness?.close();
  for (const t of temps) t.remove();
});

const SECRET_PATH = "T0000/B0000/XsecretpathX";
const SECRET_TOKEN = "XquerytokenX";

describe("check-config: one verdict, the one the daemon would reach", { timeout: SLOW }, () => {
  const channels = {
    email: { host: "127.0.0.1", port: 2525, requireTLS: true, user: "sgwatch", passwordEnv: "T_SMTP_PASSWORD", from: "sgwatch@test.example", to: ["ops@test.example"] },
    webhook: { urlEnv: "T_HOOK_URL", headersFromEnv: { Authorization: "T_HOOK_TOKEN" } },
  };
  let files: TestConfigFiles;
  beforeAll(() => {
    files = writeTestConfig({ dir: tempDir().path, endpoint: harness.endpoint, extra: { alerts: channels } });
  });

  it("fails (exit 2) naming every unset variable, and lists every channel", async () => {
    const r = await runCli(["--config", files.configPath, "check-config"]);
    expect(r.code, explain(r)).toBe(2);
    for (const name of ["T_SMTP_PASSWORD", "T_HOOK_URL", "T_HOOK_TOKEN"]) expect(r.stdout).toMatch(new RegExp(`problem: environment variable ${name} \\(sets alerts\\.`));
    expect(r.stdout).toMatch(/^ {2}log: /m);
    expect(r.stdout).toMatch(/^ {2}email: to ops@test\.example .*\$T_SMTP_PASSWORD \(NOT set\)/m);
    expect(r.stdout).toMatch(/^ {2}webhook: generic POST to the URL in \$T_HOOK_URL \(NOT set\), headers: Authorization from \$T_HOOK_TOKEN \(NOT set\)/m);
    expect(r.stdout.trim().split("\n").pop()).toBe(`config ${files.configPath} is NOT valid: 3 problems`);
    expect(r.stdout).not.toContain("is valid");
  });

  it("with --offline, the same variables are warnings and the verdict is valid", async () => {
    const r = await runCli(["--config", files.configPath, "check-config", "--offline"]);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toMatch(/warning: environment variable T_HOOK_URL/);
    expect(r.stdout.trim().split("\n").pop()).toBe(`config ${files.configPath} is valid (3 warnings)`);
  });

  it("passes once the variables are set, and never prints their values", async () => {
    const env = cliEnv({ T_SMTP_PASSWORD: "XsmtpsecretX", T_HOOK_URL: `https://hooks.test.example/${SECRET_PATH}`, T_HOOK_TOKEN: "XheadersecretX" });
    const [text, json] = await Promise.all([
      runCli(["--config", files.configPath, "check-config"], { env }),
      runCli(["--config", files.configPath, "check-config", "--json"], { env }),
    ]);
    expect(text.code, explain(text)).toBe(0);
    expect(json.code, explain(json)).toBe(0);
    expect((JSON.parse(json.stdout) as { valid: boolean }).valid).toBe(true);
    for (const out of [text.stdout + text.stderr, json.stdout + json.stderr]) expect(out).not.toMatch(/XsmtpsecretX|XsecretpathX|XheadersecretX/);
  });
});

describe("check-config: the approvals directory and bad files", { timeout: SLOW }, () => {
  it("a missing approvals directory gives one verdict: NOT valid, exit 2", async () => {
    const files = writeTestConfig({ dir: tempDir().path, endpoint: harness.endpoint });
    rmSync(files.approvalsDir, { recursive: true });
    const r = await runCli(["--config", files.configPath, "check-config"]);
    expect(r.code, explain(r)).toBe(2);
    expect(r.stdout).not.toContain("is valid");
    expect(r.stdout).toContain(`problem: ${files.approvalsDir}:0: approvals directory does not exist`);
    expect(r.stdout.trim().split("\n").pop()).toBe(`config ${files.configPath} is NOT valid: 1 problem`);
  });

  it("a database the daemon could not create is a problem", async () => {
    const dir = tempDir();
    const files = writeTestConfig({ dir: dir.path, endpoint: harness.endpoint, extra: { database: dir.join("no", "such", "sgwatch.db") } });
    const r = await runCli(["--config", files.configPath, "check-config"]);
    expect(r.code, explain(r)).toBe(2);
    expect(r.stdout).toContain(`problem: database directory ${dir.join("no", "such")} does not exist (nor its parent ${dir.join("no")})`);
  });

  it("an empty database file is fine (the daemon initialises it); another program's SQLite file is a problem", async () => {
    const files = writeTestConfig({ dir: tempDir().path, endpoint: harness.endpoint });
    mkdirSync(path.dirname(files.databasePath), { recursive: true });
    closeSync(openSync(files.databasePath, "w", 0o600));
    const empty = await runCli(["--config", files.configPath, "check-config"]);
    expect(empty.code, explain(empty)).toBe(0);
    expect(empty.stdout.trim().split("\n").pop()).toBe(`config ${files.configPath} is valid`);
    rmSync(files.databasePath);
    const other = new BetterSqlite3(files.databasePath);
    other.exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY)");
    other.close();
    const foreign = await runCli(["--config", files.configPath, "check-config"]);
    expect(foreign.code, explain(foreign)).toBe(2);
    expect(foreign.stdout).toContain(`problem: database: ${files.databasePath} is not an sgwatch database`);
  });

  it("--json on a bad file prints the problems as JSON on stdout, exit 2", async () => {
    const file = tempDir().join("bad.yaml");
    writeFileSync(file, 'schedule: "every minute"\ntargets:\n  - account: "12345"\n    regions: [us-east-1]\n');
    const r = await runCli(["--config", file, "check-config", "--json"]);
    expect(r.code, explain(r)).toBe(2);
    const parsed = JSON.parse(r.stdout) as { file: string; valid: boolean; errors: Array<{ key: string; line: number; message: string }> };
    expect(parsed.file).toBe(file);
    expect(parsed.valid).toBe(false);
    expect(parsed.errors.map((e) => `${e.line} ${e.key}`)).toEqual(["1 schedule", "3 targets[0].account"]);
  });

  it("an alias bomb is a config error on its line, exit 2, no internal error", async () => {
    const file = tempDir().join("bomb.yaml");
    const rows = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]'];
    for (const [name, prev] of [["b", "a"], ["c", "b"], ["d", "c"], ["e", "d"], ["f", "e"]]) rows.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(", ")}]`);
    writeFileSync(file, rows.join("\n") + "\n");
    const r = await runCli(["--config", file, "check-config"]);
    expect(r.code, explain(r)).toBe(2);
    expect(r.stderr).toMatch(/line 2: \(top level\): cannot read YAML: Excessive alias count/);
    expect(r.stderr).not.toContain("internal error");
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it("bad SGWATCH_SCHEDULE / SGWATCH_LOG_LEVEL are blamed on the variables, not on lines of the file", async () => {
    const files = writeTestConfig({ dir: tempDir().path, endpoint: harness.endpoint });
    const r = await runCli(["--config", files.configPath, "check-config"], { env: cliEnv({ SGWATCH_SCHEDULE: "bad cron", SGWATCH_LOG_LEVEL: "loud" }) });
    expect(r.code, explain(r)).toBe(2);
    expect(r.stderr).toMatch(/environment variable SGWATCH_SCHEDULE \(sets schedule\): expected a cron expression/);
    expect(r.stderr).toMatch(/environment variable SGWATCH_LOG_LEVEL \(sets log\.level\): /);
    expect(r.stderr).not.toMatch(/line \d+: (schedule|log)/);
  });
});

describe("check-config: webhook URLs and SMTP without TLS", { timeout: SLOW }, () => {
  it("refuses a webhook URL with user:password@ without printing the password", async () => {
    const files = writeTestConfig({ dir: tempDir().path, endpoint: harness.endpoint, extra: { alerts: { webhook: { url: "https://bot:XpasswordX@hooks.test.example/x" } } } });
    const r = await runCli(["--config", files.configPath, "check-config"]);
    expect(r.code, explain(r)).toBe(2);
    expect(r.stderr).toMatch(/alerts\.webhook\.url: must not carry credentials/);
    expect(r.stdout + r.stderr).not.toContain("XpasswordX");
  });

  it("accepts an inline URL with a secret path and ?token=, shows only its origin, and says (set, redacted) in JSON", async () => {
    const url = `https://hooks.test.example/services/${SECRET_PATH}?token=${SECRET_TOKEN}`;
    const files = writeTestConfig({ dir: tempDir().path, endpoint: harness.endpoint, extra: { alerts: { webhook: { url } } } });
    const [text, json] = await Promise.all([
      runCli(["--config", files.configPath, "check-config"]),
      runCli(["--config", files.configPath, "check-config", "--json"]),
    ]);
    expect(text.code, explain(text)).toBe(0);
    expect(text.stdout).toMatch(/^ {2}webhook: generic POST to https:\/\/hooks\.test\.example \(rest of the URL redacted\)/m);
    expect(json.code, explain(json)).toBe(0);
    const parsed = JSON.parse(json.stdout) as { config: { alerts: { webhook: { url: string } } } };
    expect(parsed.config.alerts.webhook.url).toBe("(set, redacted)");
    for (const out of [text.stdout + text.stderr, json.stdout + json.stderr]) expect(out).not.toMatch(/XsecretpathX|XquerytokenX/);
  });

  it("warns about SMTP auth without TLS in check-config and in the daemon's first lines", async () => {
    const email = { host: "127.0.0.1", port: 2525, user: "sgwatch", passwordEnv: "T_SMTP_PASSWORD", from: "sgwatch@test.example", to: ["ops@test.example"] };
    const files = writeTestConfig({ dir: tempDir().path, endpoint: harness.endpoint, extra: { alerts: { email } } });
    const env = cliEnv({ T_SMTP_PASSWORD: "XsmtpsecretX" });
    const r = await runCli(["--config", files.configPath, "check-config"], { env });
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toMatch(/warning: alerts\.email: SMTP authentication \(user\) is configured without TLS/);
    const daemon = startCli(["--config", files.configPath, "run"], { env, timeoutMs: 60_000 });
    try {
      await daemon.waitForJson((l) => l.event === "start");
      const events = daemon.json().map((l) => l.event);
      // Logged once, before the start line: among the first things an operator sees.
      expect(events.filter((e) => e === "config-warning")).toHaveLength(1);
      expect(events.indexOf("config-warning")).toBeLessThan(events.indexOf("start"));
      const warning = daemon.json().find((l) => l.event === "config-warning");
      expect(warning).toMatchObject({ level: "warn", key: "alerts.email" });
      expect(String(warning?.msg)).toContain("without TLS");
    } finally {
      daemon.child.kill("SIGTERM");
      await daemon.exited;
    }
    expect(daemon.lines.join("\n")).not.toContain("XsmtpsecretX");
  });
});

describe("check-config: approval records against the database", { timeout: SLOW }, () => {
  let files: TestConfigFiles;
  beforeAll(async () => {
    files = writeTestConfig({ dir: tempDir().path, endpoint: harness.endpoint });
    const poll = await runCli(["--config", files.configPath, "poll"]);
    expect(poll.code, explain(poll)).toBe(0);
  });

  it("reports an id both in a file and created with `sgwatch approve`, and warns about a selector no target has seen", async () => {
    const approve = await runCli([
      "--config", files.configPath, "approve", "--id", "CHG-9", "--group", "web", "--add", "tcp/443 from 10.0.0.0/8",
      "--until", "+2h", "--by", "alice", "--reason", "test",
    ]);
    expect(approve.code, explain(approve)).toBe(0);
    const window = { from: new Date(Date.now() - 3600_000).toISOString(), until: new Date(Date.now() + 3600_000).toISOString() };
    const change = [{ action: "add", protocol: "tcp", ports: 443, source: "10.0.0.0/8" }];
    const dup = writeApproval(files.approvalsDir, { id: "CHG-9", groupName: "web", ...window, changes: change });
    const typo = writeApproval(files.approvalsDir, { id: "CHG-10", groupName: "wbe", ...window, changes: change });
    writeApproval(files.approvalsDir, { id: "CHG-11", groupName: "app", ...window, changes: change });
    const r = await runCli(["--config", files.configPath, "check-config"]);
    expect(r.code, explain(r)).toBe(2);
    expect(r.stdout).toContain(`problem: ${dup}:1: id CHG-9 is already used by a record created with \`sgwatch approve\``);
    expect(r.stdout).toContain(`warning: ${typo}:1: CHG-10: selects group named wbe, which no target has seen`);
    expect(r.stdout).not.toMatch(/CHG-11: selects/);
    expect(r.stdout.trim().split("\n").pop()).toBe(`config ${files.configPath} is NOT valid: 1 problem`);
  });
});

