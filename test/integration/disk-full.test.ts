// Proves, on a real full disk, what the issue saw: the database on a 2 MB
// tmpfs, filled up with a filler file (skipped where tmpfs cannot be mounted,
// i.e. not root). App in-process against the simulator over HTTP, a real
// webhook receiver.
// - an alert delivered while the outbox cannot be written is delivered once,
//   not again at every dispatch run (the issue saw five in 50 s);
// - a cycle with 400 new rules is a lost poll naming db-full, in one log line;
// - once space is freed, the alert is marked sent (still delivered once) and
//   the next cycle records the 400 rules.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from "node:fs";
import { App } from "../../src/daemon/app.js";
import { loadConfig } from "../../src/config/load.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { startSimHarness, MONITOR, type SimHarness } from "../support/sim-harness.js";
import { writeTestConfig, TEST_ACCOUNT } from "../support/config-file.js";
import { captureLog } from "../support/log-capture.js";
import { fakeClock } from "../support/fake-clock.js";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.js";

function mountTmpfs(dir: string): boolean {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", dir], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Write zeros until the file system says ENOSPC. */
function fill(file: string): void {
  const fd = openSync(file, "w");
  const chunk = Buffer.alloc(4096);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
  } finally {
    closeSync(fd);
  }
}

const tmp: TempDir = makeTempDir();
const mountDir = tmp.join("small");
mkdirSync(mountDir);
const mounted = mountTmpfs(mountDir);
if (!mounted) tmp.remove();

describe.skipIf(!mounted)("a full disk (2 MB tmpfs)", { timeout: 60_000 }, () => {
  let harness: SimHarness;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    harness = await startSimHarness();
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await harness?.close();
    execFileSync("umount", [mountDir], { stdio: "ignore" });
    tmp.remove();
  });

  it("delivers once, loses the poll with db-full, and recovers when space is freed", async () => {
    const files = writeTestConfig({
      dir: tmp.path,
      endpoint: harness.endpoint,
      extra: { database: `${mountDir}/sgwatch.db`, alerts: { log: { enabled: false }, webhook: { url: `${receiver.url}/hook` } } },
    });
    const log = captureLog();
    const clock = fakeClock();
    const app = new App({ config: loadConfig(files.configPath, {}), logger: log.logger, env: {}, clock: clock.clock, credentials: MONITOR });
    const region = harness.sim.state.account(TEST_ACCOUNT).region("us-east-1");
    const filler = `${mountDir}/filler`;
    try {
      expect((await app.cycle()).targets[0]?.ok).toBe(true);
      region.authorizeIngress(harness.demo.groups.bastion, [{ ipProtocol: "tcp", fromPort: 22, toPort: 22, ipRanges: [{ cidrIp: "0.0.0.0/0" }] }]);
      clock.advance(300_000);
      expect((await app.cycle()).targets[0]?.judged).toHaveLength(1);
      // An empty -wal file: the next write needs new space, which the filler takes.
      app.db.pragma("wal_checkpoint(TRUNCATE)");
      fill(filler);
      const before = receiver.requests.length;
      expect(await app.dispatch()).toMatchObject({ sent: 1, stalled: "db-full" });
      for (let i = 0; i < 4; i++) {
        clock.advance(15_000);
        expect(await app.dispatch()).toMatchObject({ sent: 0, stalled: "db-full" });
      }
      expect(receiver.requests.length).toBe(before + 1);

      region.authorizeIngress(harness.demo.groups.web, [
        { ipProtocol: "tcp", fromPort: 8000, toPort: 8000, ipRanges: Array.from({ length: 400 }, (_, i) => ({ cidrIp: `10.${Math.floor(i / 200)}.${i % 200}.0/24`, description: `rule ${i}` })) },
      ]);
      clock.advance(300_000);
      const full = await app.cycle();
      expect(full.failure?.reason).toBe("db-full");
      expect(full.targets[0]?.error?.code).toBe("db-full");
      expect(log.events("poll-unrecorded").map((l) => l.reason)).toEqual(["db-full"]);
      expect(log.lines().filter((l) => l.err !== undefined)).toEqual([]);

      rmSync(filler);
      expect(await app.dispatch()).toEqual({ sent: 0, retried: 0, dead: 0 });
      expect(receiver.requests.length).toBe(before + 1);
      expect(app.db.prepare("SELECT status FROM outbox ORDER BY id").all()).toEqual([{ status: "sent" }]);
      clock.advance(300_000);
      const back = await app.cycle();
      expect(back.failure ?? null).toBeNull();
      expect(back.targets[0]?.judged).toHaveLength(400);
      expect(app.db.prepare("SELECT error_code FROM polls WHERE status = 'failed'").all()).toEqual([{ error_code: "db-full" }]);
    } finally {
      rmSync(filler, { force: true });
      await app.close();
    }
  });
});
