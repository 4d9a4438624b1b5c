// Proves the daemon's life cycle as an operator sees it: `sgwatch run` as a
// child process against the simulator, on an every-second schedule.
// - it polls on schedule and alerts on drift;
// - a second connection holding a read transaction (a person in the sqlite3
//   shell) does not block it: polls keep being recorded;
// - SIGHUP with an invalid config logs the problem and keeps running;
// - SIGTERM exits 0 within 10 s, finishing the running cycle, and leaves a
//   database that passes PRAGMA integrity_check; a cycle that never finishes
//   is ended by the daemon's own shutdown bound. The 10 s are proved by the
//   order of events (test/support/shutdown.ts), not with a stopwatch;
// - a tick that comes while a (slow) cycle runs is skipped: cycles never overlap.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import BetterSqlite3 from "better-sqlite3";
import { AuthorizeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { startSimHarness, INTRUDER, type SimHarness } from "../support/sim-harness.js";
import { writeTestConfig, type TestConfigFiles } from "../support/config-file.js";
import { startCli, type CliProcess } from "../support/cli.js";
import { expectStoppedBeforeDeadline } from "../support/shutdown.js";

const EVERY_SECOND = "* * * * * *";

function count(file: string, sql: string): number {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return (db.prepare(sql).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

function integrity(file: string): unknown {
  const db = new BetterSqlite3(file);
  try {
    return db.pragma("integrity_check", { simple: true });
  } finally {
    db.close();
  }
}

const isEvent = (event: string, extra: (l: Record<string, unknown>) => boolean = () => true) => (l: Record<string, unknown>) => l.event === event && extra(l);

async function stop(proc: CliProcess | undefined): Promise<void> {
  if (proc && proc.child.exitCode === null && proc.child.signalCode === null) {
    proc.child.kill("SIGKILL");
    await proc.exited.catch(() => undefined);
  }
}

describe("sgwatch run: schedule, readers, SIGHUP, SIGTERM", { timeout: 90_000 }, () => {
  let tmp: TempDir;
  let harness: SimHarness;
  let files: TestConfigFiles;
  let proc: CliProcess;

  beforeAll(async () => {
    tmp = makeTempDir();
    harness = await startSimHarness();
    files = writeTestConfig({ dir: tmp.path, endpoint: harness.endpoint, extra: { schedule: EVERY_SECOND } });
    proc = startCli(["--config", files.configPath, "run"], { timeoutMs: 120_000 });
  });

  afterAll(async () => {
    await stop(proc);
    await harness?.close();
    tmp?.remove();
  });

  it("polls on schedule and alerts on drift", async () => {
    await proc.waitForJson(isEvent("cycle", (l) => Number(l.cycle) >= 2));
    expect(count(files.databasePath, "SELECT sum(poll_count) AS n FROM polls WHERE status = 'ok'")).toBeGreaterThanOrEqual(2);
    await harness.client(INTRUDER).send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: harness.demo.groups.web,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
      }),
    );
    const drift = await proc.waitForJson(isEvent("drift"));
    expect(drift).toMatchObject({ severity: "critical", groupId: harness.demo.groups.web, fromPort: 22, source: "0.0.0.0/0" });
  });

  it("keeps recording polls while another connection holds a read transaction", async () => {
    const reader = new BetterSqlite3(files.databasePath, { readonly: true });
    try {
      reader.exec("BEGIN");
      // Polls, not rows: unchanged polls extend one run row (src/store/poll-runs.ts).
      const seen = (reader.prepare("SELECT sum(poll_count) AS n FROM polls").get() as { n: number }).n;
      const from = proc.json().length;
      await proc.waitForJson(isEvent("poll-ok"), 30_000, from);
      const mark = proc.json().length;
      await proc.waitForJson(isEvent("poll-ok"), 30_000, mark);
      // The reader still sees its snapshot: the transaction really was held open…
      expect((reader.prepare("SELECT sum(poll_count) AS n FROM polls").get() as { n: number }).n).toBe(seen);
      // …while the daemon went on writing.
      expect(count(files.databasePath, "SELECT sum(poll_count) AS n FROM polls")).toBeGreaterThanOrEqual(seen + 2);
      reader.exec("COMMIT");
    } finally {
      reader.close();
    }
    expect(proc.json().filter(isEvent("poll-failed"))).toEqual([]);
  });

  it("logs an invalid config on SIGHUP and keeps running with the old one", async () => {
    writeFileSync(files.configPath, `database: ${files.databasePath}\nschedule: "not a schedule"\n`);
    const from = proc.json().length;
    proc.child.kill("SIGHUP");
    const failed = await proc.waitForJson(isEvent("config-reload-failed"), 30_000, from);
    expect(failed.level).toBe("error");
    expect(String(failed.error)).toContain(files.configPath);
    expect(String(failed.error)).toMatch(/schedule/);
    const after = proc.json().length;
    await proc.waitForJson(isEvent("poll-ok"), 30_000, after);
    expect(proc.child.exitCode).toBeNull();
  });

  it("exits 0 within 10 s on SIGTERM and leaves a sound database", async () => {
    proc.child.kill("SIGTERM");
    const r = await proc.exited;
    // Before its own deadline (≤ 10 s) fired: by the order of its log events, not a stopwatch.
    expectStoppedBeforeDeadline(proc.json(), r, "SIGTERM");
    expect(integrity(files.databasePath)).toBe("ok");
  });
});

describe("sgwatch run: slow cycles", { timeout: 90_000 }, () => {
  const LATENCY_MS = 1_500;
  let tmp: TempDir;
  let harness: SimHarness;
  let files: TestConfigFiles;
  let proc: CliProcess;

  beforeAll(async () => {
    tmp = makeTempDir();
    harness = await startSimHarness();
    harness.sim.faults.add({ kind: "latency", action: "DescribeSecurityGroups", latencyMs: LATENCY_MS });
    files = writeTestConfig({ dir: tmp.path, endpoint: harness.endpoint, extra: { schedule: EVERY_SECOND } });
    proc = startCli(["--config", files.configPath, "run"], { timeoutMs: 120_000 });
  });

  afterAll(async () => {
    await stop(proc);
    await harness?.close();
    tmp?.remove();
  });

  const describes = (): number[] => harness.sim.requests.filter((q) => q.action === "DescribeSecurityGroups").map((q) => Date.parse(q.time));

  it("skips ticks while a cycle runs, so cycles never overlap", async () => {
    await proc.waitForJson(isEvent("tick-skipped"), 30_000);
    await proc.waitForJson(isEvent("cycle", (l) => Number(l.cycle) >= 2), 30_000);
    const times = describes();
    expect(times.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < times.length; i++) expect((times[i] as number) - (times[i - 1] as number)).toBeGreaterThanOrEqual(LATENCY_MS - 100);
  });

  it("on SIGTERM lets the running cycle finish, then exits 0 within 10 s", async () => {
    // Wait until a new cycle's request is in flight.
    const n = describes().length;
    const deadline = Date.now() + 5_000;
    while (describes().length === n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(describes().length).toBe(n + 1);
    const cyclesBefore = proc.json().filter(isEvent("cycle")).length;
    proc.child.kill("SIGTERM");
    const r = await proc.exited;
    expectStoppedBeforeDeadline(proc.json(), r, "SIGTERM");
    // The in-flight cycle completed and was recorded, not aborted.
    expect(proc.json().filter(isEvent("cycle")).length).toBe(cyclesBefore + 1);
    expect(proc.json().some(isEvent("cycle-aborted"))).toBe(false);
    expect(count(files.databasePath, "SELECT count(*) AS n FROM polls WHERE status = 'failed'")).toBe(0);
    expect(integrity(files.databasePath)).toBe("ok");
  });
});

describe("sgwatch run: a cycle that never finishes", { timeout: 90_000 }, () => {
  let tmp: TempDir;
  let harness: SimHarness;
  let files: TestConfigFiles;
  let proc: CliProcess;
  // The simulator's latency is held until the test lets it go: the poll's call never returns on its own.
  let release: () => void = () => undefined;
  const held = new Promise<void>((r) => (release = r));

  beforeAll(async () => {
    tmp = makeTempDir();
    harness = await startSimHarness({ sleep: () => held });
    harness.sim.faults.add({ kind: "latency", action: "DescribeSecurityGroups", latencyMs: 1 });
    // A request timeout longer than the test: nothing but the daemon's own shutdown bound can end the call.
    files = writeTestConfig({ dir: tmp.path, endpoint: harness.endpoint, extra: { schedule: EVERY_SECOND, aws: { maxAttempts: 1, timeout: "10m" } } });
    proc = startCli(["--config", files.configPath, "run"], { timeoutMs: 60_000 });
  });

  afterAll(async () => {
    release();
    await stop(proc);
    await harness?.close();
    tmp?.remove();
  });

  it("on SIGTERM its own deadline ends the cycle: it exits 0 while the call is still unanswered", async () => {
    await proc.waitForJson(isEvent("start"), 30_000);
    const deadline = Date.now() + 30_000;
    while (!harness.sim.requests.some((q) => q.action === "DescribeSecurityGroups") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(harness.sim.requests.filter((q) => q.action === "DescribeSecurityGroups")).toHaveLength(1);
    proc.child.kill("SIGTERM");
    // Released only after the exit: a daemon that waited for the answer would never exit (startCli kills it after 60 s and rejects).
    const r = await proc.exited;
    release();
    const lines = proc.json();
    expect(r.code, r.stderr).toBe(0);
    const events = lines.map((l) => l.event);
    // What ended the cycle was the daemon's own bound (the grace ran out and the cycle was aborted, or the deadline cut it), never the answer.
    const shutdownAt = events.indexOf("shutdown");
    const forcedAt = events.findIndex((e) => e === "cycle-aborted" || e === "shutdown-timeout");
    expect(shutdownAt).toBeGreaterThanOrEqual(0);
    expect(forcedAt).toBeGreaterThan(shutdownAt);
    expect(Number(lines[shutdownAt]?.deadlineMs)).toBeLessThanOrEqual(10_000);
    expect(lines.filter(isEvent("poll-ok"))).toEqual([]);
  });
});
