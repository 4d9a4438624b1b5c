// Proves mapPool's contract (src/util/pool.ts), which bounds how many targets
// a cycle polls at once (`concurrency`):
// - never more than `limit` items in flight, and exactly `limit` when there is
//   enough work (so the bound is reached, not merely respected by running one);
// - results in the order of the items, whatever order they finish in;
// - items started in order;
// - a limit larger than the number of items runs every item at once.
import { describe, expect, it } from "vitest";
import { mapPool } from "../../../src/util/pool.js";

/** A promise with its resolve handle, so the test decides when each item finishes. */
interface Gate {
  promise: Promise<void>;
  open(): void;
}

function gate(): Gate {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

/** Let every queued promise callback run. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/** Runs mapPool over `n` items whose completion the test controls, recording starts and the in-flight peak. */
function controlled(n: number, limit: number) {
  const gates = Array.from({ length: n }, gate);
  const started: number[] = [];
  let inFlight = 0;
  let peak = 0;
  const done = mapPool(
    Array.from({ length: n }, (_, i) => i),
    limit,
    async (item, index) => {
      expect(index).toBe(item);
      started.push(item);
      inFlight++;
      peak = Math.max(peak, inFlight);
      await gates[item]?.promise;
      inFlight--;
      return `r${item}`;
    },
  );
  return { gates, started, done, inFlight: () => inFlight, peak: () => peak };
}

describe("mapPool", () => {
  it.each([
    { n: 6, limit: 2 },
    { n: 7, limit: 3 },
    { n: 5, limit: 1 },
  ])("keeps at most $limit of $n in flight, starts them in order and keeps the order of results", async ({ n, limit }) => {
    const run = controlled(n, limit);
    await settle();
    expect(run.started).toEqual(Array.from({ length: limit }, (_, i) => i));
    expect(run.inFlight()).toBe(limit);
    // Finish them last-started-first where possible, so completion order differs from item order.
    const finishOrder: number[] = [];
    while (finishOrder.length < n) {
      const running = run.started.filter((i) => !finishOrder.includes(i));
      const pick = running[running.length - 1] as number;
      finishOrder.push(pick);
      run.gates[pick]?.open();
      await settle();
      expect(run.inFlight()).toBeLessThanOrEqual(limit);
    }
    expect(await run.done).toEqual(Array.from({ length: n }, (_, i) => `r${i}`));
    expect(run.peak()).toBe(limit);
    expect(run.started).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it("starts every item at once when the limit exceeds the number of items", async () => {
    const run = controlled(3, 10);
    await settle();
    expect(run.started).toEqual([0, 1, 2]);
    expect(run.inFlight()).toBe(3);
    for (const g of [...run.gates].reverse()) g.open();
    expect(await run.done).toEqual(["r0", "r1", "r2"]);
    expect(run.peak()).toBe(3);
  });

  it("takes the next item as soon as one finishes, not when a whole batch does", async () => {
    const run = controlled(4, 2);
    await settle();
    run.gates[1]?.open(); // item 0 still running
    await settle();
    expect(run.started).toEqual([0, 1, 2]);
    expect(run.inFlight()).toBe(2);
    for (const g of run.gates) g.open();
    await run.done;
  });

  it("returns an empty array for no items without calling the worker", async () => {
    let calls = 0;
    expect(
      await mapPool([], 4, async () => {
        calls++;
        return 1;
      }),
    ).toEqual([]);
    expect(calls).toBe(0);
  });
});
