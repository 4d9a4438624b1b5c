// The LookupEvents budget: at most N calls per window per account-region,
// waiting (not failing) for a turn; keys do not share turns. Time is a fake
// clock the budget's sleep moves, so the order of turns is exact.
import { describe, expect, it } from "vitest";
import { RateBudget } from "../../../src/trail/budget.js";
import { fakeClock } from "../../support/fake-clock.js";

function budget(perWindow = 2, windowMs = 1000) {
  const clock = fakeClock();
  const start = clock.now().getTime();
  const b = new RateBudget({ perWindow, windowMs, now: () => clock.now().getTime(), sleep: async (ms) => void clock.advance(ms) });
  const at = (): number => clock.now().getTime() - start;
  return { b, at };
}

describe("RateBudget", () => {
  it("gives two turns a second per key and makes the third wait for the first to leave the window", async () => {
    const { b, at } = budget();
    const turns: number[] = [];
    for (let i = 0; i < 5; i++) {
      await b.take("123456789012/us-east-1");
      turns.push(at());
    }
    expect(turns).toEqual([0, 0, 1000, 1000, 2000]);
  });

  it("never lets more than two turns into any window, with callers taking turns concurrently", async () => {
    // A fake timer queue: sleepers wake in deadline order, the clock jumping to each deadline.
    const clock = fakeClock();
    const start = clock.now().getTime();
    const sleepers: Array<{ at: number; wake: () => void }> = [];
    const b = new RateBudget({
      perWindow: 2,
      windowMs: 1000,
      now: () => clock.now().getTime(),
      sleep: (ms) => new Promise<void>((wake) => sleepers.push({ at: clock.now().getTime() + ms, wake })),
    });
    const turns: number[] = [];
    let done = 0;
    for (let i = 0; i < 7; i++) void b.take("k").then(() => (turns.push(clock.now().getTime() - start), done++));
    while (done < 7) {
      await new Promise((r) => setImmediate(r));
      sleepers.sort((x, y) => x.at - y.at);
      const next = sleepers.shift();
      if (next === undefined) continue;
      clock.advance(Math.max(0, next.at - clock.now().getTime()));
      next.wake();
    }
    turns.sort((x, y) => x - y);
    expect(turns).toEqual([0, 0, 1000, 1000, 2000, 2000, 3000]);
    for (const t of turns) expect(turns.filter((u) => u > t - 1000 && u <= t).length).toBeLessThanOrEqual(2);
    expect(turns).toHaveLength(7);
  });

  it("keeps each account-region's turns apart", async () => {
    const { b, at } = budget();
    for (const key of ["a/us-east-1", "a/us-east-1", "a/eu-west-1", "b/us-east-1", "a/eu-west-1"]) await b.take(key);
    expect(at()).toBe(0);
  });

  it("stops waiting when aborted", async () => {
    const clock = fakeClock();
    const b = new RateBudget({ perWindow: 1, windowMs: 1000, now: () => clock.now().getTime(), sleep: async () => undefined });
    await b.take("k");
    const stop = new AbortController();
    const waiting = b.take("k", stop.signal);
    stop.abort(new Error("shutting down"));
    await expect(waiting).rejects.toThrow("shutting down");
  });
});
