// Proves that a cycle which cannot record never looks healthy, with a real
// second SQLite connection holding `BEGIN IMMEDIATE` (as a person in the
// sqlite3 shell would) and a real database made full (max_page_count):
// - a locked database is waited for with growing delays, and a lock released
//   within the wait costs nothing: the cycle records its changes;
// - a lock held past databaseLockWait: each tick's polls count as failed
//   (sgwatch_poll_failures_total, sgwatch_cycle_failures_total{reason}),
//   after monitoring.blindAfterFailures the daemon's /healthz is 503 naming
//   db-locked, a monitoring-blind alert reaches the webhook and the log
//   directly (the outbox cannot be written), and `sgwatch status --health
//   --json` (asking the daemon) exits 4; once the lock is gone, the lost polls
//   are written down and monitoring-restored is queued;
// - a full disk likewise, with one log line per lost poll naming db-full
//   and no stack; a read-only database names db-readonly.
// Waiting is through an injected sleep: no test waits on the wall clock.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import BetterSqlite3 from "better-sqlite3";
import { App } from "../../src/daemon/app.js";
import { runDaemon } from "../../src/daemon/daemon.js";
import { loadConfig } from "../../src/config/load.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { startSimHarness, MONITOR, type SimHarness } from "../support/sim-harness.js";
import { writeTestConfig, TEST_ACCOUNT } from "../support/config-file.js";
import { captureLog } from "../support/log-capture.js";
import { fakeClock } from "../support/fake-clock.js";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.js";
import { parsePromText } from "../support/prom-text.js";
import { assertBuilt, runCli } from "../support/cli.js";

const REGION = "us-east-1";

describe("a cycle that cannot record", { timeout: 120_000 }, () => {
  let harness: SimHarness;
  let receiver: WebhookReceiver;
  const temps: TempDir[] = [];
  const tempDir = (): TempDir => {
    const t = makeTempDir();
    temps.push(t);
    return t;
  };

  beforeAll(async () => {
    assertBuilt();
    harness = await startSimHarness();
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await harness?.close();
    for (const t of temps) t.remove();
  });

  /** Open tcp/port to the world on the app group: drift for the next poll. */
  function drift(port: number): void {
    harness.sim.state
      .account(TEST_ACCOUNT)
      .region(REGION)
      .authorizeIngress(harness.demo.groups.app, [{ ipProtocol: "tcp", fromPort: port, toPort: port, ipRanges: [{ cidrIp: "0.0.0.0/0" }] }]);
  }

  it("waits for a lock with growing delays and records once it is released", async () => {
    const files = writeTestConfig({ dir: tempDir().path, endpoint: harness.endpoint, extra: { databaseLockWait: "30s" } });
    const log = captureLog();
    const clock = fakeClock();
    let holder: BetterSqlite3.Database | null = null;
    const delays: number[] = [];
    // The holder lets go during the third wait.
    const sleep = async (ms: number): Promise<void> => {
      delays.push(ms);
      if (delays.length === 3) holder?.exec("COMMIT");
    };
    const app = new App({ config: loadConfig(files.configPath, {}), logger: log.logger, env: {}, clock: clock.clock, credentials: MONITOR, sleep });
    try {
      expect((await app.cycle()).targets[0]?.ok).toBe(true); // baseline
      drift(2301);
      holder = new BetterSqlite3(files.databasePath);
      holder.exec("BEGIN IMMEDIATE");
      clock.advance(300_000);
      const r = await app.cycle();
      expect(r.failure ?? null).toBeNull();
      expect(r.targets[0]?.ok).toBe(true);
      expect(r.targets[0]?.judged.map((j) => j.change.rule?.fromPort)).toEqual([2301]);
      expect(delays).toEqual([50, 100, 200]);
      expect(log.events("db-lock-wait").map((l) => l.delayMs)).toEqual([50, 100, 200]);
      expect(app.health.snapshot().consecutiveFailedCycles).toBe(0);
    } finally {
      holder?.close();
      await app.close();
    }
  });

  it("counts polls it cannot record against health, alerts directly, and writes them down once it can", async () => {
    const port = await freePort();
    const files = writeTestConfig({
      dir: tempDir().path,
      endpoint: harness.endpoint,
      extra: {
        schedule: "* * * * * *",
        http: { port },
        databaseLockWait: "1s",
        monitoring: { blindAfterFailures: 2 },
        alerts: { log: { minSeverity: "low" }, webhook: { url: `${receiver.url}/hook` } },
      },
    });
    const config = loadConfig(files.configPath, {});
    const log = captureLog();
    let holder: BetterSqlite3.Database | null = null;
    const sleeps: number[] = [];
    const seen: Array<{ n: number; health: number; body: { reasons: string[] }; metrics: string }> = [];
    let cliHealth: { code: number | null; stdout: string } | null = null;
    const firstRequest = receiver.requests.length;
    const code = await runDaemon({
      config,
      logger: log.logger,
      env: {},
      configPath: files.configPath,
      credentials: MONITOR,
      maxCycles: 4,
      sleep: async (ms) => void sleeps.push(ms),
      afterCycle: async (n) => {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        seen.push({ n, health: res.status, body: (await res.json()) as { reasons: string[] }, metrics: await (await fetch(`http://127.0.0.1:${port}/metrics`)).text() });
        if (n === 1) {
          drift(2302);
          holder = new BetterSqlite3(files.databasePath);
          holder.exec("BEGIN IMMEDIATE");
        }
        if (n === 3) {
          const r = await runCli(["--config", files.configPath, "status", "--health", "--json"]);
          cliHealth = { code: r.code, stdout: r.stdout };
          holder?.exec("COMMIT");
        }
      },
    });
    (holder as BetterSqlite3.Database | null)?.close();
    expect(code).toBe(0);
    expect(sleeps.length).toBeGreaterThan(0);

    // Cycle 2: one lost poll, not yet blind. Cycle 3: blind, 503 naming the lock.
    expect(seen.map((s) => s.health)).toEqual([200, 200, 503, 200]);
    expect(seen[2]!.body.reasons.join("\n")).toMatch(new RegExp(`^${TEST_ACCOUNT}/${REGION} is blind since .*db-locked: database is locked`, "m"));
    const m3 = parsePromText(seen[2]!.metrics);
    expect(m3.value("sgwatch_cycle_failures_total", { reason: "db-locked" })).toBe(2);
    expect(m3.value("sgwatch_cycle_failures_total", { reason: "db-full" })).toBe(0);
    expect(m3.value("sgwatch_poll_failures_total", { account: TEST_ACCOUNT, region: REGION })).toBe(2);
    expect(m3.value("sgwatch_target_blind", { account: TEST_ACCOUNT, region: REGION })).toBe(1);
    expect(parsePromText(seen[3]!.metrics).value("sgwatch_target_blind", { account: TEST_ACCOUNT, region: REGION })).toBe(0);

    // status --health asked the daemon, which knew what the database did not.
    expect(cliHealth).not.toBeNull();
    const verdict = JSON.parse(cliHealth!.stdout) as { healthy: boolean; source: string; reasons: string[] };
    expect(cliHealth!.code).toBe(4);
    expect(verdict).toMatchObject({ healthy: false, source: "daemon" });
    expect(verdict.reasons.join("\n")).toContain("db-locked");

    // The blind alert went out directly, through the webhook and the log.
    const hooks = receiver.requests.slice(firstRequest).map((r) => JSON.parse(r.body) as { alertId: number; type: string; payload: { lastError: string; failures: number } });
    const blind = hooks.filter((h) => h.type === "monitoring-blind");
    expect(blind).toHaveLength(1);
    expect(blind[0]).toMatchObject({ alertId: 0, payload: { failures: 2 } });
    expect(blind[0]!.payload.lastError).toContain("db-locked");
    expect(log.events("monitoring-blind").map((l) => l.alertId)).toEqual([0]);

    // One line per lost poll with its reason code, and no stack anywhere.
    const lost = log.events("poll-unrecorded");
    expect(lost.map((l) => l.reason)).toEqual(["db-locked", "db-locked"]);
    expect(log.lines().filter((l) => l.err !== undefined || JSON.stringify(l).includes("    at "))).toEqual([]);

    // Cycle 4 wrote the lost polls down, recorded the drift, and queued monitoring-restored.
    const db = new BetterSqlite3(files.databasePath, { readonly: true });
    try {
      const failed = db.prepare("SELECT error_code, error, poll_count FROM polls WHERE status = 'failed'").all() as Array<{ error_code: string; error: string; poll_count: number }>;
      expect(failed).toHaveLength(1);
      // One row, counted as the polls it stands for.
      expect(failed[0]!.poll_count).toBe(2);
      expect(failed[0]!.error_code).toBe("db-locked");
      expect(failed[0]!.error).toMatch(/^2 polls since .* could not be recorded \(db-locked\): database is locked$/);
      const kinds = (db.prepare("SELECT kind FROM outbox ORDER BY id").all() as Array<{ kind: string }>).map((r) => r.kind);
      expect(kinds).toContain("monitoring-restored");
      expect(kinds).not.toContain("monitoring-blind");
      const changes = db.prepare("SELECT ports FROM changes").all() as Array<{ ports: string }>;
      expect(changes.map((c) => c.ports)).toContain("2302");
      expect(db.prepare("SELECT consecutive_failures, blind_since FROM targets").get()).toEqual({ consecutive_failures: 0, blind_since: null });
    } finally {
      db.close();
    }
  });

  it("counts a full disk the same way, one line per lost poll naming db-full", async () => {
    const files = writeTestConfig({ dir: tempDir().path, endpoint: harness.endpoint, extra: { monitoring: { blindAfterFailures: 2 } } });
    const log = captureLog();
    const clock = fakeClock();
    const app = new App({ config: loadConfig(files.configPath, {}), logger: log.logger, env: {}, clock: clock.clock, credentials: MONITOR });
    try {
      expect((await app.cycle()).targets[0]?.ok).toBe(true);
      // No page may be added from now on: the next poll's 400 new rules cannot be written.
      const pages = app.db.pragma("page_count", { simple: true }) as number;
      app.db.pragma(`max_page_count = ${pages}`);
      harness.sim.state
        .account(TEST_ACCOUNT)
        .region(REGION)
        .authorizeIngress(harness.demo.groups.web, [
          { ipProtocol: "tcp", fromPort: 8000, toPort: 8000, ipRanges: Array.from({ length: 400 }, (_, i) => ({ cidrIp: `10.${Math.floor(i / 200)}.${i % 200}.0/24`, description: `rule ${i}` })) },
        ]);
      const results = [];
      for (let i = 0; i < 2; i++) {
        clock.advance(300_000);
        results.push(await app.cycle());
      }
      expect(results.map((r) => r.failure?.reason)).toEqual(["db-full", "db-full"]);
      expect(results.map((r) => r.targets[0]?.error?.code)).toEqual(["db-full", "db-full"]);
      expect(results.map((r) => r.targets[0]?.lost?.becameBlind)).toEqual([false, true]);
      const lines = log.events("poll-unrecorded");
      expect(lines.map((l) => l.reason)).toEqual(["db-full", "db-full"]);
      expect(lines[0]!.msg).toBe(`poll of ${TEST_ACCOUNT}/${REGION} could not be recorded (db-full): database or disk is full`);
      expect(log.lines().filter((l) => l.err !== undefined)).toEqual([]);
      const snap = app.health.snapshot();
      expect(snap).toMatchObject({ consecutiveFailedCycles: 2, lastReason: "db-full" });
      // The second cycle could still write the small failed-poll row for the
      // first lost poll (no new page needed); only its own poll is in memory.
      expect(snap.unrecorded).toEqual([expect.objectContaining({ account: TEST_ACCOUNT, region: REGION, failures: 1, blind: true })]);
      expect(app.db.prepare("SELECT error_code FROM polls WHERE status = 'failed'").all()).toEqual([{ error_code: "db-full" }]);
      await app.directAlertsSettled();
      expect(log.events("alert-sent-direct").map((l) => l.channel)).toEqual(["log"]);
    } finally {
      await app.close();
    }
  });

  it("names a read-only database db-readonly", async () => {
    const files = writeTestConfig({ dir: tempDir().path, endpoint: harness.endpoint });
    const log = captureLog();
    const clock = fakeClock();
    const app = new App({ config: loadConfig(files.configPath, {}), logger: log.logger, env: {}, clock: clock.clock, credentials: MONITOR });
    try {
      expect((await app.cycle()).targets[0]?.ok).toBe(true);
      drift(2303);
      // As a database whose file or directory became read-only under the daemon.
      app.db.pragma("query_only = ON");
      clock.advance(300_000);
      const r = await app.cycle();
      expect(r.failure?.reason).toBe("db-readonly");
      expect(log.events("poll-unrecorded").map((l) => l.reason)).toEqual(["db-readonly"]);
      app.db.pragma("query_only = OFF");
      clock.advance(300_000);
      const back = await app.cycle();
      expect(back.failure ?? null).toBeNull();
      expect(back.targets[0]?.judged.map((j) => j.change.rule?.fromPort)).toEqual([2303]);
    } finally {
      await app.close();
    }
  });
});

async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
