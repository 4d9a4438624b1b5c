// Proves `sgwatch history`, `rules` and `diff` as built (dist/), run as child
// processes against a database with known history (test/support/history-db.ts):
// tables and --json carry what the queries found, times are read as ISO-8601
// and printed in UTC, and bad input (an ambiguous group name, a bad time,
// --from after --to) exits 2 with a message naming the argument.
//
// Two launchers run the same cases. `harness` imports the three register
// functions from dist/ into a fresh commander program with main.ts's error
// mapping, so the commands are tested before main.ts registers them.
// `bin/sgwatch.js` is the shipped launcher; its cases run once main.ts
// registers the commands (skipped until then, and say so).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { CLI_BIN, REPO_ROOT, assertBuilt, cliEnv } from "../support/cli.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { ACCOUNT_A, ACCOUNT_B, T0, T1, T2, T3, WEB, after, buildHistoryDb } from "../support/history-db.js";

const DIST = path.join(REPO_ROOT, "dist", "src");

/** main.ts's program and error boundary, around only the history commands. */
const HARNESS = `
import { Command, CommanderError } from "commander";
const dist = ${JSON.stringify(DIST)};
const { UserError } = await import(dist + "/util/errors.js");
const { registerHistory } = await import(dist + "/cli/commands/history.js");
const { registerRules } = await import(dist + "/cli/commands/rules.js");
const { registerDiff } = await import(dist + "/cli/commands/diff.js");
const program = new Command().name("sgwatch").option("-c, --config <path>").option("--db <path>").exitOverride();
const ctx = { env: process.env, out: process.stdout, err: process.stderr, globals: () => program.opts() };
registerHistory(program, ctx);
registerRules(program, ctx);
registerDiff(program, ctx);
for (const cmd of program.commands) cmd.exitOverride();
try {
  await program.parseAsync(process.argv.slice(1), { from: "user" });
} catch (err) {
  if (err instanceof CommanderError) process.exitCode = err.exitCode === 0 ? 0 : 2;
  else if (err instanceof UserError) { process.stderr.write("sgwatch: " + err.message + "\\n"); process.exitCode = err.exitCode; }
  else { process.stderr.write(String(err && err.stack) + "\\n"); process.exitCode = 70; }
}
`;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

type Launcher = (args: string[]) => Promise<Result>;

function run(argv: string[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { cwd: REPO_ROOT, env: cliEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const harness: Launcher = (args) => run(["--input-type=module", "-e", HARNESS, "--", ...args]);
const shipped: Launcher = (args) => run([CLI_BIN, ...args]);

/** Whether the built main.ts registers the history commands yet. */
function registeredInMain(): boolean {
  const main = path.join(DIST, "cli", "main.js");
  return existsSync(main) && readFileSync(main, "utf8").includes("registerHistory");
}

let dir: TempDir;
let dbFile: string;

beforeAll(() => {
  assertBuilt();
  if (!existsSync(path.join(DIST, "cli", "commands", "history.js"))) throw new Error("dist/ predates the history commands: run `npm run build`");
  dir = makeTempDir();
  dbFile = dir.join("history.db");
  buildHistoryDb(dbFile).db.close();
});
afterAll(() => dir.remove());

const launchers: Array<[string, Launcher, boolean]> = [
  ["harness (register functions from dist/)", harness, true],
  ["bin/sgwatch.js", shipped, registeredInMain()],
];

describe.each(launchers)("%s", (_name, cli, enabled) => {
  const db = (): string[] => ["--db", dbFile];

  it.runIf(enabled)("history: the group's life and timeline as a table, times in UTC", async () => {
    const r = await cli([...db(), "history", "frontend"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`group       ${WEB} (frontend)`);
    expect(r.stdout).toContain("first seen  2026-03-02T10:00:00Z (baseline");
    expect(r.stdout).toContain("deleted     no, still present");
    const lines = r.stdout.split("\n");
    const header = lines.find((l) => l.startsWith("id"));
    expect(header?.split(/\s{2,}/)).toEqual(["id", "time (UTC)", "kind", "change", "severity", "status", "who"]);
    expect(lines.find((l) => l.includes("rule-added"))).toMatch(/2026-03-02T11:00:00Z\s+rule-added\s+added TCP 22 from 0\.0\.0\.0\/0\s+low\s+acknowledged \(by alice\)\s+-$/);
    expect(lines.find((l) => l.includes("rule-description-changed"))).toMatch(/description of TCP 443 from 10\.0\.0\.0\/8: \(none\) → "office LAN"\s+low\s+approved \(CHG-7\)/);
  });

  it.runIf(enabled)("history --json: group, changes with status and attribution null", async () => {
    const r = await cli([...db(), "history", WEB, "--json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { group: Record<string, unknown>; changes: Array<Record<string, unknown>> };
    expect(out.group).toMatchObject({ groupId: WEB, name: "frontend", firstSeenAt: T0, firstSeenAtBaseline: true, deletedAt: null });
    expect(out.changes.map((c) => [c.time, c.kind, c.status])).toEqual([
      [T1, "rule-added", "acknowledged"],
      // The removal undid the (acknowledged) unapproved addition: it closed that incident.
      [T2, "rule-removed", "revert"],
      [T2, "rule-description-changed", "approved"],
      [T3, "group-changed", "unapproved"],
    ]);
    expect(out.changes[0]).toMatchObject({ attribution: null, ackedBy: "alice", rule: { fromPort: 22, ports: "22", text: "TCP 22 from 0.0.0.0/0" } });
  });

  it.runIf(enabled)("history: an ambiguous name lists the groups and exits 2; --account narrows it", async () => {
    const r = await cli([...db(), "history", "web"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain('GROUP: "web" matches 2 groups');
    expect(r.stderr).toContain(`account ${ACCOUNT_A}`);
    expect(r.stderr).toContain(`account ${ACCOUNT_B}`);
    const narrowed = await cli([...db(), "history", "web", "--account", ACCOUNT_B]);
    expect(narrowed.code).toBe(0);
    expect(narrowed.stdout).toContain("sg-0b01 (web)");
  });

  it.runIf(enabled)("rules --at: the rule set at that time as an aligned table", async () => {
    const r = await cli([...db(), "rules", "--at", "2026-03-02T11:30", "--account", ACCOUNT_A]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("rules at 2026-03-02T11:30:00Z");
    const rows = r.stdout.split("\n").slice(1).filter((l) => l !== "");
    expect(rows[0]?.split(/\s{2,}/)).toEqual(["account", "region", "group", "direction", "protocol", "ports", "source", "description", "since (UTC)"]);
    expect(rows.slice(2).map((l) => l.split(/\s{2,}/).slice(2, 7).join(" "))).toEqual([
      "sg-0a01 (web) egress all all 0.0.0.0/0",
      "sg-0a01 (web) ingress tcp 22 0.0.0.0/0",
      "sg-0a01 (web) ingress tcp 443 10.0.0.0/8",
      "sg-0a02 (db) ingress tcp 5432 sg-0a01",
    ]);
  });

  it.runIf(enabled)("rules --json before the first poll: no rules, and a note that they are unknown", async () => {
    const r = await cli([...db(), "rules", "--at", "2026-03-01", "--json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { at: string; rules: unknown[]; notes: string[] };
    expect(out).toMatchObject({ at: "2026-03-01T00:00:00.000Z", rules: [] });
    expect(out.notes).toHaveLength(2);
  });

  it.runIf(enabled)("diff: the net change, without what was added and removed in between", async () => {
    const r = await cli([...db(), "diff", "--from", T0, "--to", after(T2), "--group", WEB]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("net change from 2026-03-02T10:00:00Z to 2026-03-02T12:30:00Z");
    expect(r.stdout).toContain('rule-description-changed  description of TCP 443 from 10.0.0.0/8: (none) → "office LAN"');
    expect(r.stdout).not.toContain("TCP 22");
  });

  it.runIf(enabled)("diff --json: a deleted group and a rename", async () => {
    const r = await cli([...db(), "diff", "--from", after(T2), "--to", after(T3), "--json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { changes: Array<{ kind: string; groupId: string; account: string }> };
    expect(out.changes.map((c) => `${c.account} ${c.groupId} ${c.kind}`)).toEqual([
      `${ACCOUNT_A} sg-0a01 group-changed`,
      `${ACCOUNT_A} sg-0a02 group-deleted`,
      `${ACCOUNT_A} sg-0a02 rule-removed`,
    ]);
  });

  it.runIf(enabled)("diff: --from after --to, and a bad time, exit 2 naming the flag", async () => {
    const reversed = await cli([...db(), "diff", "--from", T3, "--to", T0]);
    expect(reversed.code).toBe(2);
    expect(reversed.stderr).toMatch(/^sgwatch: --from \(2026-03-02T13:00:00Z\) is after --to \(2026-03-02T10:00:00Z\)/);
    const bad = await cli([...db(), "diff", "--from", "yesterday"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--from: expected an ISO-8601 time');
    const badAt = await cli([...db(), "rules", "--at", "13:00"]);
    expect(badAt.code).toBe(2);
    expect(badAt.stderr).toContain("--at: expected");
  });

  it.runIf(enabled)("an unknown group exits 2", async () => {
    const r = await cli([...db(), "rules", "--group", "nope"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--group: no group with id or name "nope"');
  });
});
