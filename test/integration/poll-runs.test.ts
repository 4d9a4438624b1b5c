// Unchanged polls coalesce into one row per run, with real parts: the
// simulator over HTTP, the real SDK, App's cycle writing a real SQLite file,
// and a fake five-minute clock. It proves:
// - the baseline, a poll with changes, a failure and the first good poll
//   after failures each keep a row of their own, with their own time;
// - a run of unchanged polls is one row (first start, last finish,
//   poll_count), extended in place: many more unchanged polls add no page to
//   the file;
// - a rule added at a poll still points at that poll's row, which still has
//   that poll's time;
// - the questions people ask of `polls` keep their answers: when was the
//   target last polled successfully, which polls failed and why (the
//   README's query), how many polls in a range (sum(poll_count)); a run
//   ends at UTC midnight, so polls per day are exact;
// - with aws.interfacesEvery 3, interfaces are still read on polls 1, 4, 7…
//   (a run row's interfaces_read is its last poll's);
// - the demo's story still tells each cycle's poll when it extends a run.
import { AuthorizeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import { afterEach, describe, expect, it } from "vitest";
import { startAppWorld, type AppWorld } from "../support/app-world.js";
import { INTRUDER } from "../support/sim-harness.js";
import { readCycleFacts, type StoryCursor } from "../../src/demo/cycle-story.js";

const FIVE_MIN = 5 * 60_000;
const ssh = { IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] };

interface Row {
  id: number;
  status: string;
  baseline: number;
  run: number;
  poll_count: number;
  started_at: string;
  finished_at: string;
  change_count: number | null;
  interfaces_read: number;
}

describe("coalesced polls", { timeout: 60_000 }, () => {
  let w: AppWorld;
  afterEach(async () => w?.close());

  /** Poll `n` times, five minutes apart; returns the time of each poll. */
  async function pollN(n: number): Promise<string[]> {
    const at: string[] = [];
    for (let i = 0; i < n; i++) {
      w.clock.advance(FIVE_MIN);
      at.push(w.clock.iso());
      await w.poll();
    }
    return at;
  }
  const rows = (): Row[] => w.reader.prepare("SELECT id, status, baseline, run, poll_count, started_at, finished_at, change_count, interfaces_read FROM polls ORDER BY id").all() as Row[];
  const pages = (): number => w.reader.pragma("page_count", { simple: true }) as number;

  it("keeps every change, failure and restored poll in full and runs of unchanged polls as one row each", async () => {
    w = await startAppWorld({ extra: { monitoring: { blindAfterFailures: 2 } } });
    const [base] = await pollN(1);
    const quiet = await pollN(3);
    await w.harness.client(INTRUDER).send(new AuthorizeSecurityGroupIngressCommand({ GroupId: w.harness.demo.groups.default, IpPermissions: [ssh] }));
    const [changed] = await pollN(1);
    const after = await pollN(2);
    w.harness.sim.faults.add({ kind: "internal-error", action: "DescribeSecurityGroups", count: 2 });
    const failed = await pollN(2);
    const [restored] = await pollN(1);
    const tail = await pollN(4);

    expect(rows().map((r) => [r.status, r.baseline, r.run, r.poll_count, r.started_at, r.finished_at])).toEqual([
      ["ok", 1, 0, 1, base, base],
      ["ok", 0, 1, 3, quiet[0], quiet[2]],
      ["ok", 0, 0, 1, changed, changed],
      ["ok", 0, 1, 2, after[0], after[1]],
      ["failed", 0, 0, 1, failed[0], failed[0]],
      ["failed", 0, 0, 1, failed[1], failed[1]],
      // Blind after two failures: the poll that restores it is its own row, then a new run.
      ["ok", 0, 0, 1, restored, restored],
      ["ok", 0, 1, 4, tail[0], tail[3]],
    ]);
    expect(w.reader.prepare("SELECT kind FROM outbox WHERE kind LIKE 'monitoring-%' AND channel = 'log' ORDER BY id").pluck().all()).toEqual(["monitoring-blind", "monitoring-restored"]);

    // The rule added at the changed poll points at that poll's row, which has that poll's time.
    const added = w.reader
      .prepare("SELECT r.added_at, p.finished_at, p.change_count FROM rule_versions r JOIN polls p ON p.id = r.added_poll_id WHERE r.source = '0.0.0.0/0' AND r.from_port = 22")
      .get() as { added_at: string; finished_at: string; change_count: number };
    expect(added).toEqual({ added_at: changed, finished_at: changed, change_count: 1 });
    expect(w.reader.prepare("SELECT c.time, p.finished_at FROM changes c JOIN polls p ON p.id = c.poll_id").all()).toEqual([{ time: changed, finished_at: changed }]);

    // Last successful poll, failures and why (the README's query), polls in a range.
    expect(w.reader.prepare("SELECT max(finished_at) FROM polls WHERE status = 'ok'").pluck().get()).toBe(tail[3]);
    const readmeFailed = w.reader
      .prepare("SELECT p.finished_at, t.account, t.region, p.error_code, p.error FROM polls p JOIN targets t ON t.id = p.target_id WHERE p.status = 'failed' ORDER BY p.id DESC LIMIT 20")
      .all() as Array<{ finished_at: string; error_code: string }>;
    expect(readmeFailed.map((r) => [r.finished_at, r.error_code])).toEqual([
      [failed[1], "InternalError"],
      [failed[0], "InternalError"],
    ]);
    expect(w.reader.prepare("SELECT sum(poll_count) FROM polls").pluck().get()).toBe(14);
    // Polls that started in [changed, restored): the changed one, the run after it, both failures.
    expect(w.reader.prepare("SELECT sum(poll_count) FROM polls WHERE started_at >= ? AND started_at < ?").pluck().get(changed, restored)).toBe(5);
  });

  it("adds no page to the file for a hundred more unchanged polls", async () => {
    w = await startAppWorld();
    await pollN(3);
    w.app.db.pragma("wal_checkpoint(TRUNCATE)");
    const before = pages();
    const last = await pollN(100);
    w.app.db.pragma("wal_checkpoint(TRUNCATE)");
    expect(pages()).toBe(before);
    expect(rows().slice(-1)[0]).toMatchObject({ run: 1, poll_count: 102, finished_at: last[99] });
    expect(rows()).toHaveLength(2);
  });

  it("tells the demo's story of every cycle, a run extended in place included", async () => {
    w = await startAppWorld();
    const cursor: StoryCursor = { pollId: 0, finishedAt: "", outboxId: 0 };
    const told: Array<Array<[string, number]>> = [];
    for (let i = 0; i < 4; i++) {
      await pollN(1);
      told.push(readCycleFacts(w.reader, cursor).polls.map((p) => [p.status, p.baseline]));
    }
    // Baseline, the run's first poll, then the same run row told again as it grows.
    expect(told).toEqual([[["ok", 1]], [["ok", 0]], [["ok", 0]], [["ok", 0]]]);
    expect(rows()).toHaveLength(2);
  });

  it("ends a run at UTC midnight, so polls per day are exact", async () => {
    w = await startAppWorld();
    await pollN(1); // 10:05, baseline
    const evening = await pollN(2); // 10:10, 10:15
    w.clock.advance(Date.parse("2026-03-02T23:55:00.000Z") - w.clock.now().getTime() - FIVE_MIN);
    const late = await pollN(2); // 23:55, 00:00 the next day
    expect(rows().map((r) => [r.run, r.poll_count, r.started_at, r.finished_at])).toEqual([
      [0, 1, expect.any(String), expect.any(String)],
      [1, 3, evening[0], late[0]],
      [1, 1, late[1], late[1]],
    ]);
    expect(w.reader.prepare("SELECT substr(started_at, 1, 10) AS day, sum(poll_count) AS polls FROM polls GROUP BY 1 ORDER BY 1").all()).toEqual([
      { day: "2026-03-02", polls: 4 },
      { day: "2026-03-03", polls: 1 },
    ]);
  });

  it("reads interfaces on every third poll as before, and a run row's interfaces_read is its last poll's", async () => {
    w = await startAppWorld({ extra: { aws: { maxAttempts: 1, timeout: "5s", interfacesEvery: 3 } } });
    const dniCalls = (): number => w.harness.sim.requests.filter((r) => r.action === "DescribeNetworkInterfaces").length;
    await pollN(1);
    await pollN(8);
    expect(dniCalls()).toBe(3); // polls 1, 4, 7
    // Baseline (read); run 2-4 ending in a read; run 5-7 ending in a read; run 8-9 (no read yet).
    expect(rows().map((r) => [r.poll_count, r.interfaces_read])).toEqual([
      [1, 1],
      [3, 1],
      [3, 1],
      [2, 0],
    ]);
    await pollN(1);
    expect(dniCalls()).toBe(4); // poll 10
  });
});
