// Proves the second way a target goes blind: no successful poll for
// monitoring.blindAfter, however few failures that took. With
// blindAfterFailures 100 (never reached here) and blindAfter 30m, a target
// failing every 10 minutes of fake time (App with a fake clock, AuthFailure
// injected by the simulator):
// - is not blind 10 and 20 minutes after its last good poll;
// - raises exactly one monitoring-blind alert (log and email) once 30
//   minutes have passed, and no second one on the next failure;
// - sends monitoring-restored on the next good poll, and is no longer blind.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAppWorld, type AppWorld } from "../support/app-world.js";
import { TEST_ACCOUNT } from "../support/config-file.js";

const TEN_MIN = 10 * 60_000;

describe("monitoring.blindAfter: blind after time without a good poll", () => {
  let w: AppWorld;
  let lastGoodAt: string;

  beforeAll(async () => {
    w = await startAppWorld({ extra: { monitoring: { blindAfterFailures: 100, blindAfter: "30m" } } });
  });

  afterAll(async () => {
    await w?.close();
  });

  const outboxKinds = (): string[] => (w.reader.prepare("SELECT channel || ':' || kind AS k FROM outbox ORDER BY id").all() as Array<{ k: string }>).map((r) => r.k);
  const target = (): { consecutive_failures: number; blind_since: string | null } =>
    w.reader.prepare("SELECT consecutive_failures, blind_since FROM targets").get() as { consecutive_failures: number; blind_since: string | null };

  it("baselines", async () => {
    const r = await w.poll();
    expect(r.targets[0]).toMatchObject({ ok: true, baseline: true });
    lastGoodAt = w.clock.iso();
  });

  it("is not blind after failures 10 and 20 minutes after the last good poll", async () => {
    w.harness.sim.faults.add({ kind: "auth-failure", action: "DescribeSecurityGroups" });
    for (let i = 1; i <= 2; i++) {
      w.clock.advance(TEN_MIN);
      const r = await w.poll();
      expect(r.targets[0]).toMatchObject({ ok: false, error: { code: "AuthFailure" } });
    }
    expect(target()).toEqual({ consecutive_failures: 2, blind_since: null });
    expect(outboxKinds()).toEqual([]);
    expect(await w.newMails()).toEqual([]);
  });

  it("raises one monitoring-blind alert once blindAfter has passed, though only 3 polls failed", async () => {
    w.clock.advance(TEN_MIN); // 30 min since the last good poll
    await w.poll();
    const firstFailed = w.reader.prepare("SELECT started_at FROM polls WHERE status = 'failed' ORDER BY id LIMIT 1").get() as { started_at: string };
    expect(target()).toEqual({ consecutive_failures: 3, blind_since: firstFailed.started_at });
    expect(outboxKinds()).toEqual(["log:monitoring-blind", "email:monitoring-blind"]);
    expect(w.log.events("monitoring-blind")).toEqual([expect.objectContaining({ level: "error", failures: 3, lastSuccessAt: lastGoodAt })]);
    const mails = await w.newMails();
    expect(mails.map((m) => m.subject)).toEqual([`[sgwatch] HIGH: monitoring blind for ${TEST_ACCOUNT} us-east-1 (3 failed polls)`]);
    expect(mails[0]?.text).toMatch(/rejected the credentials/);

    // Still failing: no second blind alert.
    w.clock.advance(TEN_MIN);
    await w.poll();
    expect(target().consecutive_failures).toBe(4);
    expect(outboxKinds()).toEqual(["log:monitoring-blind", "email:monitoring-blind"]);
    expect(await w.newMails()).toEqual([]);
  });

  it("sends monitoring-restored on the next good poll", async () => {
    w.harness.sim.faults.clear();
    w.clock.advance(TEN_MIN);
    const r = await w.poll();
    expect(r.targets[0]).toMatchObject({ ok: true });
    expect(target()).toEqual({ consecutive_failures: 0, blind_since: null });
    expect(outboxKinds()).toEqual(["log:monitoring-blind", "email:monitoring-blind", "log:monitoring-restored", "email:monitoring-restored"]);
    expect(w.log.events("monitoring-restored")).toHaveLength(1);
    expect((await w.newMails()).map((m) => m.subject)).toEqual([`[sgwatch] monitoring restored for ${TEST_ACCOUNT} us-east-1`]);
  });
});
