// Proves that no untrusted byte reaches a terminal raw (issue 10, section 3).
// The built CLI runs as a child process against the simulator over HTTP and a
// real SQLite file. Hostile text comes from every door:
// - the API: a group whose name, description, rule description and tags hold
//   ESC colour and title sequences, BEL, CR/LF, a C1 CSI (U+009B), the bidi
//   override U+202E and isolate U+2066, and HTML;
// - approval files: a record whose id, reason and approvedBy hold them, and a
//   file of junk whose keys hold raw control bytes (1750 problems);
// - the database: an approval record, a revocation and an acknowledgement
//   written by an older version that accepted such text;
// - the command line: --by, --reason, --id, a group reference, a flag value
//   and an unknown option.
// Every command's stdout and stderr (tables, lines, problem messages, errors,
// the log lines of poll) is checked: no C0 control but line feed, no DEL, no
// C1 control and no bidi control, while the hostile text is visibly there
// (`\x1b`, `\u202e`). JSON output parses back to the exact bytes. Approval
// fields with control characters are refused with a problem naming the
// field; check-config caps a file's problems with "and N more".
import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { startSimHarness, type SimHarness } from "../support/sim-harness.js";
import { writeTestConfig, TEST_ACCOUNT, type TestConfigFiles } from "../support/config-file.js";
import { assertBuilt, runCli, type CliResult } from "../support/cli.js";
import { openDatabase } from "../../src/store/open.js";
import { insertCliApproval, revokeApproval } from "../../src/store/approvals-repo.js";
import { acknowledge } from "../../src/store/acks-repo.js";
import type { ApprovalRecord } from "../../src/approvals/schema.js";

// Each CLI run starts Node (about a second idle); the first test runs twelve, on a machine running the whole suite.
const SLOW = 240_000;

const ESC = "\u001b";
const BEL = "\u0007";
/** Everything a terminal must not receive raw: C0 but LF, DEL, C1, line/paragraph separators, bidi controls. */
// eslint-disable-next-line no-control-regex
const RAW_UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const hostile = (word: string): string => `${ESC}[31m${word}${ESC}[0m${ESC}]0;pwned${BEL}<script>x</script>\r\nFORGED\u009b2J\u202eexe.txt\u2066`;
const GROUP_NAME = hostile("app");
const GROUP_DESCRIPTION = hostile("description");
const RULE_DESCRIPTION = hostile("rule");
const TAG_KEY = hostile("key");
const TAG_VALUE = hostile("value");
const GROUP_ID = "sg-0badbadbadbad0001";
const OLD_APPROVAL_ID = `CHG-${ESC}[31m7${BEL}\u202e`;

function explain(r: CliResult): string {
  return `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

/** The raw unsafe characters in a run's output, spelled so a failure message is readable. */
function rawUnsafe(r: CliResult): string[] {
  return [...`${r.stdout}${r.stderr}`.matchAll(RAW_UNSAFE)].map((m) => `U+${(m[0].codePointAt(0) ?? 0).toString(16).padStart(4, "0")}`);
}

describe("hostile text through every command", { timeout: SLOW }, () => {
  let tmp: TempDir;
  let h: SimHarness;
  let files: TestConfigFiles;
  const runs: Array<{ args: string[]; result: CliResult }> = [];
  let beforeDrift = "";
  let changeId = 0;

  async function cli(...args: string[]): Promise<CliResult> {
    const result = await runCli(["--config", files.configPath, ...args]);
    runs.push({ args, result });
    return result;
  }

  beforeAll(async () => {
    assertBuilt();
    tmp = makeTempDir();
    h = await startSimHarness();
    files = writeTestConfig({ dir: tmp.path, endpoint: h.endpoint });
    expect((await cli("poll")).code).toBe(0); // baseline
    beforeDrift = new Date().toISOString();

    const region = h.sim.state.account(TEST_ACCOUNT).region("us-east-1");
    region.adoptGroup({
      groupId: GROUP_ID,
      groupName: GROUP_NAME,
      description: GROUP_DESCRIPTION,
      vpcId: h.demo.vpcId,
      ownerId: TEST_ACCOUNT,
      tags: [{ key: TAG_KEY, value: TAG_VALUE }],
      rules: [
        { ruleId: "sgr-0badbadbadbad0001", isEgress: false, protocol: "tcp", fromPort: 22, toPort: 22, peer: { kind: "ipv4", cidr: "0.0.0.0/0" }, description: RULE_DESCRIPTION, tags: [] },
      ],
    });
    region.getGroup(h.demo.groups.web).tags.push({ key: TAG_KEY, value: TAG_VALUE });

    // An approval file whose fields hold control characters, and one of binary junk.
    writeFileSync(
      `${files.approvalsDir}/hostile.yaml`,
      [
        `id: "CHG-\\e[31m1\\a"`,
        `reason: "ok\\r\\nFORGED \\u202e"`,
        `approvedBy: "alice\\e]0;pwned\\a"`,
        `window: { from: "2026-01-01T00:00Z", until: "2026-01-02T00:00Z" }`,
        `groupId: ${GROUP_ID}`,
        `changes: [{ action: add, protocol: tcp, ports: 22, source: 0.0.0.0/0 }]`,
      ].join("\n"),
    );
    // 250 documents whose keys hold raw control and bidi bytes: 1750 problems, each quoting its key.
    writeFileSync(`${files.approvalsDir}/binary.yaml`, Array.from({ length: 250 }, (_, i) => `---\nk${i}${ESC}[31m${BEL}\u202e\u009b: 1\n`).join(""));

    const polled = await cli("poll", "--json");
    const changes = JSON.parse(polled.stdout) as Array<{ id: number; groupId: string; kind: string }>;
    changeId = changes.find((c) => c.groupId === GROUP_ID && c.kind === "rule-added")?.id ?? 0;
    expect(changeId, explain(polled)).toBeGreaterThan(0);

    // What an older version let into the database: it is kept, and shown safely.
    const { db } = openDatabase(files.databasePath);
    try {
      const old: ApprovalRecord = {
        id: OLD_APPROVAL_ID,
        reason: hostile("reason"),
        approvedBy: hostile("bob"),
        window: { from: "2026-01-01T00:00:00Z", until: "2099-01-01T00:00:00Z" },
        target: { account: null, region: null },
        selector: { kind: "groupName", groupName: GROUP_NAME },
        standing: true,
        changes: [{ action: "modify-tags" }],
        origin: { kind: "cli" },
      };
      insertCliApproval(db, old, new Date().toISOString());
      revokeApproval(db, OLD_APPROVAL_ID, hostile("carol"), hostile("because"), new Date().toISOString());
      const description = changes.find((c) => c.groupId === h.demo.groups.web)?.id;
      expect(description).toBeGreaterThan(0);
      expect(acknowledge(db, { changeId: description ?? 0, by: hostile("dave"), reason: hostile("fine"), ticket: hostile("T-1"), at: new Date().toISOString() })).toBeNull();
    } finally {
      db.close();
    }
  }, SLOW);

  afterAll(async () => {
    await h?.close();
    tmp?.remove();
  });

  it("shows API text visibly escaped in every read command, never raw", async () => {
    for (const args of [
      ["changes"],
      ["changes", "--group", GROUP_NAME],
      ["history", GROUP_ID],
      ["history", h.demo.groups.web],
      ["rules"],
      ["diff", "--from", beforeDrift],
      ["status"],
      ["status", "--health"],
      ["alerts"],
      ["approvals", "list"],
      ["approvals", "show", OLD_APPROVAL_ID],
      ["report"],
      ["report", "--format", "md"],
      ["report", "--format", "html"],
      ["poll"],
    ]) {
      const r = await cli(...args);
      expect(rawUnsafe(r), `${args.join(" ")}\n${explain(r)}`).toEqual([]);
    }
    const changes = runs.find((x) => x.args.join(" ") === "changes")?.result.stdout ?? "";
    expect(changes).toContain("\\x1b[31mapp\\x1b[0m\\x1b]0;pwned\\x07<script>x</script>\\r\\nFORGED\\u009b2J\\u202eexe.txt\\u2066");
    const show = runs.find((x) => x.args[0] === "approvals" && x.args[1] === "show")?.result.stdout ?? "";
    expect(show).toContain("CHG-\\x1b[31m7\\x07\\u202e");
    // The report names the hostile group (its open change) escaped; HTML has no raw tag from it.
    const report = runs.find((x) => x.args.join(" ") === "report")?.result.stdout ?? "";
    expect(report).toContain("\\x1b[31mapp\\x1b[0m");
    const html = runs.find((x) => x.args.join(" ") === "report --format html")?.result.stdout ?? "";
    expect(html).not.toContain("<script>");
  });

  it("keeps the exact bytes in JSON output", async () => {
    const changes = await cli("changes", "--json");
    expect(rawUnsafe(changes)).toEqual([]);
    const rows = JSON.parse(changes.stdout) as Array<{ group_id: string; group_name: string; kind: string }>;
    expect(rows.find((r) => r.group_id === GROUP_ID)?.group_name).toBe(GROUP_NAME);

    const rules = await cli("rules", "--json");
    expect(rawUnsafe(rules)).toEqual([]);
    const parsed = JSON.parse(rules.stdout) as { rules: Array<{ groupId: string; groupName: string; description: string | null }> };
    expect(parsed.rules.find((r) => r.groupId === GROUP_ID)).toMatchObject({ groupName: GROUP_NAME, description: RULE_DESCRIPTION });

    const show = await cli("approvals", "show", OLD_APPROVAL_ID, "--json");
    expect(rawUnsafe(show)).toEqual([]);
    expect(JSON.parse(show.stdout)).toMatchObject({ id: OLD_APPROVAL_ID, reason: hostile("reason") });

    for (const args of [["history", GROUP_ID, "--json"], ["status", "--json"], ["alerts", "--json"], ["approvals", "list", "--json"], ["report", "--json"]]) {
      const r = await cli(...args);
      expect(rawUnsafe(r), `${args.join(" ")}\n${explain(r)}`).toEqual([]);
      expect(() => JSON.parse(r.stdout) as unknown).not.toThrow();
    }
  });

  it("refuses control characters in --by, --reason and --id, naming the flag, and stores nothing", async () => {
    const ack = await cli("ack", String(changeId), "--by", `mallory${ESC}[2J`, "--reason", "fine");
    expect(ack.code, explain(ack)).toBe(2);
    expect(ack.stderr).toContain("--by");
    expect(ack.stderr).toContain("\\x1b");
    const revoke = await cli("approvals", "revoke", OLD_APPROVAL_ID, "--by", "carol", "--reason", `x${BEL}`);
    expect(revoke.code, explain(revoke)).toBe(2);
    expect(revoke.stderr).toContain("--reason");
    const approve = await cli("approve", "--id", `CHG-${ESC}9`, "--group", GROUP_ID, "--add", "tcp/22 from 10.0.0.0/8", "--until", "+1h", "--by", "alice", "--reason", "r");
    expect(approve.code, explain(approve)).toBe(2);
    expect(approve.stderr).toMatch(/id: .*control character/);
    for (const r of [ack, revoke, approve]) expect(rawUnsafe(r), explain(r)).toEqual([]);
    const history = await cli("history", GROUP_ID, "--json");
    const timeline = JSON.parse(history.stdout) as { changes: Array<{ id: number; status: string }> };
    expect(timeline.changes.find((c) => c.id === changeId)?.status).toBe("unapproved");
  });

  it("refuses approval-file fields with control characters, naming each field", async () => {
    const r = await cli("approve", "--file", `${files.approvalsDir}/hostile.yaml`);
    expect(r.code, explain(r)).toBe(2);
    expect(rawUnsafe(r), explain(r)).toEqual([]);
    for (const field of ["id", "reason", "approvedBy"]) expect(r.stderr).toMatch(new RegExp(`hostile\\.yaml:\\d+: ${field}: .*control character`));
  });

  it("check-config shows each bad file's problems visibly escaped and capped with 'and N more'", async () => {
    const r = await cli("check-config");
    expect(r.code, explain(r)).toBe(2);
    expect(rawUnsafe(r), explain(r)).toEqual([]);
    const binary = r.stdout.split("\n").filter((l) => l.includes("binary.yaml"));
    expect(binary.length, r.stdout).toBeLessThanOrEqual(21);
    expect(binary.at(-1)).toMatch(/binary\.yaml: and \d+ more problems/);
    expect(r.stdout).toMatch(/hostile\.yaml:\d+: id: .*control character/);
  });

  it("makes hostile command-line values visible in error messages", async () => {
    for (const args of [
      ["history", `web${ESC}]0;pwned${BEL}`],
      ["changes", "--status", `x${ESC}[2J\u202e`],
      ["approvals", "show", `CHG${ESC}[1m`],
      ["changes", `--bad${ESC}[31m`],
    ]) {
      const r = await cli(...args);
      expect(r.code, explain(r)).toBe(2);
      expect(rawUnsafe(r), `${args.join(" ")}\n${explain(r)}`).toEqual([]);
      expect(r.stderr).toContain("\\x1b");
    }
  });

  it("every run so far printed nothing raw", () => {
    for (const { args, result } of runs) expect(rawUnsafe(result), `${args.join(" ")}\n${explain(result)}`).toEqual([]);
  });
});
