// The role paths end to end: the CLI (`sgwatch poll`, a child process) with
// its credentials from the SDK's default chain (environment), assuming a role
// in each account through STS, then polling with the temporary credentials —
// all against the simulator over HTTP, the real SDK in between. Proves:
// - accounts + roleName + externalId: two accounts are each polled through
//   their own role (AssumeRole signed by the monitor's key, every
//   DescribeSecurityGroups signed by a temporary key acting in that account),
//   and each target holds only its own account's groups;
// - a wrong ExternalId fails each poll with AccessDenied naming the role, and
//   records nothing else: no change event, no group closed as deleted;
// - a role that does not exist in one of the accounts fails that account only
//   (AccessDenied naming the role), the other is still polled;
// - the wrong-account guard: credentials that reach another account (here the
//   monitor's own key, without the role) fail the poll with WrongAccount
//   instead of reading the real account's groups as deleted;
// - in process (App, as the demo and tests run it), explicit credentials are
//   the identity that assumes the role, as the default chain is for the CLI.
import BetterSqlite3 from "better-sqlite3";
import { writeFileSync } from "node:fs";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../src/sim/server.js";
import { seedDemoAccount } from "../../src/sim/seed-demo.js";
import { App } from "../../src/daemon/app.js";
import { parseConfigText } from "../../src/config/load.js";
import { runCli } from "../support/cli.js";
import { captureLog } from "../support/log-capture.js";
import { testConfigObject } from "../support/config-file.js";
import { MONITOR } from "../support/sim-harness.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";

/** The account sgwatch's own key belongs to. */
const HOME = "999999999999";
const PROD = "111111111111";
const STAGING = "222222222222";
/** An account without the sgwatch role. */
const SANDBOX = "333333333333";
const ROLE = "sgwatch-readonly";
const EXTERNAL_ID = "sgwatch-7f3a";
const roleArn = (account: string): string => `arn:aws:iam::${account}:role/${ROLE}`;

let sim: Simulator;
let tmp: TempDir;

beforeAll(async () => {
  sim = await startSimulator();
  sim.mapAccessKey(MONITOR.accessKeyId, HOME);
  for (const account of [PROD, STAGING, SANDBOX, HOME]) seedDemoAccount(sim.state, { account });
  sim.defineRole({ arn: roleArn(PROD), trustedKeys: [MONITOR.accessKeyId], externalId: EXTERNAL_ID });
  sim.defineRole({ arn: roleArn(STAGING), trustedKeys: [MONITOR.accessKeyId], externalId: EXTERNAL_ID });
  tmp = makeTempDir();
});

afterAll(async () => {
  expect(sim?.unexpectedErrors).toEqual([]);
  await sim?.close();
  tmp?.remove();
});

/** Writes the config with this one target (in `dir`, default the shared one) and runs `sgwatch poll`. */
async function poll(target: Record<string, unknown>, opts: { dir?: TempDir; aws?: Record<string, unknown> } = {}) {
  const dir = opts.dir ?? tmp;
  const raw = testConfigObject({ dir: dir.path, endpoint: sim.endpoint });
  raw.targets = [{ regions: ["us-east-1"], endpoint: sim.endpoint, ...target }];
  raw.aws = { ...(raw.aws as Record<string, unknown>), ...opts.aws };
  const configPath = dir.join("config.yaml");
  writeFileSync(configPath, stringify(raw));
  sim.requests.length = 0;
  const r = await runCli(["--config", configPath, "poll"]);
  return { ...r, databasePath: raw.database as string };
}

interface Stored {
  polls: Array<{ account: string; status: string; error_code: string | null; error: string | null }>;
  changes: number;
  /** Open group versions: account → owner ids of its groups. */
  groups: Record<string, string[]>;
  /** Every group version row, for byte-for-byte comparison. */
  versions: string;
}

function stored(databasePath: string): Stored {
  const db = new BetterSqlite3(databasePath, { readonly: true });
  try {
    const polls = db
      .prepare("SELECT t.account, p.status, p.error_code, p.error FROM polls p JOIN targets t ON t.id = p.target_id ORDER BY p.id")
      .all() as Stored["polls"];
    const changes = (db.prepare("SELECT count(*) AS n FROM change_events").get() as { n: number }).n;
    const groups: Record<string, string[]> = {};
    for (const row of db.prepare("SELECT t.account, g.owner_id FROM group_versions g JOIN targets t ON t.id = g.target_id WHERE g.removed_poll_id IS NULL ORDER BY g.id").all() as Array<{ account: string; owner_id: string }>) {
      (groups[row.account] ??= []).push(row.owner_id);
    }
    const versions = JSON.stringify(db.prepare("SELECT * FROM group_versions ORDER BY id").all());
    return { polls, changes, groups, versions };
  } finally {
    db.close();
  }
}

describe("polling accounts through roles", { timeout: 120_000 }, () => {
  let baseline: Stored;

  it("accounts + roleName + externalId: each account is polled through its own role", async () => {
    const r = await poll({ label: "fleet", accounts: [PROD, STAGING], roleName: ROLE, externalId: EXTERNAL_ID });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`${PROD}\\s+us-east-1\\s+baseline`));
    expect(r.stdout).toMatch(new RegExp(`${STAGING}\\s+us-east-1\\s+baseline`));

    const assumed = sim.requests.filter((q) => q.action === "AssumeRole");
    expect(assumed.map((q) => [q.accessKeyId, q.account, q.status])).toEqual([
      [MONITOR.accessKeyId, HOME, 200],
      [MONITOR.accessKeyId, HOME, 200],
    ]);
    const described = sim.requests.filter((q) => q.action === "DescribeSecurityGroups");
    expect(new Set(described.map((q) => q.account))).toEqual(new Set([PROD, STAGING]));
    for (const q of described) {
      expect(q.accessKeyId).toMatch(/^ASIA/);
      expect(q.status).toBe(200);
    }
    // The monitor's own key never reads security groups: only the roles do.
    expect(sim.requests.filter((q) => q.accessKeyId === MONITOR.accessKeyId).map((q) => q.action)).toEqual(["AssumeRole", "AssumeRole"]);

    baseline = stored(r.databasePath);
    expect(baseline.polls).toEqual([
      expect.objectContaining({ status: "ok", error_code: null }),
      expect.objectContaining({ status: "ok", error_code: null }),
    ]);
    expect(baseline.groups[PROD]).toEqual(Array(5).fill(PROD));
    expect(baseline.groups[STAGING]).toEqual(Array(5).fill(STAGING));
  });

  it("a wrong ExternalId fails each poll with AccessDenied naming the role, and changes nothing", async () => {
    const r = await poll({ label: "fleet", accounts: [PROD, STAGING], roleName: ROLE, externalId: "not-the-agreed-id" });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    for (const account of [PROD, STAGING]) expect(r.stdout).toMatch(new RegExp(`${account}\\s+us-east-1\\s+FAILED.*AccessDenied`));
    expect(sim.requests.map((q) => q.action).filter((a) => a !== "AssumeRole")).toEqual([]);

    const after = stored(r.databasePath);
    expect(after.polls.slice(2)).toEqual([PROD, STAGING].map((account) => ({
      account,
      status: "failed",
      error_code: "AccessDenied",
      error: expect.stringMatching(new RegExp(`^access denied assuming ${roleArn(account)}: check sts:AssumeRole on the role, its trust policy and the externalId \\(AccessDenied\\): .*sts:AssumeRole on resource: ${roleArn(account)}$`)) as unknown as string,
    })));
    expect(after.changes).toBe(0);
    expect(after.versions).toBe(baseline.versions);
  });

  it("a role missing in one account fails that account only", async () => {
    const r = await poll({ label: "fleet", accounts: [PROD, SANDBOX], roleName: ROLE, externalId: EXTERNAL_ID });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`${PROD}\\s+us-east-1\\s+ok`));
    expect(r.stdout).toMatch(new RegExp(`${SANDBOX}\\s+us-east-1\\s+FAILED.*AccessDenied.*${roleArn(SANDBOX).replace(/[/]/g, "\\/")}`));
    const after = stored(r.databasePath);
    expect(after.polls.filter((p) => p.account === SANDBOX)).toEqual([expect.objectContaining({ status: "failed", error_code: "AccessDenied" })]);
    expect(after.groups[SANDBOX]).toBeUndefined();
    expect(after.changes).toBe(0);
  });

  it("credentials that reach another account fail the poll with WrongAccount, nothing read as deleted", async () => {
    // No role: the default chain's key acts in its own account, HOME, whose groups are not PROD's.
    const r = await poll({ label: "fleet", account: PROD });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`${PROD}\\s+us-east-1\\s+FAILED.*WrongAccount: the credentials reach account ${HOME} \\(group sg-[0-9a-f]+\\), but this target is account ${PROD}`));
    // Groups and network interfaces (blast radius) are read together; their order is the network's.
    expect(sim.requests.map((q) => [q.action, q.accessKeyId, q.account, q.status]).sort()).toEqual([
      ["DescribeNetworkInterfaces", MONITOR.accessKeyId, HOME, 200],
      ["DescribeSecurityGroups", MONITOR.accessKeyId, HOME, 200],
    ]);

    const after = stored(r.databasePath);
    expect(after.polls.at(-1)).toMatchObject({ account: PROD, status: "failed", error_code: "WrongAccount" });
    expect(after.changes).toBe(0);
    expect(after.groups[PROD]).toEqual(Array(5).fill(PROD));
    expect(after.groups[HOME]).toBeUndefined();
  });
});

describe("roles with fetch workers (aws.fetchThreads)", { timeout: 120_000 }, () => {
  it("each worker assumes the target's role with the default chain's identity", async () => {
    const dir = makeTempDir();
    try {
      const r = await poll({ accounts: [PROD, STAGING], roleName: ROLE, externalId: EXTERNAL_ID }, { dir, aws: { fetchThreads: 1 } });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(sim.requests.filter((q) => q.action === "AssumeRole").map((q) => [q.accessKeyId, q.status])).toEqual([
        [MONITOR.accessKeyId, 200],
        [MONITOR.accessKeyId, 200],
      ]);
      const described = sim.requests.filter((q) => q.action === "DescribeSecurityGroups");
      expect(new Set(described.map((q) => `${q.account} ${q.accessKeyId.slice(0, 4)} ${q.status}`))).toEqual(new Set([`${PROD} ASIA 200`, `${STAGING} ASIA 200`]));
      const after = stored(r.databasePath);
      expect(after.groups[PROD]).toEqual(Array(5).fill(PROD));
      expect(after.groups[STAGING]).toEqual(Array(5).fill(STAGING));

      const wrong = await poll({ accounts: [PROD], roleName: ROLE, externalId: "not-the-agreed-id" }, { dir, aws: { fetchThreads: 1 } });
      expect(wrong.code, wrong.stdout + wrong.stderr).toBe(1);
      expect(wrong.stdout).toMatch(new RegExp(`${PROD}\\s+us-east-1\\s+FAILED.*AccessDenied`));
      expect(stored(wrong.databasePath).versions).toBe(after.versions);
    } finally {
      dir.remove();
    }
  });
});

describe("explicit credentials with a role", () => {
  it("assume the role rather than replace it", async () => {
    const dir = makeTempDir();
    const raw = testConfigObject({ dir: dir.path, endpoint: sim.endpoint });
    raw.targets = [{ accounts: [STAGING], roleName: ROLE, externalId: EXTERNAL_ID, regions: ["us-east-1"], endpoint: sim.endpoint }];
    const app = new App({ config: parseConfigText(stringify(raw), dir.join("config.yaml"), {}), logger: captureLog("warn").logger, env: {}, credentials: MONITOR });
    try {
      sim.requests.length = 0;
      const r = await app.cycle();
      expect(r.targets.map((t) => [t.account, t.ok, t.error?.code ?? null])).toEqual([[STAGING, true, null]]);
      const calls = sim.requests.map((q) => [q.action, q.account]);
      expect(calls[0]).toEqual(["AssumeRole", HOME]);
      // Groups and network interfaces (blast radius) are read together, both with the role's session; their order is the network's.
      expect(calls.slice(1).sort()).toEqual([
        ["DescribeNetworkInterfaces", STAGING],
        ["DescribeSecurityGroups", STAGING],
      ]);
    } finally {
      await app.close();
      dir.remove();
    }
  });
});
