// Proves that alert delivery never delays polling: the real daemon
// (runDaemon, a cron schedule of every second) with an email channel pointed
// at an SMTP server that accepts the connection and never greets, or a
// webhook whose receiver never answers. An invalid approval file makes the
// first cycle queue an alert for every channel, so delivery starts at once
// and hangs. Proven by the order of events, not by durations: the SMTP
// connection is open (and silent), or the webhook request held, before
// cycle 3; cycles 2 and 3 still run; and no tick is skipped between one
// cycle's end and the next one's start (where a tick that waited on delivery
// would be skipped as "previous cycle still running").
import { createServer, type Server, type Socket } from "node:net";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDaemon } from "../../src/daemon/daemon.js";
import { createLogger } from "../../src/logging/logger.js";
import { loadConfig } from "../../src/config/load.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { startSimHarness, MONITOR, type SimHarness } from "../support/sim-harness.js";
import { writeTestConfig } from "../support/config-file.js";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.js";

describe("dispatch beside polling", { timeout: 60_000 }, () => {
  let tmp: TempDir;
  let harness: SimHarness;
  let receiver: WebhookReceiver;
  let silentSmtp: Server;
  const sockets = new Set<Socket>();
  const order: string[] = [];

  beforeAll(async () => {
    tmp = makeTempDir();
    harness = await startSimHarness();
    receiver = await startWebhookReceiver();
    receiver.answer("hang");
    // Accepts TCP and never sends the 220 greeting.
    silentSmtp = createServer((socket) => {
      sockets.add(socket);
      order.push("smtp-connected");
      socket.on("error", () => undefined);
    });
    await new Promise<void>((r) => silentSmtp.listen(0, "127.0.0.1", r));
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => silentSmtp?.close(() => r()));
    await receiver?.close();
    await harness?.close();
    tmp?.remove();
  });

  it.each(["email", "webhook"] as const)("keeps the schedule while %s delivery hangs", async (channel) => {
    order.length = 0;
    const dir = path.join(tmp.path, channel);
    const smtpPort = (silentSmtp.address() as { port: number }).port;
    const files = writeTestConfig({
      dir,
      endpoint: harness.endpoint,
      ...(channel === "email" ? { smtpPort } : {}),
      extra: { schedule: "* * * * * *", ...(channel === "webhook" ? { alerts: { log: { minSeverity: "low" }, webhook: { url: `${receiver.url}/hook`, timeout: "60s" } } } : {}) },
    });
    writeFileSync(path.join(files.approvalsDir, "broken.yaml"), "id: [unclosed\n");
    const config = loadConfig(files.configPath, {});
    const received = receiver.requests.length;
    const logger = createLogger({
      level: "debug",
      destination: {
        write: (chunk: string) => {
          for (const line of chunk.split("\n").filter(Boolean)) {
            const l = JSON.parse(line) as { event?: string; cycle?: number };
            // The receiver never answers; a request it holds is noted when next seen.
            if (receiver.requests.length > received && !order.includes("webhook-request")) order.push("webhook-request");
            // The scheduler starting a cycle.
            if (l.event === "tick") order.push("cycle-start");
            if (l.event === "cycle") order.push(`cycle:${l.cycle}`);
            if (l.event === "tick-skipped") order.push("tick-skipped");
          }
        },
      },
    });
    const code = await runDaemon({ config, logger, env: {}, configPath: files.configPath, credentials: MONITOR, maxCycles: 3 });
    expect(code).toBe(0);
    // The alert reached the channel during cycle 2 at the latest, and cycles
    // went on while it waited there for an answer that never came.
    expect(order.filter((e) => e.startsWith("cycle:"))).toEqual(["cycle:1", "cycle:2", "cycle:3"]);
    // A tick may be skipped while a cycle itself runs long (a loaded
    // machine), never between a cycle's end and the next cycle's start,
    // which is where a tick waiting on delivery would be skipped.
    const skippedBetweenCycles = order.filter((e, i) => {
      if (e !== "tick-skipped") return false;
      const before = order.slice(0, i).filter((x) => x === "cycle-start" || x.startsWith("cycle:"));
      return before.at(-1)?.startsWith("cycle:") === true;
    });
    expect(skippedBetweenCycles).toEqual([]);
    const reached = order.indexOf(channel === "email" ? "smtp-connected" : "webhook-request");
    expect(reached).toBeGreaterThan(order.indexOf("cycle:1"));
    expect(reached).toBeLessThan(order.indexOf("cycle:3"));
    if (channel === "email") expect([...sockets].every((s) => s.bytesWritten === 0)).toBe(true);
  });
});
