// Proves what `sgwatch status --health` (the container's HEALTHCHECK) answers,
// run as a child process against a real database the CLI's own `poll` wrote:
// - with --json it prints the verdict as JSON (healthy, source, reasons);
// - a database where nothing was recorded for longer than
//   monitoring.blindAfter is unhealthy (exit 4), naming the silent target: a
//   daemon that stopped, or cannot write, must not read as healthy.
// The daemon's own /healthz answer taking precedence is proven with a locked
// database in cycle-failure.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import BetterSqlite3 from "better-sqlite3";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { startSimHarness, type SimHarness } from "../support/sim-harness.js";
import { writeTestConfig, TEST_ACCOUNT, type TestConfigFiles } from "../support/config-file.js";
import { assertBuilt, runCli, type CliResult } from "../support/cli.js";

const SLOW = 120_000;

function explain(r: CliResult): string {
  return `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

describe("status --health", { timeout: SLOW }, () => {
  let tmp: TempDir;
  let harness: SimHarness;
  let files: TestConfigFiles;

  beforeAll(async () => {
    assertBuilt();
    tmp = makeTempDir();
    harness = await startSimHarness();
    files = writeTestConfig({ dir: tmp.path, endpoint: harness.endpoint, extra: { monitoring: { blindAfter: "1h" } } });
    const r = await runCli(["--config", files.configPath, "poll"]);
    expect(r.code, explain(r)).toBe(0);
  });
  afterAll(async () => {
    await harness?.close();
    tmp?.remove();
  });

  it("--json prints the verdict as JSON", async () => {
    const r = await runCli(["--config", files.configPath, "status", "--health", "--json"]);
    expect(r.code, explain(r)).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ healthy: true, source: "database", reasons: [], targets: 1 });
  });

  it("is unhealthy (exit 4) when nothing was recorded for longer than monitoring.blindAfter", async () => {
    // The last poll, moved two hours into the past: as if the daemon had
    // recorded nothing since (stopped, or unable to write).
    const db = new BetterSqlite3(files.databasePath);
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000).toISOString();
    db.prepare("UPDATE polls SET started_at = ?, finished_at = ?").run(twoHoursAgo, twoHoursAgo);
    db.close();
    const text = await runCli(["--config", files.configPath, "status", "--health"]);
    expect(text.code, explain(text)).toBe(4);
    expect(text.stdout).toBe(`unhealthy: silent: ${TEST_ACCOUNT}/us-east-1: nothing recorded since ${twoHoursAgo} (longer than monitoring.blindAfter)\n`);
    const json = await runCli(["--config", files.configPath, "status", "--health", "--json"]);
    expect(json.code, explain(json)).toBe(4);
    const verdict = JSON.parse(json.stdout) as { healthy: boolean; reasons: string[] };
    expect(verdict.healthy).toBe(false);
    expect(verdict.reasons).toEqual([`silent: ${TEST_ACCOUNT}/us-east-1: nothing recorded since ${twoHoursAgo} (longer than monitoring.blindAfter)`]);
  });
});
