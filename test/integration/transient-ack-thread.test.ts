// Issue #12 section 4 ("every follow-up … is a reply in the thread of the
// alert it follows") for a transient opening, through real parts: the real
// EC2 SDK opens and closes a rule between two polls of the simulator, App
// sweeps CloudTrail and joins it with poll history in a real SQLite file, the
// transient alert and the acknowledgement go to a real SMTP server and are
// parsed from the wire, `sgwatch ack` runs as a child process.
//
// A transient change is reported by its own alert (not by the drift alert of
// the poll that decided it), so the acknowledgement that alert invites must
// reply in the transient alert's thread. The deciding poll here also finds an
// ordinary change, so a reply threaded by poll would land in that poll's drift
// conversation instead: that is what this test would catch. The thread each
// channel gave a transient change (change_threads) goes with the change when
// compaction drops it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ParsedMail } from "mailparser";
import { AuthorizeSecurityGroupIngressCommand, RevokeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import { startAppWorld, type AppWorld } from "../support/app-world.js";
import { ENGINEER, INTRUDER } from "../support/sim-harness.js";
import { assertBuilt, runCli } from "../support/cli.js";
import { compact } from "../../src/store/retention.js";

const MIN = 60_000;
const DAY = 86_400_000;
const world = (port: number) => [{ IpProtocol: "tcp", FromPort: port, ToPort: port, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }];

describe("acknowledging a transient opening", { timeout: 120_000 }, () => {
  let w: AppWorld;
  let transientMail: ParsedMail | undefined;
  let driftMail: ParsedMail | undefined;
  let transientId: number;

  beforeAll(async () => {
    assertBuilt();
    w = await startAppWorld({ simOnClock: true, extra: { cloudtrail: { enabled: true } } });
    await w.poll(); // baseline
    const { db, app } = w.harness.demo.groups;
    w.clock.advance(MIN);
    await w.harness.client(INTRUDER).send(new AuthorizeSecurityGroupIngressCommand({ GroupId: db, IpPermissions: world(3306) }));
    w.clock.advance(10_000);
    await w.harness.client(INTRUDER).send(new RevokeSecurityGroupIngressCommand({ GroupId: db, IpPermissions: world(3306) }));
    // An ordinary change the same poll sees: that poll sends a drift alert of its own.
    await w.harness.client(ENGINEER).send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId: app, IpPermissions: [{ IpProtocol: "tcp", FromPort: 8443, ToPort: 8443, IpRanges: [{ CidrIp: "10.0.0.0/8" }] }] }),
    );
    w.clock.advance(MIN);
    await w.poll();
    const mails = await w.newMails();
    transientMail = mails.find((m) => /no poll saw it/.test(m.subject ?? ""));
    driftMail = mails.find((m) => /tcp\/8443/.test(m.subject ?? ""));
    transientId = (w.reader.prepare("SELECT id FROM changes WHERE status = 'transient'").get() as { id: number }).id;
  });

  afterAll(async () => {
    await w?.close();
  });

  it("the acknowledgement is a reply in the transient alert's thread, not in the deciding poll's drift alert's", async () => {
    expect(transientMail, "the transient alert was mailed").toBeDefined();
    expect(driftMail, "the deciding poll's drift alert was mailed").toBeDefined();
    const r = await runCli(["--db", w.files.databasePath, "--config", w.files.configPath, "ack", String(transientId), "--by", "bob", "--reason", "load test from the office"]);
    expect(r.code, r.stderr).toBe(0);
    w.clock.advance(MIN);
    await w.poll(); // the daemon says new acknowledgements at its next cycle
    const acked = (await w.newMails()).filter((m) => m.text?.startsWith("Acknowledged by bob"));
    expect(acked).toHaveLength(1);
    expect(acked[0]?.text).toContain(`#${transientId} `);
    expect(acked[0]?.inReplyTo).toBe(transientMail?.messageId);
    expect([acked[0]?.references].flat()).toEqual([transientMail?.messageId]);
    expect(acked[0]?.subject).toBe(`Re: ${transientMail?.subject}`);
  });

  it("compaction drops an old transient change with the threads its alert left, and keeps the acknowledged one's", async () => {
    const { db } = w.harness.demo.groups;
    w.clock.advance(MIN);
    await w.harness.client(INTRUDER).send(new AuthorizeSecurityGroupIngressCommand({ GroupId: db, IpPermissions: world(6379) }));
    w.clock.advance(10_000);
    await w.harness.client(INTRUDER).send(new RevokeSecurityGroupIngressCommand({ GroupId: db, IpPermissions: world(6379) }));
    w.clock.advance(MIN);
    await w.poll();
    const old = (w.reader.prepare("SELECT id FROM changes WHERE status = 'transient' AND ports = '6379'").get() as { id: number }).id;
    const threads = (id: number): number => w.reader.prepare("SELECT count(*) FROM change_threads WHERE change_id = ?").pluck().get(id) as number;
    expect(threads(old)).toBeGreaterThan(0); // one per channel that got the alert (log, email)
    const before = threads(old);

    w.clock.advance(11 * DAY);
    const r = await compact(w.app.db, { clock: w.clock.clock, keepMs: 10 * DAY, keepText: "10 d", pause: async () => {} });
    expect(r.finished).toBe(true);
    expect(w.reader.prepare("SELECT count(*) FROM change_events WHERE id = ?").pluck().get(old)).toBe(0);
    expect(threads(old)).toBe(0);
    expect(r.counts.alertThreads).toBeGreaterThanOrEqual(before);
    // The acknowledged transient is kept, with its thread.
    expect(threads(transientId)).toBeGreaterThan(0);
    expect(w.reader.pragma("foreign_key_check")).toEqual([]);
  });
});
