// Proves the CLI's contract as a person or a script sees it: the built
// `node bin/sgwatch.js` run as a child process against the simulator (over
// HTTP, credentials from the environment) and SQLite files in temp dirs.
// - every command has --help (exit 0); output into a closed pipe (`| head`)
//   ends quietly with exit 0;
// - a bad config lists every problem with key path and line, exit 2, no stack;
// - poll prints a summary / parseable JSON, exits 1 when a target fails and 3
//   on unapproved drift with --fail-on-drift; closing an unapproved rule again
//   is a `revert` (closes #id) in poll --json, changes and report, not drift;
// - changes filters and validates --since; status --health is 0 / 4;
// - migrate is idempotent; a database from a newer sgwatch is refused, byte
//   for byte untouched;
// - demo runs end to end and leaves a database whose `changes` view tells the story.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { AuthorizeSecurityGroupIngressCommand, RevokeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { startSimHarness, INTRUDER, type SimHarness } from "../support/sim-harness.js";
import { writeTestConfig, TEST_ACCOUNT, type TestConfigFiles } from "../support/config-file.js";
import { spawn } from "node:child_process";
import { assertBuilt, cliEnv, runCli, CLI_BIN, type CliResult } from "../support/cli.js";
import { readMigrations } from "../../src/store/migrate.js";
import { REPO_ROOT } from "../support/cli.js";
import { mapPool } from "../../src/util/pool.js";

// Each CLI run starts Node and loads the AWS SDK (about a second on an idle
// machine); the generous limits are for loaded CI machines, not the norm.
const SLOW = 120_000;

const STACK_LINE = /^\s+at /m;
const COMMANDS = ["run", "poll", "changes", "status", "migrate", "check-config", "sim", "demo"];

function explain(r: CliResult): string {
  return `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

function expectExit(r: CliResult, code: number): void {
  expect(r.code, explain(r)).toBe(code);
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
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

describe("help", { timeout: SLOW }, () => {
  it("prints usage and exits 0 for the program and every command", async () => {
    // Two at a time: each start loads the AWS SDK, and the machine has two cores.
    const argvs = [["--help"], ...COMMANDS.map((c) => [c, "--help"])];
    const results = await mapPool(argvs, 2, (argv) => runCli(argv, { timeoutMs: 60_000 }));
    expectExit(results[0]!, 0);
    expect(results[0]!.stdout).toContain("Exit codes:");
    for (const name of COMMANDS) expect(results[0]!.stdout).toContain(name);
    results.slice(1).forEach((r, i) => {
      expectExit(r, 0);
      expect(r.stdout).toContain(`Usage: sgwatch ${COMMANDS[i]}`);
    });
  });
});

describe("output into a closed pipe (`sgwatch … | head`)", { timeout: SLOW }, () => {
  it("stops quietly with exit 0 when the reader has gone, no EPIPE stack", async () => {
    const child = spawn(process.execPath, [CLI_BIN, "--help"], { cwd: REPO_ROOT, env: cliEnv(), stdio: ["ignore", "pipe", "pipe"] });
    // The reader leaves before the CLI has started, so its first write finds the pipe closed.
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    expect(stderr).not.toMatch(/EPIPE|Unhandled|at .*\.js/);
    expect(code).toBe(0);
  });
});

describe("check-config", { timeout: SLOW }, () => {
  const BAD = [
    "database: ./x.db", // 1
    'schedule: "every five minutes"', // 2
    "concurrency: 0", // 3
    "targets:", // 4
    '  - account: "12345"', // 5
    "    regions: [mars-1]", // 6
    "    endpont: http://x", // 7
    "alerts:", // 8
    "  email:", // 9
    "    host: smtp.example", // 10
    "    to: []", // 11
    "",
  ].join("\n");

  let badFile: string;
  let bad: Promise<CliResult>;
  beforeAll(() => {
    badFile = tempDir().join("bad.yaml");
    writeFileSync(badFile, BAD);
    bad = runCli(["--config", badFile, "check-config"]);
  });

  it("lists every problem with key path and line, exits 2, prints no stack trace", async () => {
    const file = badFile;
    const r = await bad;
    expectExit(r, 2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(file);
    expect(r.stderr).toContain("7 problems");
    expect(r.stderr).toMatch(/line 2: schedule: /);
    expect(r.stderr).toMatch(/line 3: concurrency: /);
    expect(r.stderr).toMatch(/line 5: targets\[0\]\.account: expected a 12-digit AWS account id/);
    expect(r.stderr).toMatch(/line 6: targets\[0\]\.regions\[0\]: expected an AWS region name/);
    expect(r.stderr).toMatch(/targets\[0\][^\n]*unknown key "endpont"/);
    expect(r.stderr).toMatch(/line 10: alerts\.email\.from: is required/);
    expect(r.stderr).toMatch(/line 11: alerts\.email\.to: list at least one recipient/);
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  // An unknown key is reported on the line of the key itself (7), not on the
  // line of the mapping that holds it (5).
  it("reports an unknown key on the key's own line", async () => {
    const r = await bad;
    expect(r.stderr).toMatch(/line 7: targets\[0\][^\n]*unknown key "endpont"/);
  });

  it("names the missing config file, exits 2, prints no stack trace", async () => {
    const dir = tempDir();
    const missing = dir.join("nowhere", "config.yaml");
    const r = await runCli(["--config", missing, "check-config"]);
    expectExit(r, 2);
    expect(r.stderr).toContain(missing);
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it("accepts a valid config (exit 0) and says what it means", async () => {
    const files = writeTestConfig({ dir: tempDir().path, endpoint: harness.endpoint });
    const r = await runCli(["--config", files.configPath, "check-config"]);
    expectExit(r, 0);
    expect(r.stdout).toContain("is valid");
    expect(r.stdout).toContain(`${TEST_ACCOUNT}/us-east-1`);
    const j = await runCli(["--config", files.configPath, "check-config", "--json"]);
    expectExit(j, 0);
    const parsed = JSON.parse(j.stdout) as { targets: Array<{ account: string; region: string }>; config: { schedule: string } };
    expect(parsed.targets).toEqual([expect.objectContaining({ account: TEST_ACCOUNT, region: "us-east-1" })]);
    expect(parsed.config.schedule).toBe("*/5 * * * *");
  });
});

describe("poll, changes and status against the simulator", { timeout: SLOW }, () => {
  let files: TestConfigFiles;
  const open22 = async (port: number): Promise<void> => {
    await harness.client(INTRUDER).send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: harness.demo.groups.bastion,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: port, ToPort: port, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
      }),
    );
  };

  beforeAll(() => {
    files = writeTestConfig({ dir: tempDir().path, endpoint: harness.endpoint });
  });

  it("poll prints the summary and exits 0", async () => {
    const r = await runCli(["--config", files.configPath, "poll"]);
    expectExit(r, 0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^account\s+region\s+status\s+pages\s+groups\s+rules\s+changes\s+unapproved\s+error$/);
    expect(lines[2]).toMatch(new RegExp(`^${TEST_ACCOUNT}\\s+us-east-1\\s+baseline\\s+1\\s+5\\s+16\\s+0\\s+0$`));
    expect(lines).toHaveLength(3);
    // Logs went to stderr as JSON lines, leaving stdout to the summary.
    expect(r.stderr).toContain('"event":"poll-ok"');
  });

  it("poll --json prints the changes as parseable JSON", async () => {
    await open22(22);
    const r = await runCli(["--config", files.configPath, "poll", "--json"]);
    expectExit(r, 0);
    const parsed = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(parsed).toEqual([
      expect.objectContaining({
        id: expect.any(Number),
        account: TEST_ACCOUNT,
        region: "us-east-1",
        kind: "rule-added",
        groupId: harness.demo.groups.bastion,
        text: "TCP 22 from 0.0.0.0/0",
        severity: "critical",
        status: "unapproved",
      }),
    ]);
  });

  it("poll --fail-on-drift exits 0 without drift and 3 after unapproved drift", async () => {
    const quiet = await runCli(["--config", files.configPath, "poll", "--fail-on-drift"]);
    expectExit(quiet, 0);
    await open22(3389);
    const r = await runCli(["--config", files.configPath, "poll", "--fail-on-drift"]);
    expectExit(r, 3);
    expect(r.stdout).toMatch(new RegExp(`${TEST_ACCOUNT}\\s+us-east-1\\s+ok\\s+1\\s+5\\s+18\\s+1\\s+1`));
  });

  it("changes --since 1h --status unapproved --json returns the rows, newest first", async () => {
    const r = await runCli(["--config", files.configPath, "changes", "--since", "1h", "--status", "unapproved", "--json"]);
    expectExit(r, 0);
    const rows = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(rows.map((x) => [x.kind, x.ports, x.source, x.severity, x.status])).toEqual([
      ["rule-added", "3389", "0.0.0.0/0", "critical", "unapproved"],
      ["rule-added", "22", "0.0.0.0/0", "critical", "unapproved"],
    ]);
    const none = await runCli(["--config", files.configPath, "changes", "--since", "1h", "--status", "approved", "--json"]);
    expectExit(none, 0);
    expect(JSON.parse(none.stdout)).toEqual([]);
  });

  it("closing the unapproved rule is a revert that closes it: not drift for --fail-on-drift, changes or report", async () => {
    const before = JSON.parse((await runCli(["--config", files.configPath, "changes", "--since", "1h", "--json"])).stdout) as Array<{ id: number; ports: string }>;
    const opened = before.find((x) => x.ports === "3389")!;
    await harness.client(INTRUDER).send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: harness.demo.groups.bastion,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 3389, ToPort: 3389, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
      }),
    );
    const r = await runCli(["--config", files.configPath, "poll", "--fail-on-drift", "--json"]);
    expectExit(r, 0);
    const polled = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(polled).toEqual([expect.objectContaining({ kind: "rule-removed", status: "revert", closes: opened.id })]);
    const rows = JSON.parse((await runCli(["--config", files.configPath, "changes", "--since", "1h", "--json"])).stdout) as Array<Record<string, unknown>>;
    expect(rows.map((x) => [x.kind, x.ports, x.status, x.closes])).toEqual([
      ["rule-removed", "3389", "revert", opened.id],
      ["rule-added", "3389", "reverted", null],
      ["rule-added", "22", "unapproved", null],
    ]);
    const table = await runCli(["--config", files.configPath, "changes", "--since", "1h", "--status", "revert"]);
    expectExit(table, 0);
    expect(table.stdout).toContain(`revert (closes #${opened.id})`);
    // The report's "not acknowledged or reverted" list holds only the rule still open.
    const report = JSON.parse((await runCli(["--config", files.configPath, "report", "--json"])).stdout) as { openChanges: Array<{ what: string }> };
    expect(report.openChanges.map((c) => c.what)).toEqual(["rule-added ingress tcp 22 from 0.0.0.0/0"]);
  });

  it("changes with a bad --since exits 2 with a message", async () => {
    const r = await runCli(["--config", files.configPath, "changes", "--since", "yesterday"]);
    expectExit(r, 2);
    expect(r.stderr).toContain('--since: expected an ISO-8601 time');
    expect(r.stderr).toContain('"yesterday"');
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it("status shows the target; status --health exits 0 when no target is blind", async () => {
    const r = await runCli(["--config", files.configPath, "status"]);
    expectExit(r, 0);
    expect(r.stdout).toMatch(new RegExp(`${TEST_ACCOUNT}\\s+us-east-1`));
    expect(r.stdout).toMatch(/alerts: \d+ pending, \d+ sent, 0 dead/);
    const h = await runCli(["--config", files.configPath, "status", "--health"]);
    expectExit(h, 0);
    expect(h.stdout).toMatch(/^healthy: 1 targets polled, none blind/);
  });
});

describe("an unreachable target", { timeout: SLOW }, () => {
  it("poll exits 1 naming the network error; status --health then exits 4", async () => {
    const port = await closedPort();
    const files = writeTestConfig({
      dir: tempDir().path,
      endpoint: `http://127.0.0.1:${port}`,
      extra: { aws: { maxAttempts: 1, timeout: "2s" }, monitoring: { blindAfterFailures: 1 } },
    });
    const r = await runCli(["--config", files.configPath, "poll"]);
    expectExit(r, 1);
    expect(r.stdout).toMatch(new RegExp(`${TEST_ACCOUNT}\\s+us-east-1\\s+FAILED`));
    expect(r.stdout).toContain("NetworkError");
    expect(r.durationMs).toBeLessThan(10_000);
    const h = await runCli(["--config", files.configPath, "status", "--health"]);
    expectExit(h, 4);
    expect(h.stdout).toMatch(new RegExp(`^unhealthy: blind: ${TEST_ACCOUNT}/us-east-1 since `));
  });
});

describe("migrate", { timeout: SLOW }, () => {
  const known = readMigrations(path.join(REPO_ROOT, "migrations")).map((m) => m.name);

  it("applies the migrations once; a second run says up to date and changes nothing", async () => {
    const file = tempDir().join("data", "x.db");
    const first = await runCli(["--db", file, "migrate"]);
    expectExit(first, 0);
    expect(first.stdout).toContain(`applied ${known.join(", ")} to ${file}`);
    const read = (): unknown[] => {
      const db = new BetterSqlite3(file, { readonly: true });
      try {
        return db.prepare("SELECT * FROM schema_migrations ORDER BY version").all();
      } finally {
        db.close();
      }
    };
    const rows = read();
    expect(rows.map((r) => (r as { name: string }).name)).toEqual(known);
    const second = await runCli(["--db", file, "migrate"]);
    expectExit(second, 0);
    expect(second.stdout).toContain(`${file} is up to date`);
    expect(read()).toEqual(rows);
  });

  it("refuses a database with an unknown newer migration (exit 2) and leaves its bytes unchanged", async () => {
    const dir = tempDir();
    const files = writeTestConfig({ dir: dir.path, endpoint: harness.endpoint });
    expectExit(await runCli(["--db", files.databasePath, "migrate"]), 0);
    const db = new BetterSqlite3(files.databasePath);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', '2027-01-01T00:00:00.000Z')").run();
    db.pragma("wal_checkpoint(TRUNCATE)");
    db.close();
    const hash = (): string => createHash("sha256").update(readFileSync(files.databasePath)).digest("hex");
    const before = hash();

    for (const args of [["--db", files.databasePath, "migrate"], ["--config", files.configPath, "poll"]]) {
      const r = await runCli(args);
      expectExit(r, 2);
      expect(r.stderr).toContain("9999_future.sql");
      expect(r.stderr).toContain("newer");
      expect(r.stderr).not.toMatch(STACK_LINE);
      expect(hash()).toBe(before);
    }
  });
});

describe("demo", { timeout: SLOW }, () => {
  it("runs end to end in an empty directory and leaves data/demo.db telling the story", async () => {
    const cwd = tempDir();
    const r = await runCli(["demo"], { cwd: cwd.path, env: cliEnv({ AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "" }), timeoutMs: 90_000 });
    expectExit(r, 0);
    // The terminal gets the story; the daemon's JSON log is in data/demo.log.
    const logLines = readFileSync(cwd.join("data", "demo.log"), "utf8").split("\n").flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
    expect(logLines.filter((l) => l.event === "drift" && l.severity === "critical" && l.fromPort === 22 && l.source === "0.0.0.0/0").length).toBeGreaterThanOrEqual(1);
    expect(r.stdout).toMatch(/rule-added\s+ingress tcp 443 10\.0\.0\.0\/8\s+\w+\s+approved by CHG-1042/);

    const db = new BetterSqlite3(cwd.join("data", "demo.db"), { readonly: true });
    try {
      const rows = db.prepare("SELECT group_name, kind, direction, protocol, ports, source, severity, status, approval_id FROM changes ORDER BY id").all();
      // The demo's script grows; these two changes are its point.
      expect(rows).toEqual(
        expect.arrayContaining([
          // Unapproved when detected; the view may show a later fact (reverted, acknowledged).
          expect.objectContaining({ group_name: "bastion", kind: "rule-added", ports: "22", source: "0.0.0.0/0", severity: "critical", status: expect.not.stringMatching(/^approved$/), approval_id: null }),
          expect.objectContaining({ group_name: "app", kind: "rule-added", ports: "443", source: "10.0.0.0/8", status: "approved", approval_id: "CHG-1042" }),
        ]),
      );
    } finally {
      db.close();
    }
  });
});
