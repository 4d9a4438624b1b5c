// `npm run bench [-- --full | flags]`: sgwatch measured against the floor of
// the EC2 API and against the limits of issue 5. Prints one table (figure,
// measured, target, PASS/FAIL) and writes bench/results.json.
//
// Processes: this one orchestrates; the simulator, the raw fetch, the daemon
// and the year simulation each run in their own child, so CPU and peak RSS are
// attributed to the right side.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ChildLink } from "./ipc.js";
import type { SimCommands } from "./sim-commands.js";
import { parseOptions, USAGE, type BenchOptions } from "./options.js";
import { machine, renderTable, writeResults, type Row } from "./report.js";
import { runFloor } from "./floor-figure.js";
import { runFleet } from "./fleet-figure.js";
import { runFleetYear, runYear } from "./year-figure.js";
import { runQueries } from "./query-figure.js";
import { runTrail } from "./trail-figure.js";
import { runReader } from "./reader-figure.js";

function log(s: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
}

/** A fresh simulator per figure: one figure's estate must not slow another's. */
async function withSimulator<T>(fn: (sim: ChildLink<SimCommands>) => Promise<T>): Promise<T> {
  const sim = ChildLink.start<SimCommands>("simulator", new URL("./sim-process.js", import.meta.url));
  try {
    return await fn(sim);
  } finally {
    await sim.stop();
  }
}

async function run(o: BenchOptions): Promise<number> {
  const started = Date.now();
  const workDir = o.workDir ?? mkdtempSync(path.join(os.tmpdir(), "sgwatch-bench-"));
  mkdirSync(workDir, { recursive: true });
  // An empty approvals directory: every change is unapproved, the costliest path.
  const approvalsDir = path.join(workDir, "approvals");
  mkdirSync(approvalsDir, { recursive: true });
  log(`${o.full ? "full" : "quick"} size; work directory ${workDir}`);
  const rows: Row[] = [];
  const results: Record<string, unknown> = {};
  try {
    if (o.only.includes("floor")) {
      const f = await withSimulator((sim) => runFloor(o, sim, workDir, approvalsDir, log));
      rows.push(...f.rows);
      results.floor = f.result;
    }
    if (o.only.includes("fleet")) {
      const f = await withSimulator((sim) => runFleet(o, sim, workDir, approvalsDir, log));
      rows.push(...f.rows);
      results.fleet = f.result;
    }
    if (o.only.includes("trail")) {
      const t = await withSimulator((sim) => runTrail(o, sim, workDir, approvalsDir, log));
      rows.push(...t.rows);
      results.trail = t.result;
    }
    if (o.only.includes("reader")) {
      const r = await runReader(o, workDir, log);
      rows.push(...r.rows);
      results.reader = r.result;
    }
    if (o.only.includes("year")) {
      const yearDb = path.join(workDir, "year.db");
      const y = await runYear(o, yearDb, workDir, log);
      rows.push(...y.rows);
      results.year = y.result;
      if (o.only.includes("queries")) {
        const q = runQueries(yearDb, y.result.endTime, o.queryReps, log);
        rows.push(...q.rows);
        results.queries = q.result;
      }
    }
    if (o.only.includes("fleetyear")) {
      const fleetYearDb = path.join(workDir, "fleet-year.db");
      const y = await runFleetYear(o, fleetYearDb, workDir, log);
      rows.push(...y.rows);
      results.fleetYear = y.result;
      if (o.only.includes("queries")) {
        const q = runQueries(fleetYearDb, y.result.endTime, o.queryReps, log, "fleet year");
        rows.push(...q.rows);
        results.fleetYearQueries = q.result;
      }
    }
  } finally {
    if (!o.workDir && !o.keepWorkDir) rmSync(workDir, { recursive: true, force: true });
  }
  const failed = rows.filter((r) => r.pass === false).length;
  const durationS = Math.round((Date.now() - started) / 1000);
  process.stdout.write(`\n${renderTable(rows)}\n\n${failed === 0 ? "all targets met" : `${failed} figure(s) FAIL`}; ${durationS} s; ${o.full ? "full" : "quick"} size\n`);
  writeResults(o.out, { ranAt: new Date(started).toISOString(), durationS, machine: machine(), options: o, rows, results });
  log(`results written to ${o.out}`);
  return 0;
}

let options: BenchOptions;
try {
  options = parseOptions(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n${USAGE === (e instanceof Error ? e.message : "") ? "" : `${USAGE}\n`}`);
  process.exit(2);
}
run(options).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`benchmark failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
