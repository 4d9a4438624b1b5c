// Proves the heartbeat (config `heartbeat`), with the real daemon (runDaemon,
// a schedule of every second) against the simulator, and a real HTTP server
// standing in for the dead-man's switch:
// - it is pinged after every `everyCycles` fully successful cycles, with the
//   configured method, and its URL's secret token appears in no log line;
// - cycles whose poll fails send no ping;
// - a receiver that never answers delays no tick: cycles keep their schedule,
//   and a ping still in flight makes the next one be skipped, not queued.
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDaemon } from "../../src/daemon/daemon.js";
import { loadConfig } from "../../src/config/load.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { startSimHarness, MONITOR, type SimHarness } from "../support/sim-harness.js";
import { writeTestConfig } from "../support/config-file.js";
import { captureLog } from "../support/log-capture.js";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.js";

const TOKEN = "hb-7f3a9c-secret-token";

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("heartbeat", { timeout: 60_000 }, () => {
  let harness: SimHarness;
  let receiver: WebhookReceiver;
  const temps: TempDir[] = [];
  const tempDir = (): TempDir => {
    const t = makeTempDir();
    temps.push(t);
    return t;
  };

  beforeAll(async () => {
    harness = await startSimHarness();
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await harness?.close();
    for (const t of temps) t.remove();
  });

  async function run(endpoint: string, heartbeat: Record<string, unknown>, maxCycles: number) {
    const files = writeTestConfig({ dir: tempDir().path, endpoint, extra: { schedule: "* * * * * *", heartbeat } });
    const log = captureLog();
    const before = receiver.requests.length;
    const code = await runDaemon({ config: loadConfig(files.configPath, { HB_URL: `${receiver.url}/ping/${TOKEN}` }), logger: log.logger, env: { HB_URL: `${receiver.url}/ping/${TOKEN}` }, configPath: files.configPath, credentials: MONITOR, maxCycles });
    expect(code).toBe(0);
    return { log, pings: receiver.requests.slice(before) };
  }

  it("pings after every everyCycles good cycles and never logs the token", async () => {
    receiver.answer({ status: 200, body: "OK" });
    const { log, pings } = await run(harness.endpoint, { urlEnv: "HB_URL", everyCycles: 2, method: "POST" }, 5);
    expect(log.events("cycle")).toHaveLength(5);
    expect(pings.map((p) => `${p.method} ${p.path}`)).toEqual([`POST /ping/${TOKEN}`, `POST /ping/${TOKEN}`]);
    expect(log.lines().filter((l) => JSON.stringify(l).includes(TOKEN))).toEqual([]);
  });

  it("sends nothing after cycles whose poll failed", async () => {
    receiver.answer({ status: 200, body: "OK" });
    const { log, pings } = await run(`http://127.0.0.1:${await closedPort()}`, { url: `${receiver.url}/ping/${TOKEN}` }, 2);
    expect(log.events("poll-failed")).toHaveLength(2);
    expect(pings).toEqual([]);
  });

  it("never delays a tick when the receiver does not answer", async () => {
    receiver.answer("hang");
    const { log, pings } = await run(harness.endpoint, { url: `${receiver.url}/ping/${TOKEN}`, timeout: "60s" }, 3);
    expect(log.events("cycle").map((l) => l.cycle)).toEqual([1, 2, 3]);
    // A tick may be skipped while a cycle itself runs long (a loaded
    // machine), never between one cycle's end and the next one's start.
    const marks = log.lines().filter((l) => l.event === "tick" || l.event === "cycle" || l.event === "tick-skipped").map((l) => l.event);
    expect(marks.filter((e, i) => e === "tick-skipped" && marks.slice(0, i).filter((x) => x !== "tick-skipped").at(-1) === "cycle")).toEqual([]);
    // The first ping hangs; the ones after cycles 2 and 3 are skipped while it does.
    expect(pings).toHaveLength(1);
    expect(log.events("heartbeat-skipped")).toHaveLength(2);
    expect(log.lines().filter((l) => JSON.stringify(l).includes(TOKEN))).toEqual([]);
  });
});
