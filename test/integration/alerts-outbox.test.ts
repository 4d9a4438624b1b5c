// Proves the outbox keeps alerts through an SMTP outage, with a real SMTP
// server that refuses mail (451) and a fake clock:
// - a refused alert stays pending with attempts, last_error and a backed-off
//   next_attempt_at, and is not retried before then;
// - once the server accepts again, dispatch delivers it exactly once (also
//   when two dispatches race);
// - an alert still undeliverable after alerts.retry.maxAge is marked dead,
//   logged loudly, and never sent later.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import BetterSqlite3, { type Database } from "better-sqlite3";
import { AuthorizeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import { App } from "../../src/daemon/app.js";
import { startMailSink, type MailSink } from "../../src/demo/mail-sink.js";
import type { OutboxRow } from "../../src/store/outbox-repo.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { startSimHarness, INTRUDER, MONITOR, type SimHarness } from "../support/sim-harness.js";
import { writeTestConfig, loadTestConfig } from "../support/config-file.js";
import { captureLog, type CapturedLog } from "../support/log-capture.js";
import { fakeClock, type FakeClock } from "../support/fake-clock.js";
import { parseMessages } from "../support/mailbox.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;

describe("alert outbox under an SMTP outage", () => {
  let tmp: TempDir;
  let harness: SimHarness;
  let sink: MailSink;
  let log: CapturedLog;
  let clock: FakeClock;
  let app: App;
  let db: Database;

  beforeAll(async () => {
    tmp = makeTempDir();
    harness = await startSimHarness();
    sink = await startMailSink();
    log = captureLog();
    clock = fakeClock();
    const files = writeTestConfig({
      dir: tmp.path,
      endpoint: harness.endpoint,
      smtpPort: sink.port,
      extra: { alerts: { log: { enabled: false }, email: { host: "127.0.0.1", port: sink.port, from: "sgwatch@test.example", to: ["ops@test.example"] }, retry: { baseDelay: "30s", maxDelay: "5m", maxAge: "1h" } } },
    });
    app = new App({ config: loadTestConfig(files), logger: log.logger, env: {}, clock: clock.clock, credentials: MONITOR });
    db = new BetterSqlite3(files.databasePath, { readonly: true });
    await app.cycle(); // baseline
  });

  afterAll(async () => {
    db?.close();
    await app?.close();
    await sink?.close();
    await harness?.close();
    tmp?.remove();
  });

  const rows = (): OutboxRow[] => db.prepare("SELECT * FROM outbox ORDER BY id").all() as OutboxRow[];
  const openPort = async (port: number): Promise<void> => {
    clock.advance(5 * MINUTE);
    await harness.client(INTRUDER).send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: harness.demo.groups.db,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: port, ToPort: port, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
      }),
    );
    const r = await app.cycle();
    expect(r.targets[0]?.judged).toHaveLength(1);
  };

  it("keeps a refused alert pending with attempts and a backed-off next attempt", async () => {
    await openPort(5432);
    expect(rows()).toEqual([expect.objectContaining({ channel: "email", kind: "drift", status: "pending", attempts: 0 })]);

    sink.failing = true;
    const failedAt = clock.now().getTime();
    expect(await app.dispatch()).toEqual({ sent: 0, retried: 1, dead: 0 });
    const [row] = rows();
    expect(row).toMatchObject({ status: "pending", attempts: 1, sent_at: null });
    expect(row?.last_error).toMatch(/451/);
    // 30 s base delay, ±20 % jitter.
    const delay = Date.parse(row?.next_attempt_at ?? "") - failedAt;
    expect(delay).toBeGreaterThanOrEqual(24 * SECOND);
    expect(delay).toBeLessThanOrEqual(36 * SECOND);
    expect(sink.messages).toHaveLength(0);

    // Not due yet: no attempt is made, even though the server is back.
    sink.failing = false;
    clock.advance(10 * SECOND);
    expect(await app.dispatch()).toEqual({ sent: 0, retried: 0, dead: 0 });
    expect(rows()[0]?.attempts).toBe(1);
    expect(sink.messages).toHaveLength(0);
  });

  it("delivers it exactly once when the server is back, even with racing dispatches", async () => {
    clock.advance(30 * SECOND);
    const [a, b] = await Promise.all([app.dispatch(), app.dispatch()]);
    expect(a).toEqual({ sent: 1, retried: 0, dead: 0 });
    expect(b).toEqual(a); // concurrent calls share one run
    expect(await app.dispatch()).toEqual({ sent: 0, retried: 0, dead: 0 });
    const [row] = rows();
    expect(row).toMatchObject({ status: "sent", attempts: 2, last_error: null, sent_at: clock.iso() });

    const mails = await parseMessages(sink);
    expect(mails).toHaveLength(1);
    expect(mails[0]?.subject).toBe("[sgwatch] CRITICAL db: tcp/5432 opened to the internet");
    // A drift alert's Message-ID is its thread's: the detecting poll and the channel, the same on every attempt.
    const drift = JSON.parse(row!.payload) as { pollId: number; detectedAt: string };
    expect(mails[0]?.messageId).toBe(`<sgwatch.drift.${drift.pollId}.${drift.detectedAt.replace(/[^0-9]/g, "")}.email@test.example>`);
    // Critical: flagged for mail apps that sort or notify by importance.
    const raw = Object.fromEntries((mails[0]?.headerLines ?? []).map((h) => [h.key, h.line]));
    expect(raw).toMatchObject({ "x-priority": "X-Priority: 1 (Highest)", importance: "Importance: High" });
    expect(mails[0]?.headers.get("x-sgwatch-alert-id")).toBe(String(row?.id));
  });

  it("marks an alert dead after maxAge, logs it loudly, and never sends it later", async () => {
    await openPort(6379);
    sink.failing = true;
    expect(await app.dispatch()).toEqual({ sent: 0, retried: 1, dead: 0 });
    // Keep failing until the alert is an hour old.
    for (let i = 0; i < 30 && rows()[1]?.status === "pending"; i++) {
      clock.advance(5 * MINUTE);
      await app.dispatch();
    }
    const dead = rows()[1];
    expect(dead).toMatchObject({ kind: "drift", status: "dead", sent_at: null });
    expect(dead?.last_error).toMatch(/451/);
    expect(Date.parse(clock.iso()) - Date.parse(dead?.queued_at ?? "")).toBeGreaterThanOrEqual(60 * MINUTE);
    // Attempts were spaced by the 5 min cap, not made on every call.
    expect(dead?.attempts).toBeGreaterThanOrEqual(4);
    expect(dead?.attempts).toBeLessThanOrEqual(14);
    expect(log.events("alert-dead")).toEqual([expect.objectContaining({ level: "error", alertId: dead?.id, channel: "email" })]);

    sink.failing = false;
    clock.advance(60 * MINUTE);
    expect(await app.dispatch()).toEqual({ sent: 0, retried: 0, dead: 0 });
    expect(sink.messages).toHaveLength(1);
    expect(rows()[1]?.status).toBe("dead");
  });
});
