// Proves that a valid config reloaded on SIGHUP takes effect in the running
// daemon (`sgwatch run` as a child process, every-second schedule, log.level
// info), without a restart:
// - before: TCP 8081 opened to the world is `high` (8081 is not a sensitive
//   port), and TCP 9443 from 10.0.0.0/8 on `db` (no record) is unapproved;
// - the config is rewritten with severity.sensitivePorts [8081] and an
//   approvals dir holding a record for TCP 9444 from 10.0.0.0/8 on `db`;
//   SIGHUP logs `config-reloaded` with nothing needing a restart;
// - after: the same kind of change (8081 open to the world, another group)
//   is `critical`, and the 9444 change is recorded as approved by that record.
// Each "after" outcome differs from what the old config gives, so a reload
// that did not take effect fails here.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, writeFileSync } from "node:fs";
import BetterSqlite3 from "better-sqlite3";
import { stringify } from "yaml";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { startSimHarness, type SimHarness } from "../support/sim-harness.js";
import { writeTestConfig, TEST_ACCOUNT, type TestConfigFiles } from "../support/config-file.js";
import { writeApproval } from "../support/approval-file.js";
import { startCli, type CliProcess } from "../support/cli.js";

const EVERY_SECOND = "* * * * * *";

interface ChangeRow {
  group_id: string;
  ports: string;
  severity: string;
  status: string;
  approval_id: string | null;
}

const isEvent = (event: string, extra: (l: Record<string, unknown>) => boolean = () => true) => (l: Record<string, unknown>) => l.event === event && extra(l);
/** An instant as approval records write it (no milliseconds). */
const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");

describe("sgwatch run: a valid config on SIGHUP takes effect", { timeout: 90_000 }, () => {
  let tmp: TempDir;
  let harness: SimHarness;
  let files: TestConfigFiles;
  let proc: CliProcess;

  beforeAll(async () => {
    tmp = makeTempDir();
    harness = await startSimHarness();
    files = writeTestConfig({ dir: tmp.path, endpoint: harness.endpoint, extra: { schedule: EVERY_SECOND, log: { level: "info" } } });
    proc = startCli(["--config", files.configPath, "run"], { timeoutMs: 120_000 });
    await proc.waitForJson(isEvent("poll-ok", (l) => l.baseline === true));
  });

  afterAll(async () => {
    if (proc && proc.child.exitCode === null && proc.child.signalCode === null) {
      proc.child.kill("SIGKILL");
      await proc.exited.catch(() => undefined);
    }
    await harness?.close();
    tmp?.remove();
  });

  const region = () => harness.sim.state.account(TEST_ACCOUNT).region("us-east-1");
  const open = (groupId: string, port: number, cidrIp: string): void => {
    region().authorizeIngress(groupId, [{ ipProtocol: "tcp", fromPort: port, toPort: port, ipRanges: [{ cidrIp }] }]);
  };
  const changes = (): ChangeRow[] => {
    const db = new BetterSqlite3(files.databasePath, { readonly: true });
    try {
      return db.prepare("SELECT group_id, ports, severity, status, approval_id FROM changes ORDER BY id").all() as ChangeRow[];
    } finally {
      db.close();
    }
  };
  /** Wait for a poll that recorded changes, then return the rows for `port`. */
  const changesFor = async (port: number): Promise<ChangeRow[]> => {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const rows = changes().filter((c) => c.ports === String(port));
      if (rows.length > 0) return rows;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no change on port ${port} recorded within 20 s\n${proc.lines.slice(-20).join("\n")}`);
  };

  it("judges by the loaded config before the reload", async () => {
    const g = harness.demo.groups;
    open(g.web, 8081, "0.0.0.0/0");
    open(g.db, 9443, "10.0.0.0/8");
    const drift = await proc.waitForJson(isEvent("drift", (l) => l.fromPort === 8081));
    expect(drift).toMatchObject({ severity: "high", groupId: g.web });
    expect(await changesFor(9443)).toEqual([expect.objectContaining({ group_id: g.db, status: "unapproved", approval_id: null })]);
  });

  it("logs config-reloaded on SIGHUP with a valid new config", async () => {
    const approvals = tmp.join("approvals-reloaded");
    mkdirSync(approvals);
    const now = Date.now();
    writeApproval(approvals, {
      id: "CHG-3001",
      groupName: "db",
      from: isoSeconds(now - 3_600_000),
      until: isoSeconds(now + 3_600_000),
      changes: [{ action: "add", direction: "ingress", protocol: "tcp", ports: 9444, source: "10.0.0.0/8" }],
    });
    writeFileSync(files.configPath, stringify({ ...files.raw, approvals: { dir: approvals }, severity: { sensitivePorts: [8081] } }));
    const from = proc.json().length;
    proc.child.kill("SIGHUP");
    const reloaded = await proc.waitForJson(isEvent("config-reloaded"), 20_000, from);
    expect(reloaded).toMatchObject({ level: "info", needsRestart: [] });
    expect(proc.json().slice(from).filter(isEvent("config-reload-failed"))).toEqual([]);
  });

  it("judges new changes by the reloaded config: new severity, new approvals", async () => {
    const g = harness.demo.groups;
    const from = proc.json().length;
    open(g.app, 8081, "0.0.0.0/0");
    open(g.db, 9444, "10.0.0.0/8");
    const drift = await proc.waitForJson(isEvent("drift", (l) => l.fromPort === 8081), 20_000, from);
    expect(drift).toMatchObject({ severity: "critical", groupId: g.app });
    expect(await changesFor(9444)).toEqual([expect.objectContaining({ group_id: g.db, status: "approved", approval_id: "CHG-3001" })]);
    // The change judged before the reload keeps what it was judged then.
    expect(changes().find((c) => c.ports === "8081" && c.group_id === g.web)).toMatchObject({ severity: "high" });
    expect(proc.child.exitCode).toBeNull();
  });
});
