// `sgwatch run` limits how far V8 lets the old generation grow past its live
// data before a full collection (src/daemon/heap.ts): the daemon's peak RSS
// was garbage waiting for a collection, up to 4× the live heap. Proved on a
// child process shaped like a cycle (a live set that stays, objects that
// survive a few scavenges and die in the old generation): with the setting
// the heap in use peaks at about 2.0–2.2× what is live (1.5× in the old
// generation, plus the young generation and the round's own batch); without
// it, in the same child, V8 lets it reach about 4.8× (the control: the test
// can fail). The line between them is drawn at 3×, in the middle, so neither
// side's spread from run to run (±0.1×) can cross it.
// Heap sizes, not times: V8's sizing does not depend on the clock once the
// growing factor is fixed.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, assertBuilt } from "../support/cli.js";

const HEAP_MODULE = pathToFileURL(path.join(REPO_ROOT, "dist", "src", "daemon", "heap.js")).href;

// ~125 MB that stays (the state cache), then rounds of objects that outlive
// the young generation and die (a cycle's pages), with short-lived garbage.
const CHILD = `
const tuned = process.argv[1] === "on";
if (tuned) (await import(${JSON.stringify(HEAP_MODULE)})).limitHeapGrowth();
const live = [];
for (let i = 0; i < 400000; i++) live.push({ a: "state-" + i, b: [i, i + 1], c: { d: i } });
let peak = 0;
for (let round = 0; round < 60; round++) {
  const batch = [];
  for (let i = 0; i < 60000; i++) batch.push({ a: "page-" + i + "-" + round, b: [i], c: { d: i } });
  for (let k = 0; k < 3; k++) { const junk = []; for (let i = 0; i < 100000; i++) junk.push({ i }); }
  peak = Math.max(peak, process.memoryUsage().heapUsed);
}
globalThis.gc();
process.stdout.write(JSON.stringify({ peak, live: process.memoryUsage().heapUsed, kept: live.length }));
`;

function run(mode: "on" | "off"): { peak: number; live: number } {
  const out = execFileSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", CHILD, mode], { encoding: "utf8" });
  return JSON.parse(out) as { peak: number; live: number };
}

describe("the daemon's heap growth limit (src/daemon/heap.ts)", { timeout: 120_000 }, () => {
  it("collects old-generation garbage at under 3× the live heap, where V8 alone lets it grow past 3×", () => {
    assertBuilt();
    const tuned = run("on");
    const untuned = run("off");
    expect(tuned.peak / tuned.live).toBeLessThan(3);
    expect(untuned.peak / untuned.live).toBeGreaterThan(3);
  });
});
