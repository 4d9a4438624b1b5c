// Proves issue 4's "SMTP down for an hour, then up: every alert arrives, none
// twice in the normal case", with a real SMTP server that refuses mail (451)
// for an hour of fake time while the daemon keeps polling every five minutes
// and dispatching every 15 s, as it does in production (alerts.retry defaults:
// 30 s base, 1 h max delay, 24 h max age).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthorizeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import { App } from "../../src/daemon/app.js";
import { startMailSink, type MailSink } from "../../src/demo/mail-sink.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { startSimHarness, INTRUDER, MONITOR, type SimHarness } from "../support/sim-harness.js";
import { writeTestConfig, loadTestConfig } from "../support/config-file.js";
import { captureLog } from "../support/log-capture.js";
import { fakeClock, type FakeClock } from "../support/fake-clock.js";
import { parseMessages } from "../support/mailbox.js";

const MINUTE = 60_000;

describe("an hour-long SMTP outage", { timeout: 120_000 }, () => {
  let tmp: TempDir;
  let harness: SimHarness;
  let sink: MailSink;
  let clock: FakeClock;
  let app: App;

  beforeAll(async () => {
    tmp = makeTempDir();
    harness = await startSimHarness();
    sink = await startMailSink();
    clock = fakeClock();
    const files = writeTestConfig({
      dir: tmp.path,
      endpoint: harness.endpoint,
      smtpPort: sink.port,
      extra: { alerts: { log: { enabled: false }, email: { host: "127.0.0.1", port: sink.port, from: "sgwatch@test.example", to: ["ops@test.example"] } } },
    });
    app = new App({ config: loadTestConfig(files), logger: captureLog("error").logger, env: {}, clock: clock.clock, credentials: MONITOR });
    await app.cycle(); // baseline
  });

  afterAll(async () => {
    await app?.close();
    await sink?.close();
    await harness?.close();
    tmp?.remove();
  });

  it("delivers every alert of the outage once, after the server is back", async () => {
    sink.failing = true;
    const intruder = harness.client(INTRUDER);
    const opened: number[] = [];
    // One hour: a poll every 5 minutes (every other one with drift), dispatch every 15 s.
    for (let minute = 0; minute < 60; minute += 5) {
      if (minute % 10 === 0) {
        const port = 9000 + minute;
        await intruder.send(
          new AuthorizeSecurityGroupIngressCommand({ GroupId: harness.demo.groups.db, IpPermissions: [{ IpProtocol: "tcp", FromPort: port, ToPort: port, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }),
        );
        opened.push(port);
      }
      await app.cycle();
      for (let s = 0; s < 5 * 60; s += 15) {
        await app.dispatch();
        clock.advance(15_000);
      }
    }
    expect(sink.messages).toHaveLength(0);
    const pending = app.db.prepare("SELECT count(*) AS n FROM outbox WHERE status = 'pending'").get() as { n: number };
    expect(pending.n).toBe(opened.length);

    sink.failing = false;
    // The longest backoff is alerts.retry.maxDelay (1 h) plus its +20 % jitter
    // (backoffDelay): within 72 min and one dispatch tick every alert goes out.
    const longestBackoffMs = app.config.alerts.retry.maxDelay * 1.2;
    for (let ms = 0; ms <= longestBackoffMs + 15_000; ms += 15_000) {
      await app.dispatch();
      clock.advance(15_000);
      if (sink.messages.length === opened.length) break;
    }
    await app.dispatch();
    const mails = await parseMessages(sink);
    expect(mails).toHaveLength(opened.length);
    const ports = mails.map((m) => Number(/TCP (\d+) from 0\.0\.0\.0\/0/.exec(m.text ?? "")?.[1])).sort((a, b) => a - b);
    expect(ports).toEqual(opened);
    expect(new Set(mails.map((m) => m.messageId)).size).toBe(opened.length);
    const states = app.db.prepare("SELECT status, count(*) AS n FROM outbox GROUP BY status").all();
    expect(states).toEqual([{ status: "sent", n: opened.length }]);
  });
});
