// Smoke check of the scale benchmark (bench/, issues 5, 11 and 14): a small size runs end
// to end — simulator, raw fetch, daemon, year, trail and reader children, every figure — and
// writes results.json with a row per figure. Proves the benchmark still runs
// against the current code; asserts nothing about timings (CI machines vary).
// Runs the compiled benchmark, so `npm test` (which builds first) is the way in.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
const entry = path.join(root, "dist/bench/main.js");
const dir = mkdtempSync(path.join(os.tmpdir(), "sgwatch-bench-smoke-"));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Results {
  rows: { figure: string; measured: string; target: string; pass: boolean | null }[];
  results: Record<string, unknown>;
}

describe("npm run bench (quick size)", () => {
  it("prints every figure and writes results.json", { timeout: 300_000 }, () => {
    expect(existsSync(entry), `${entry} is missing: run \`npm run build\` first`).toBe(true);
    const out = path.join(dir, "results.json");
    // Smaller than the quick size: this proves every figure runs, not how fast, and must stay short on a loaded machine.
    const small = ["--groups", "200", "--rules", "2000", "--reps", "2", "--targets", "60", "--fleet-year-targets", "10", "--query-reps", "5"];
    const run = spawnSync(process.execPath, [entry, ...small, "--out", out, "--work-dir", path.join(dir, "work")], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
      timeout: 290_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^figure\s+measured\s+target\s+result/m);
    const results = JSON.parse(readFileSync(out, "utf8")) as Results;
    expect(Object.keys(results.results).sort()).toEqual(["fleet", "fleetYear", "fleetYearQueries", "floor", "queries", "reader", "trail", "year"]);
    for (const prefix of ["1. ", "2. ", "3. ", "4. ", "5. ", "6. ", "7. "]) {
      expect(results.rows.some((r) => r.figure.startsWith(prefix)), `a row for figure ${prefix}`).toBe(true);
    }
    // Correctness, not speed: every fleet target was polled, throttled or not.
    expect(results.rows.filter((r) => r.figure.includes("targets ok") || r.figure.includes("polled ok")).every((r) => r.pass === true)).toBe(true);
    // The sweep's accounting (calls, throttles, backlog, lag) is counted, not timed: it holds on any machine.
    for (const f of ["calls per target-cycle", "throttled", "backlog of", "failed-attempts alert delivered"]) {
      const row = results.rows.find((r) => r.figure.startsWith("6. ") && r.figure.includes(f));
      expect(row, `figure 6 row "${f}"`).toBeDefined();
      expect(row?.pass, `${row?.figure}: ${row?.measured}`).toBe(true);
    }
  });
});
