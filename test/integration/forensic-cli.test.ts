// Proves that the history commands answer forensic questions exactly, run as
// an operator runs them: the built `node bin/sgwatch.js` as a child process in
// the time zone Asia/Kolkata (UTC+05:30, so a local reading is 5.5 h off),
// against a database with known history (test/support/history-db.ts):
// - an impossible date (2026-02-30, 2026-11-31, 24:00) exits 2 naming the flag
//   in every command that takes a time, instead of rolling into the next month;
// - a time without a zone, with a T or a space, is UTC in every command, and
//   each such command's --help says so;
// - `changes --until` before `--since` exits 2, as `diff` does;
// - `changes --status` takes the view's four statuses;
// - `history` and `changes` show who made a change (the CloudTrail match stored
//   in change_attributions), with how sure the match is unless exact.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import BetterSqlite3 from "better-sqlite3";
import { assertBuilt, cliEnv, runCli, type CliResult } from "../support/cli.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { writeTestConfig, type TestConfigFiles } from "../support/config-file.js";
import { ACCOUNT_A, BATCH, T1, WEB, buildHistoryDb } from "../support/history-db.js";

// Each CLI run starts Node (about a second on an idle machine); the generous
// limit is for loaded machines.
const SLOW = 120_000;
const KOLKATA = cliEnv({ TZ: "Asia/Kolkata" });

const ALICE_ARN = "arn:aws:iam::111111111111:user/alice";
const ROLE_ARN = "arn:aws:sts::111111111111:assumed-role/deploy/ci-42";

function explain(r: CliResult): string {
  return `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

let dir: TempDir;
let dbFile: string;
/** The same history without alice's acknowledgement: the SSH opening reads as reverted. */
let unackedFile: string;
let config: TestConfigFiles;
let sshAddedId: number;
let batchRuleId: number;

function attribute(file: string, changeId: number, arn: string, quality: "exact" | "likely" | "possible"): void {
  const db = new BetterSqlite3(file);
  try {
    db.prepare(
      `INSERT INTO change_attributions (change_id, event_id, event_name, event_time, actor_arn, actor_type, actor_name,
         access_key_id, source_ip, user_agent, match_quality, attributed_at)
       VALUES (?, ?, 'AuthorizeSecurityGroupIngress', ?, ?, 'IAMUser', 'alice', 'AKIAEXAMPLEKEY000001', '198.51.100.7', 'aws-cli/2', ?, ?)`,
    ).run(changeId, `ev-${changeId}`, T1, arn, quality, T1);
    db.prepare("UPDATE change_events SET attribution_status = 'attributed' WHERE id = ?").run(changeId);
  } finally {
    db.close();
  }
}

beforeAll(() => {
  assertBuilt();
  dir = makeTempDir();
  dbFile = dir.join("history.db");
  const h = buildHistoryDb(dbFile);
  sshAddedId = h.sshAddedId;
  batchRuleId = (h.db.prepare("SELECT id FROM change_events WHERE group_id = ? AND kind = 'rule-added'").get(BATCH) as { id: number }).id;
  h.db.close();
  attribute(dbFile, sshAddedId, ALICE_ARN, "exact");
  attribute(dbFile, batchRuleId, ROLE_ARN, "likely");
  unackedFile = dir.join("unacked.db");
  const u = buildHistoryDb(unackedFile).db;
  u.prepare("DELETE FROM acknowledgements").run();
  u.close();
  config = writeTestConfig({ dir: dir.join("cfg"), endpoint: "http://127.0.0.1:9" });
});
afterAll(() => dir.remove());

const cli = (...args: string[]): Promise<CliResult> => runCli(["--db", dbFile, ...args], { env: KOLKATA });

describe("times people type", { timeout: SLOW }, () => {
  it.each([
    ["diff", "--from", "2026-02-30T00:00Z"],
    ["rules", "--at", "2026-11-31T00:00Z"],
    ["changes", "--since", "2026-02-29"],
    ["changes", "--since", "1d", "--until", "2026-04-31 10:00"],
    ["diff", "--from", "2026-03-02T10:00Z", "--to", "2026-03-02T24:00Z"],
  ])("%s %s %s… (impossible) exits 2 naming the flag", async (...args) => {
    const r = await cli(...args);
    expect(r.code, explain(r)).toBe(2);
    expect(r.stdout).toBe("");
    const flag = args[args.length - 2] ?? "";
    expect(r.stderr).toContain(`sgwatch: ${flag}: "${args[args.length - 1]}" is not a real date and time`);
  });

  it("approve --until with an impossible date exits 2 naming the flag, and stores nothing", async () => {
    // A config of its own, so "nothing stored" does not depend on the other tests.
    const refused = writeTestConfig({ dir: dir.join("cfg-refused"), endpoint: "http://127.0.0.1:9" });
    const r = await runCli(
      ["--config", refused.configPath, "approve", "--id", "CHG-9", "--group", "web", "--add", "tcp/443 from 10.0.0.0/8", "--until", "2026-02-30T18:00Z", "--by", "alice", "--reason", "x"],
      { env: KOLKATA },
    );
    expect(r.code, explain(r)).toBe(2);
    expect(r.stderr).toContain('--until: "2026-02-30T18:00Z" is not a real date and time');
    for (const [flag, value, words] of [
      ["--from", "+2x", '--from "+2x": expected +DURATION'],
      ["--from", "next week", '--from: expected an ISO-8601 time (2026-12-01T18:00Z; without a zone, UTC) or +DURATION (+4h), got "next week"'],
    ] as const) {
      const bad = await runCli(
        ["--config", refused.configPath, "approve", "--id", "CHG-9", "--group", "web", "--add", "tcp/443 from 10.0.0.0/8", flag, value, "--until", "+1h", "--by", "alice", "--reason", "x"],
        { env: KOLKATA },
      );
      expect(bad.code, explain(bad)).toBe(2);
      expect(bad.stderr).toContain(words);
    }
    // Refused before the database was opened: it was not even created.
    expect(existsSync(refused.databasePath)).toBe(false);
  });

  it("rules --at with a space and no zone is UTC, not the local zone", async () => {
    const r = await cli("rules", "--at", "2026-03-02 11:36:00", "--account", ACCOUNT_A, "--json");
    expect(r.code, explain(r)).toBe(0);
    const out = JSON.parse(r.stdout) as { at: string; rules: Array<{ groupId: string; ports: string }>; notes: string[] };
    expect(out.at).toBe("2026-03-02T11:36:00.000Z");
    // SSH was open from 11:00 to 12:00 UTC; at 06:06 UTC (the Kolkata reading) nothing was polled yet.
    expect(out.rules.filter((x) => x.groupId === WEB).map((x) => x.ports)).toContain("22");
    expect(out.notes).toEqual([]);
  });

  it("diff, changes and rules read the T form and the space form without a zone alike, as UTC", async () => {
    const t = await cli("diff", "--from", "2026-03-02T10:30", "--to", "2026-03-02 11:30", "--json");
    expect(t.code, explain(t)).toBe(0);
    expect(JSON.parse(t.stdout)).toMatchObject({ from: "2026-03-02T10:30:00.000Z", to: "2026-03-02T11:30:00.000Z" });
    const c = await cli("changes", "--since", "2026-03-02 10:30", "--until", "2026-03-02T11:30", "--json");
    expect(c.code, explain(c)).toBe(0);
    expect((JSON.parse(c.stdout) as Array<{ id: number }>).map((x) => x.id)).toEqual([sshAddedId]);
    const d = await cli("rules", "--at", "2026-03-02", "--json");
    expect(JSON.parse(d.stdout)).toMatchObject({ at: "2026-03-02T00:00:00.000Z" });
  });

  it("approve --until without a zone is UTC: the stored window ends at 18:00Z", async () => {
    const r = await runCli(
      ["--config", config.configPath, "approve", "--id", "CHG-10", "--group", "web", "--add", "tcp/443 from 10.0.0.0/8", "--from", "2026-12-01 09:00", "--until", "2026-12-01T18:00", "--by", "alice", "--reason", "x"],
      { env: KOLKATA },
    );
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toContain("2026-12-01T09:00:00Z until 2026-12-01T18:00:00Z");
    const db = new BetterSqlite3(config.databasePath, { readonly: true });
    try {
      expect(db.prepare("SELECT window_from, window_until FROM approval_records WHERE id = 'CHG-10'").get()).toEqual({
        window_from: "2026-12-01T09:00:00Z",
        window_until: "2026-12-01T18:00:00Z",
      });
    } finally {
      db.close();
    }
  });

  it.each([
    ["changes", ["--since", "--until"]],
    ["rules", ["--at"]],
    ["diff", ["--from", "--to"]],
    ["approve", ["--from", "--until"]],
  ])("%s --help says a time without a zone is UTC", async (command, flags) => {
    const r = await cli(command, "--help");
    expect(r.code, explain(r)).toBe(0);
    const flat = r.stdout.replace(/\s+/g, " ");
    for (const flag of flags) {
      const at = flat.indexOf(`${flag} <time>`);
      expect(at, `${command} --help lists ${flag}`).toBeGreaterThanOrEqual(0);
      const end = flat.indexOf(" --", at + flag.length);
      expect(flat.slice(at, end < 0 ? undefined : end), flag).toContain("without a zone, UTC");
    }
  });
});

describe("changes filters", { timeout: SLOW }, () => {
  it("--until before --since exits 2 naming both, rather than an empty answer", async () => {
    const r = await cli("changes", "--since", "2026-03-02T12:00Z", "--until", "2026-03-02T11:00Z");
    expect(r.code, explain(r)).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^sgwatch: --since \(2026-03-02T12:00:00Z\) is after --until \(2026-03-02T11:00:00Z\)/);
  });

  it("--status takes all four statuses the view has", async () => {
    const ids = async (file: string, status: string): Promise<number[]> => {
      const r = await runCli(["--db", file, "changes", "--since", "2026-03-01", "--status", status, "--json"], { env: KOLKATA });
      expect(r.code, explain(r)).toBe(0);
      return (JSON.parse(r.stdout) as Array<{ id: number; status: string }>).map((x) => {
        expect(x.status).toBe(status);
        return x.id;
      });
    };
    expect(await ids(dbFile, "acknowledged")).toEqual([sshAddedId]);
    expect(await ids(unackedFile, "reverted")).toEqual([sshAddedId]);
    expect((await ids(dbFile, "approved")).length).toBe(1);
    expect((await ids(dbFile, "unapproved")).length).toBeGreaterThan(0);
    const bad = await cli("changes", "--status", "open");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--status: expected one of unapproved, approved, acknowledged, reverted");
  });
});

describe("who made it", { timeout: SLOW }, () => {
  it("history shows who, with the match quality unless exact; --json carries the attribution", async () => {
    const r = await cli("history", WEB);
    expect(r.code, explain(r)).toBe(0);
    const ssh = r.stdout.split("\n").find((l) => l.includes("rule-added"));
    expect(ssh).toMatch(new RegExp(`acknowledged \\(by alice\\)\\s+${ALICE_ARN}$`));
    const batch = await cli("history", BATCH);
    expect(batch.stdout.split("\n").find((l) => l.includes("rule-added"))).toMatch(/\s+arn:aws:sts::111111111111:assumed-role\/deploy\/ci-42 \(likely match\)$/);

    const json = await cli("history", WEB, "--json");
    const out = JSON.parse(json.stdout) as { changes: Array<Record<string, unknown>> };
    expect(out.changes[0]).toMatchObject({
      id: sshAddedId,
      attributionStatus: "attributed",
      attribution: { eventId: `ev-${sshAddedId}`, actorArn: ALICE_ARN, sourceIp: "198.51.100.7", accessKeyId: "AKIAEXAMPLEKEY000001", quality: "exact" },
    });
    expect(out.changes[1]).toMatchObject({ attributionStatus: "pending", attribution: null });
  });

  it("changes has a who column", async () => {
    const r = await cli("changes", "--since", "2026-03-01");
    expect(r.code, explain(r)).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]?.split(/\s{2,}/)).toEqual(["id", "time (UTC)", "account", "region", "group", "kind", "rule", "severity", "status", "who"]);
    expect(lines.find((l) => l.startsWith(`${sshAddedId} `))).toMatch(new RegExp(`acknowledged\\s+${ALICE_ARN}$`));
    expect(lines.find((l) => l.startsWith(`${batchRuleId} `))).toMatch(/ci-42 \(likely match\)$/);
    const json = await cli("changes", "--since", "2026-03-01", "--json");
    const rows = JSON.parse(json.stdout) as Array<{ id: number; who: string | null; who_match: string | null }>;
    expect(rows.find((x) => x.id === sshAddedId)).toMatchObject({ who: ALICE_ARN, who_match: "exact" });
  });
});
