// Figure 6: the CloudTrail sweep (issue 11). What a quiet trail costs — calls
// and CPU per target-cycle, and the unchanged fleet cycle with the sweep on
// against the same fleet with it off, in one run — and, on simulated time
// (bench/trail-process.ts), catching up a backlog of 10,000 events within
// LookupEvents' 2 calls/s budget and the lag from a call to its alert behind a
// 5-minute delivery delay.
import path from "node:path";
import { ChildLink } from "./ipc.js";
import type { SimCommands } from "./sim-commands.js";
import type { CycleFigures, DaemonCommands, SweepRun } from "./daemon-process.js";
import type { BacklogResult, LagResult, TrailCommands } from "./trail-process.js";
import type { BenchOptions } from "./options.js";
import type { Row } from "./report.js";
import { fleetLayout, FLEET_REGIONS } from "./fleet-figure.js";
import { FLEET_ACCESS_KEY_PREFIX } from "./fleet-client.js";
import { fmtMinutes, fmtMs, fmtRatio, median } from "./stats.js";

const MIN = 60_000;

/** One measured pair: the same fleet's unchanged cycle with the sweep off, then on. */
export interface TrailPair {
  off: CycleFigures;
  on: CycleFigures;
  /** on / off, wall time and CPU. */
  ratio: number;
  cpuRatio: number;
}

export interface TrailResult {
  targets: number;
  pairs: TrailPair[];
  /** Median of the pairs' ratios. */
  ratio: number;
  cpuRatio: number;
  /** LookupEvents calls per target-cycle in the measured cycles, as the daemon counted them and as the simulator did. */
  callsPerTargetCycle: number;
  simCallsPerTargetCycle: number;
  /** The sweep alone (App.sweep) on the quiet fleet, median of the runs. */
  sweepAlone: { ms: number; cpuMsPerTarget: number; runs: SweepRun[] };
  /** The simulator's counters over the whole figure (2 calls/s per account-region enforced). */
  throttled: number;
  maxPerSecond: number;
  backlog: BacklogResult;
  lag: LagResult;
}

/** The simulated-time figures, in their own child. */
async function simulatedTime(o: BenchOptions, workDir: string, log: (s: string) => void): Promise<{ backlog: BacklogResult; lag: LagResult }> {
  const trail = ChildLink.start<TrailCommands>("trail-sim", new URL("./trail-process.js", import.meta.url));
  try {
    const backlog = await trail.call("backlog", { events: o.trailBacklog, maxPagesPerCycle: 20, workDir });
    log(`trail: backlog of ${backlog.events} events stored after ${backlog.storedAfterCycles} cycles, re-read by ${backlog.cycles}, ${backlog.calls} calls, ${backlog.budgetSeconds.toFixed(1)} s of budget, ${backlog.throttled} throttled, max ${backlog.maxPerSecond}/s`);
    const delayMs = 5 * MIN;
    const cycleMs = 5 * MIN;
    // Calls at the start, inside and at the very end of a cycle: the worst waits almost a whole cycle after delivery.
    const lag = await trail.call("lag", { delayMs, cycleMs, offsetsMs: [1000, 60_000, 150_000, 240_000, cycleMs - 1000], workDir });
    log(`trail: lag call → alert ${lag.probes.map((p) => fmtMinutes(p.deliveredMs)).join(", ")} (bound ${fmtMinutes(lag.boundMs)})`);
    return { backlog, lag };
  } finally {
    await trail.stop();
  }
}

export async function runTrail(o: BenchOptions, sim: ChildLink<SimCommands>, workDir: string, approvalsDir: string, log: (s: string) => void): Promise<{ rows: Row[]; result: TrailResult }> {
  const layout = fleetLayout(o.trailTargets);
  const endpoint = await sim.call("endpoint", {});
  await sim.call("generateFleet", {
    accounts: layout.map((l) => l.account),
    regions: [...FLEET_REGIONS],
    groupsPerTarget: o.fleetGroups,
    rulesPerTarget: o.fleetRules,
    seed: 7,
    accessKeyPrefix: FLEET_ACCESS_KEY_PREFIX,
  });
  await sim.call("setLookupRateLimit", { perSecond: 2 });
  log(`trail: fleet of ${o.trailTargets} targets, sweep off and on, ${o.latencyMs} ms added to every call (LookupEvents too)`);
  const daemon = (on: boolean): ChildLink<DaemonCommands> =>
    ChildLink.start<DaemonCommands>(`trail-${on ? "on" : "off"}-daemon`, new URL("./daemon-process.js", import.meta.url), o.profile ? ["--cpu-prof", `--cpu-prof-dir=${workDir}`] : []);
  const off = daemon(false);
  const on = daemon(true);
  try {
    const config = (sweep: boolean) => ({
      database: path.join(workDir, `trail-${sweep ? "on" : "off"}.db`),
      concurrency: o.concurrency,
      aws: { fetchThreads: o.fetchThreads },
      targets: layout.map((l) => ({ account: l.account, roleArn: `arn:aws:iam::${l.account}:role/sgwatch`, regions: l.regions, endpoint })),
      approvals: { dir: approvalsDir },
      cloudtrail: { enabled: sweep },
    });
    await off.call("open", { config: config(false) });
    await on.call("open", { config: config(true) });
    await sim.call("setLatency", { ms: o.latencyMs });
    // Baselines, then warm-up pairs (a cycle keeps getting faster for a few
    // rounds as code is optimised), then measured pairs; off and on alternate
    // so machine noise hits both sides.
    await off.call("cycle", {});
    await on.call("cycle", {});
    const lookups = async (): Promise<number> => (await sim.call("lookupStats", {})).calls;
    const pairs: TrailPair[] = [];
    let simCalls = 0;
    for (let i = 0; i < 3 + o.reps; i++) {
      const a = await off.call("cycle", {});
      const before = await lookups();
      const b = await on.call("cycle", {});
      const calls = (await lookups()) - before;
      for (const [name, c] of [["off", a], ["on", b]] as const) {
        if (c.ok !== c.targets) throw new Error(`trail: sweep ${name}: ${c.targets - c.ok} targets failed (${c.errors.join(", ")})`);
      }
      if (b.trail.ok !== b.trail.targets || b.trail.targets !== o.trailTargets) throw new Error(`trail: ${b.trail.targets - b.trail.ok} of ${b.trail.targets} sweeps failed`);
      const label = i < 3 ? `warming up ${i + 1}` : `pair ${i - 2}`;
      log(`trail: ${label}: off ${fmtMs(a.ms)} (CPU ${fmtMs(a.cpuMs)}), on ${fmtMs(b.ms)} (CPU ${fmtMs(b.cpuMs)}), ${b.trail.calls} LookupEvents calls`);
      if (i >= 3) {
        pairs.push({ off: a, on: b, ratio: b.ms / a.ms, cpuRatio: b.cpuMs / a.cpuMs });
        simCalls += calls;
      }
    }
    const runs: SweepRun[] = [];
    for (let i = 0; i < o.reps; i++) runs.push(await on.call("sweep", {}));
    await sim.call("setLatency", { ms: 0 });
    const stats = await sim.call("lookupStats", {});
    const { backlog, lag } = await simulatedTime(o, workDir, log);
    const measuredCycles = pairs.length * o.trailTargets;
    const result: TrailResult = {
      targets: o.trailTargets,
      pairs,
      ratio: median(pairs.map((p) => p.ratio)),
      cpuRatio: median(pairs.map((p) => p.cpuRatio)),
      callsPerTargetCycle: pairs.reduce((n, p) => n + p.on.trail.calls, 0) / measuredCycles,
      simCallsPerTargetCycle: simCalls / measuredCycles,
      sweepAlone: { ms: median(runs.map((r) => r.ms)), cpuMsPerTarget: median(runs.map((r) => r.cpuMs / r.targets)), runs },
      throttled: stats.throttled,
      maxPerSecond: stats.maxPerSecond,
      backlog,
      lag,
    };
    const c = `conc. ${o.concurrency}, ${o.latencyMs} ms/call, ${o.fetchThreads} fetch threads`;
    const onMs = median(pairs.map((p) => p.on.ms));
    const offMs = median(pairs.map((p) => p.off.ms));
    const rows: Row[] = [
      {
        figure: "6. trail: LookupEvents calls per target-cycle, quiet trail",
        measured: `${result.callsPerTargetCycle.toFixed(2)} (simulator counted ${result.simCallsPerTargetCycle.toFixed(2)})`,
        target: "1",
        pass: result.callsPerTargetCycle === 1 && result.simCallsPerTargetCycle === 1,
        value: result.callsPerTargetCycle,
      },
      {
        figure: "6. trail: daemon CPU per target-cycle of a quiet sweep (App.sweep alone)",
        measured: `${fmtMs(result.sweepAlone.cpuMsPerTarget)} (${o.trailTargets} targets in ${fmtMs(result.sweepAlone.ms)}, median of ${runs.length})`,
        target: "",
        pass: null,
        value: result.sweepAlone.cpuMsPerTarget,
      },
      {
        figure: `6. trail: fleet ${o.trailTargets} targets, unchanged cycle sweep on / off (${c}), median of ${pairs.length} pairs`,
        measured: `${fmtRatio(result.ratio)} (${fmtMs(onMs)} vs ${fmtMs(offMs)}; CPU ${fmtRatio(result.cpuRatio)})`,
        target: "≤ 1.10×",
        pass: result.ratio <= 1.1,
        value: result.ratio,
      },
      {
        figure: "6. trail: LookupEvents throttled / most calls in one second per account-region (fleet)",
        measured: `${result.throttled} / ${result.maxPerSecond}`,
        target: "0 / ≤ 2",
        pass: result.throttled === 0 && result.maxPerSecond <= 2,
        value: result.throttled,
      },
      {
        figure: `6. trail: backlog of ${backlog.events} events caught up (simulated clock, 2 calls/s enforced)`,
        measured: `all ${backlog.stored} stored (once) after ${backlog.storedAfterCycles} cycles, ${backlog.storedAfterSeconds.toFixed(0)} s of budget; re-read for late events, done after ${backlog.cycles} cycles, ${backlog.calls} calls, ${backlog.budgetSeconds.toFixed(0)} s; ${backlog.throttled} throttled, max ${backlog.maxPerSecond}/s`,
        target: "all, 0 throttled, ≤ 2/s",
        pass: backlog.stored === backlog.events && backlog.throttled === 0 && backlog.maxPerSecond <= 2,
        value: backlog.budgetSeconds,
      },
      {
        figure: `6. trail: call → failed-attempts alert delivered, ${fmtMinutes(lag.delayMs)} delivery delay, ${fmtMinutes(lag.cycleMs)} cycle (simulated clock, worst of ${lag.probes.length})`,
        measured: `${fmtMinutes(lag.maxLagMs)} (${lag.probes.map((p) => fmtMinutes(p.deliveredMs)).join(", ")})`,
        target: `≤ ${fmtMinutes(lag.boundMs)}`,
        pass: lag.maxLagMs <= lag.boundMs,
        value: lag.maxLagMs,
      },
    ];
    return { rows, result };
  } finally {
    await off.stop();
    await on.stop();
  }
}
