// Proves that delivery does not loop when the outbox cannot be written: App
// in-process with a real webhook receiver and a real second SQLite connection
// holding `BEGIN IMMEDIATE`, so a delivered alert cannot be marked sent.
// - the alert is delivered once; further dispatch runs send nothing (not the
//   same alert again, and nothing new) while the outbox stays unwritable, and
//   say so in one log line with the reason code;
// - once the lock is gone, the next run marks it sent, still without resending;
// - a process that dies before it can mark the alert (the memory is lost)
//   re-delivers it with the same alert id (body alertId and
//   X-Sgwatch-Alert-Id), so the receiver can drop the duplicate.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import BetterSqlite3 from "better-sqlite3";
import { App } from "../../src/daemon/app.js";
import { loadConfig } from "../../src/config/load.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { startSimHarness, MONITOR, type SimHarness } from "../support/sim-harness.js";
import { writeTestConfig, TEST_ACCOUNT, type TestConfigFiles } from "../support/config-file.js";
import { captureLog, type CapturedLog } from "../support/log-capture.js";
import { fakeClock } from "../support/fake-clock.js";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.js";

describe("an outbox that cannot be written", { timeout: 60_000 }, () => {
  let tmp: TempDir;
  let harness: SimHarness;
  let receiver: WebhookReceiver;
  let files: TestConfigFiles;
  const clock = fakeClock();
  let log: CapturedLog;

  beforeAll(async () => {
    tmp = makeTempDir();
    harness = await startSimHarness();
    receiver = await startWebhookReceiver();
    // The webhook only: the log channel would deliver too and muddle the counts.
    files = writeTestConfig({ dir: tmp.path, endpoint: harness.endpoint, extra: { alerts: { log: { enabled: false }, webhook: { url: `${receiver.url}/hook` } } } });
    log = captureLog();
  });
  afterAll(async () => {
    await receiver?.close();
    await harness?.close();
    tmp?.remove();
  });

  const newApp = (): App => new App({ config: loadConfig(files.configPath, {}), logger: log.logger, env: {}, clock: clock.clock, credentials: MONITOR });
  const outbox = (): Array<{ id: number; status: string }> => {
    const db = new BetterSqlite3(files.databasePath, { readonly: true });
    try {
      return db.prepare("SELECT id, status FROM outbox ORDER BY id").all() as Array<{ id: number; status: string }>;
    } finally {
      db.close();
    }
  };
  /** One cycle that queues a drift alert for tcp/port opened to the world. */
  async function driftCycle(app: App, port: number): Promise<void> {
    harness.sim.state
      .account(TEST_ACCOUNT)
      .region("us-east-1")
      .authorizeIngress(harness.demo.groups.app, [{ ipProtocol: "tcp", fromPort: port, toPort: port, ipRanges: [{ cidrIp: "0.0.0.0/0" }] }]);
    clock.advance(300_000);
    const r = await app.cycle();
    expect(r.targets[0]?.ok).toBe(true);
  }

  it("delivers once, then stops until the outbox can be written", async () => {
    const app = newApp();
    const holder = new BetterSqlite3(files.databasePath);
    try {
      await app.cycle(); // baseline
      await driftCycle(app, 3301);
      const before = receiver.requests.length;
      holder.exec("BEGIN IMMEDIATE");
      const first = await app.dispatch();
      expect(first).toMatchObject({ sent: 1, stalled: "db-locked" });
      expect(receiver.requests.length).toBe(before + 1);
      // The same alert is not delivered again, however often dispatch runs.
      for (let i = 0; i < 3; i++) {
        clock.advance(15_000);
        expect(await app.dispatch()).toMatchObject({ sent: 0, stalled: "db-locked" });
      }
      expect(receiver.requests.length).toBe(before + 1);
      expect(outbox().map((r) => r.status)).toEqual(["pending"]);
      const stalled = log.events("dispatch-stalled");
      expect(stalled.length).toBe(4);
      expect(stalled.every((l) => l.reason === "db-locked" && l.err === undefined)).toBe(true);
      holder.exec("COMMIT");
      expect(await app.dispatch()).toEqual({ sent: 0, retried: 0, dead: 0 });
      expect(outbox().map((r) => r.status)).toEqual(["sent"]);
      expect(receiver.requests.length).toBe(before + 1);
    } finally {
      holder.close();
      await app.close();
    }
  });

  it("re-delivers with the same alert id after a restart that lost the memory", async () => {
    const app = newApp();
    const holder = new BetterSqlite3(files.databasePath);
    let firstId: string | undefined;
    try {
      await driftCycle(app, 3302);
      const before = receiver.requests.length;
      holder.exec("BEGIN IMMEDIATE");
      expect(await app.dispatch()).toMatchObject({ sent: 1, stalled: "db-locked" });
      expect(receiver.requests.length).toBe(before + 1);
      firstId = receiver.requests[before]!.headers["x-sgwatch-alert-id"] as string;
    } finally {
      holder.exec("COMMIT");
      holder.close();
      await app.close();
    }
    // A new process: it knows only the outbox, where the alert is still pending.
    const again = newApp();
    try {
      const before = receiver.requests.length;
      expect(await again.dispatch()).toEqual({ sent: 1, retried: 0, dead: 0 });
      const resent = receiver.requests[before]!;
      expect(resent.headers["x-sgwatch-alert-id"]).toBe(firstId);
      expect((JSON.parse(resent.body) as { alertId: number }).alertId).toBe(Number(firstId));
      expect(outbox().at(-1)?.status).toBe("sent");
    } finally {
      await again.close();
    }
  });
});
