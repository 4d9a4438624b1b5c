// Proves the approval commands as an operator uses them: the built
// `node bin/sgwatch.js` as a child process, the simulator over HTTP and a
// SQLite file in a temp dir, with the real clock (windows are relative to now).
// - `approve` with flags or --file stores a CLI record that the next `poll`
//   matches (status approved, approval_id and change_approvals set);
// - a duplicate id, a window longer than approvals.maxWindow (from the
//   config) without --standing, and malformed --add specs exit 2 naming the
//   problem and store nothing; a --standing record is listed by `status`;
// - `approvals list|show|revoke` show the records and what they covered, and a
//   revoked record approves nothing further; revoking twice exits 2.
// - `approve` stores but warns about a window already over and about a
//   selector no target has seen (a typo approves nothing).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import BetterSqlite3, { type Database } from "better-sqlite3";
import { stringify } from "yaml";
import { AuthorizeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { startSimHarness, type SimHarness } from "../support/sim-harness.js";
import { writeTestConfig, type TestConfigFiles } from "../support/config-file.js";
import { assertBuilt, runCli, type CliResult } from "../support/cli.js";
import type { ApprovalViewRow } from "../support/app-world.js";

// Each CLI run starts Node and loads the AWS SDK (about a second on an idle
// machine); the generous limit is for loaded CI machines.
const SLOW = 120_000;
const HOUR = 3_600_000;
const STACK_LINE = /^\s+at /m;

function explain(r: CliResult): string {
  return `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

function expectExit(r: CliResult, code: number): void {
  expect(r.code, explain(r)).toBe(code);
}

/** One entry of `poll --json`. */
interface PolledChange {
  id: number;
  kind: string;
  groupName: string;
  text: string | null;
  status: string;
  approvalId: string | null;
  approvalIds: string[];
}

describe("approve, approvals and status through the CLI", { timeout: SLOW }, () => {
  let tmp: TempDir;
  let harness: SimHarness;
  let files: TestConfigFiles;
  let reader: Database;
  let chg1ChangeId: number;

  const cli = (...args: string[]): Promise<CliResult> => runCli(["--config", files.configPath, "--db", files.databasePath, ...args]);
  const poll = async (): Promise<PolledChange[]> => {
    const r = await cli("poll", "--json");
    expectExit(r, 0);
    return JSON.parse(r.stdout) as PolledChange[];
  };
  const openTcp = async (groupId: string, port: number, cidr: string): Promise<void> => {
    await harness.client().send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [{ IpProtocol: "tcp", FromPort: port, ToPort: port, IpRanges: [{ CidrIp: cidr }] }] }),
    );
  };
  const recordIds = (): string[] => (reader.prepare("SELECT id FROM approval_records ORDER BY id").all() as Array<{ id: string }>).map((r) => r.id);

  beforeAll(async () => {
    assertBuilt();
    tmp = makeTempDir();
    harness = await startSimHarness();
    // A configured maximum, to prove `approve` reads it rather than the 7-day default.
    files = writeTestConfig({ dir: tmp.path, endpoint: harness.endpoint, extra: { approvals: { maxWindow: "3d" } } });
    expect(await poll()).toEqual([]); // the baseline
    reader = new BetterSqlite3(files.databasePath, { readonly: true });
  });

  afterAll(async () => {
    reader?.close();
    await harness?.close();
    tmp?.remove();
  });

  it("approve with flags stores a record that the next poll matches", async () => {
    const before = Date.now();
    const r = await cli("approve", "--id", "CHG-1", "--group", "app", "--add", "tcp/443 from 10.0.0.0/8", "--until", "+2h", "--by", "alice", "--reason", "internal ALB");
    expectExit(r, 0);
    expect(r.stdout).toMatch(/^approved CHG-1: add ingress tcp\/443 from 10\.0\.0\.0\/8 on group named app, \S+ until \S+\n$/);
    const row = reader.prepare("SELECT * FROM approval_records WHERE id = 'CHG-1'").get() as Record<string, unknown>;
    expect(row).toMatchObject({ origin: "cli", file: null, line: null, approved_by: "alice", reason: "internal ALB", standing: 0 });
    // --from defaults to now, --until +2h is two hours after it.
    const from = Date.parse(String(row.window_from));
    const until = Date.parse(String(row.window_until));
    expect(from).toBeGreaterThanOrEqual(before - 1000);
    expect(from).toBeLessThanOrEqual(Date.now());
    expect(until - from).toBeGreaterThanOrEqual(2 * HOUR - 1000);
    expect(until - from).toBeLessThanOrEqual(2 * HOUR + 1000);

    await openTcp(harness.demo.groups.app, 443, "10.0.0.0/8");
    const changes = await poll();
    expect(changes).toEqual([expect.objectContaining({ kind: "rule-added", groupName: "app", text: "TCP 443 from 10.0.0.0/8", status: "approved", approvalId: "CHG-1", approvalIds: ["CHG-1"] })]);
    chg1ChangeId = changes[0]!.id;
    expect(reader.prepare("SELECT status, approval_id FROM changes WHERE id = ?").get(chg1ChangeId)).toEqual({ status: "approved", approval_id: "CHG-1" });
    expect(reader.prepare("SELECT approval_id FROM change_approvals WHERE change_id = ?").all(chg1ChangeId)).toEqual([{ approval_id: "CHG-1" }]);
  });

  it("approve --file stores the file's record (as a CLI record) and the next poll matches it", async () => {
    const now = Date.now();
    const recFile = tmp.join("rec.yaml"); // outside the approvals directory: the daemon does not load it
    writeFileSync(
      recFile,
      stringify({
        id: "CHG-2",
        reason: "partner API",
        approvedBy: "erin",
        window: { from: new Date(now - HOUR).toISOString(), until: new Date(now + 2 * HOUR).toISOString() },
        groupName: "web",
        changes: [{ action: "add", protocol: "tcp", ports: 8443, source: "10.2.0.0/16" }],
      }),
    );
    const r = await cli("approve", "--file", recFile);
    expectExit(r, 0);
    expect(r.stdout).toContain("approved CHG-2: add ingress tcp/8443 from 10.2.0.0/16 on group named web");
    expect(reader.prepare("SELECT origin, file, approved_by FROM approval_records WHERE id = 'CHG-2'").get()).toEqual({ origin: "cli", file: null, approved_by: "erin" });

    await openTcp(harness.demo.groups.web, 8443, "10.2.0.0/16");
    expect(await poll()).toEqual([expect.objectContaining({ groupName: "web", text: "TCP 8443 from 10.2.0.0/16", status: "approved", approvalId: "CHG-2" })]);
  });

  it("refuses a duplicate id with exit 2 and stores nothing", async () => {
    const r = await cli("approve", "--id", "CHG-1", "--group", "db", "--add", "tcp/5432 from 10.0.0.0/8", "--until", "+1h", "--by", "mallory", "--reason", "again");
    expectExit(r, 2);
    expect(r.stderr).toContain("approval CHG-1 already exists (created with sgwatch approve); nothing was stored");
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(reader.prepare("SELECT approved_by, selector FROM approval_records WHERE id = 'CHG-1'").get()).toEqual({ approved_by: "alice", selector: "group named app" });
  });

  it("refuses a window longer than approvals.maxWindow without --standing, naming the problem", async () => {
    const r = await cli("approve", "--id", "LONG-1", "--group", "app", "--add", "tcp/9100 from 10.99.0.0/16", "--until", "+4d", "--by", "alice", "--reason", "exporters");
    expectExit(r, 2);
    expect(r.stderr).toContain("the record is not valid");
    expect(r.stderr).toMatch(/window\.until: makes the window 4 days long, more than the maximum 3 days; .*standing/);
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(recordIds()).not.toContain("LONG-1");
  });

  it("accepts the long window with --standing, and status lists it under standing approvals", async () => {
    const r = await cli("approve", "--id", "STD-1", "--group", "app", "--add", "tcp/9100 from 10.99.0.0/16", "--until", "+30d", "--by", "security-team", "--reason", "node exporters", "--standing");
    expectExit(r, 0);
    expect(r.stdout).toMatch(/^approved STD-1: .* \(standing\)\n$/);

    const status = await cli("status");
    expectExit(status, 0);
    const section = status.stdout.slice(status.stdout.indexOf("standing approvals"));
    expect(section.split("\n")[0]).toBe("standing approvals (1):");
    expect(section).toMatch(/STD-1\s+\S+\s+group named app\s+add ingress tcp\/9100 from 10\.99\.0\.0\/16\s+security-team\s+node exporters/);
    expect(section).not.toContain("CHG-1");

    const json = await cli("status", "--json");
    expectExit(json, 0);
    const parsed = JSON.parse(json.stdout) as { standingApprovals: Array<Record<string, unknown>> };
    expect(parsed.standingApprovals).toEqual([expect.objectContaining({ id: "STD-1", approvedBy: "security-team", reason: "node exporters" })]);
  });

  it("approvals list shows every record with its state, source and changes covered", async () => {
    const r = await cli("approvals", "list", "--json");
    expectExit(r, 0);
    const rows = JSON.parse(r.stdout) as ApprovalViewRow[];
    const byId = new Map(rows.map((x) => [x.id, x]));
    expect([...byId.keys()].sort()).toEqual(["CHG-1", "CHG-2", "STD-1"]);
    expect(byId.get("CHG-1")).toMatchObject({ state: "active", origin: "cli", changes_covered: 1, approved_by: "alice", standing: 0 });
    expect(byId.get("CHG-2")).toMatchObject({ state: "active", changes_covered: 1 });
    expect(byId.get("STD-1")).toMatchObject({ state: "active", changes_covered: 0, standing: 1 });

    const text = await cli("approvals");
    expectExit(text, 0);
    expect(text.stdout.split("\n")[0]?.split(/\s{2,}/)).toEqual(["id", "state", "from", "until", "selector", "allows", "covered", "by", "source"]);
    expect(text.stdout).toMatch(/CHG-1\s+active\s+\S+\s+\S+\s+group named app\s+add ingress tcp\/443 from 10\.0\.0\.0\/8\s+1\s+alice\s+cli/);
    expect(text.stdout).toMatch(/STD-1 \(standing\)\s+active/);
  });

  it("approvals show lists the record and the changes it covered", async () => {
    const r = await cli("approvals", "show", "CHG-1");
    expectExit(r, 0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe("CHG-1: active");
    expect(r.stdout).toContain("  reason:      internal ALB");
    expect(r.stdout).toContain("  approved by: alice");
    expect(r.stdout).toContain("  allows:      add ingress tcp/443 from 10.0.0.0/8");
    expect(r.stdout).toContain("  defined in:  the database (sgwatch approve)");
    expect(r.stdout).toContain("  covered 1 change:");
    expect(r.stdout).toMatch(new RegExp(`\\n    #${chg1ChangeId} \\S+ ${harness.demo.groups.app} \\(app\\) rule-added ingress tcp 443 10\\.0\\.0\\.0/8\\n`));

    const json = await cli("approvals", "show", "CHG-1", "--json");
    expectExit(json, 0);
    expect((JSON.parse(json.stdout) as { covered: Array<{ id: number }> }).covered.map((c) => c.id)).toEqual([chg1ChangeId]);

    const missing = await cli("approvals", "show", "NOPE-1");
    expectExit(missing, 2);
    expect(missing.stderr).toContain("no approval record NOPE-1");
  });

  it("approvals revoke stops the record approving later changes; revoking twice exits 2", async () => {
    const r = await cli("approvals", "revoke", "CHG-1", "--by", "bob", "--reason", "ticket closed early");
    expectExit(r, 0);
    expect(r.stdout).toBe("revoked CHG-1\n");

    // Inside 10.0.0.0/8, within the window: CHG-1 would cover it, had it not been revoked.
    await openTcp(harness.demo.groups.app, 443, "10.1.0.0/16");
    expect(await poll()).toEqual([expect.objectContaining({ groupName: "app", text: "TCP 443 from 10.1.0.0/16", status: "unapproved", approvalId: null, approvalIds: [] })]);
    // The past is kept: the change it approved stays approved.
    expect(reader.prepare("SELECT status, approval_id FROM changes WHERE id = ?").get(chg1ChangeId)).toEqual({ status: "approved", approval_id: "CHG-1" });
    expect(reader.prepare("SELECT state, revoked_by, revoke_reason, changes_covered FROM approvals WHERE id = 'CHG-1'").get()).toEqual({
      state: "revoked",
      revoked_by: "bob",
      revoke_reason: "ticket closed early",
      changes_covered: 1,
    });
    const show = await cli("approvals", "show", "CHG-1");
    expect(show.stdout).toMatch(/^CHG-1: revoked\n/);
    expect(show.stdout).toMatch(/  revoked:     \S+ by bob: ticket closed early/);

    const again = await cli("approvals", "revoke", "CHG-1", "--by", "carol", "--reason", "again");
    expectExit(again, 2);
    expect(again.stderr).toMatch(/CHG-1 was already revoked at \S+ by bob/);
    expect(reader.prepare("SELECT revoked_by FROM approval_records WHERE id = 'CHG-1'").get()).toEqual({ revoked_by: "bob" });

    const unknown = await cli("approvals", "revoke", "NOPE-1", "--by", "carol", "--reason", "x");
    expectExit(unknown, 2);
    expect(unknown.stderr).toContain("no approval record NOPE-1");
  });

  it("rejects malformed --add specs with exit 2, naming the flag, and stores nothing", async () => {
    const base = ["approve", "--group", "app", "--until", "+1h", "--by", "alice", "--reason", "x"];
    const badPort = await cli(...base, "--id", "BAD-1", "--add", "tcp/99999 from 10.0.0.0/8");
    expectExit(badPort, 2);
    expect(badPort.stderr).toContain('--add "tcp/99999 from 10.0.0.0/8": ports: "99999" is out of range 0-65535');
    expect(badPort.stderr).not.toMatch(STACK_LINE);

    const badWord = await cli(...base, "--id", "BAD-2", "--add", "tcp/443 sideways 10.0.0.0/8");
    expectExit(badWord, 2);
    expect(badWord.stderr).toContain('--add "tcp/443 sideways 10.0.0.0/8": "sideways" should be "from" (ingress) or "to" (egress)');
    expect(badWord.stderr).not.toMatch(STACK_LINE);

    expect(recordIds()).toEqual(["CHG-1", "CHG-2", "STD-1"]);
  });

  it("stores but warns about a window already over and a group no target has seen", async () => {
    const base = ["--add", "tcp/443 from 10.0.0.0/8", "--by", "alice", "--reason", "x"];
    const past = await cli("approve", "--id", "PAST-1", "--group", "web", "--from", "2026-01-01T00:00Z", "--until", "2026-01-01T01:00Z", ...base);
    expectExit(past, 0);
    expect(past.stderr).toContain("warning: PAST-1: the window ended at 2026-01-01T01:00:00Z, before now");
    expect(past.stderr).not.toContain("no target has seen");

    const typo = await cli("approve", "--id", "TYPO-1", "--group", "wbe", "--until", "+1h", ...base);
    expectExit(typo, 0);
    expect(typo.stderr).toContain("warning: TYPO-1: selects group named wbe, which no target has seen");
    expect(typo.stderr).not.toContain("window ended");

    const fine = await cli("approve", "--id", "FINE-1", "--group", "web", "--until", "+1h", ...base);
    expectExit(fine, 0);
    expect(fine.stderr).not.toContain("warning");
    expect(recordIds()).toEqual(expect.arrayContaining(["PAST-1", "TYPO-1", "FINE-1"]));
  });
  it("approve --made-by stores who will make the change (by:), shown by approvals show; a bad pattern exits 2 naming it", async () => {
    const r = await cli("approve", "--id", "CHG-BY", "--group", "db", "--add", "tcp/5432 from 10.0.0.0/8", "--until", "+1h", "--by", "alice", "--reason", "replica",
      "--made-by", "arn:aws:iam::*:role/deploy-*", "--made-by", "arn:aws:iam::123456789012:user/alice");
    expectExit(r, 0);
    const stored = JSON.parse((reader.prepare("SELECT record FROM approval_records WHERE id = 'CHG-BY'").get() as { record: string }).record) as { by: string[] };
    expect(stored.by).toEqual(["arn:aws:iam::*:role/deploy-*", "arn:aws:iam::123456789012:user/alice"]);
    const show = await cli("approvals", "show", "CHG-BY");
    expect(show.stdout).toContain("  made by:     arn:aws:iam::*:role/deploy-*, arn:aws:iam::123456789012:user/alice\n");
    expect(JSON.parse((await cli("approvals", "show", "CHG-BY", "--json")).stdout)).toMatchObject({ made_by: stored.by });

    const bad = await cli("approve", "--id", "CHG-BY2", "--group", "db", "--add", "tcp/5432 from 10.0.0.0/8", "--until", "+1h", "--by", "alice", "--reason", "x", "--made-by", "deploy-*");
    expectExit(bad, 2);
    expect(bad.stderr).toContain('by[0]: "deploy-*" is neither an ARN pattern');
    expect(recordIds()).not.toContain("CHG-BY2");
  });
});
