// Figure 3b: a year of five-minute polls through the store's own code, its
// size on disk and the store's cost per poll, for the issue's one big account
// and (3c) for a fleet of 1,000 small targets. When the run is smaller than
// the year it stands for (quick mode, or cut by the time budget) the year is
// projected from what was measured, and the row says so.
import { ChildLink } from "./ipc.js";
import type { YearCommands, YearParams, YearResult } from "./year-process.js";
import type { BenchOptions } from "./options.js";
import type { Row } from "./report.js";
import { fmtBytes, fmtMs } from "./stats.js";

/** A year to size: targets, each with this many groups and rules, and the fleet's daily churn. */
export interface YearShape {
  targets: number;
  groups: number;
  rules: number;
  days: number;
  dailyChurn: number;
}

/** The issue's year: one target of 10,000 groups, 100,000 rules, 0.1% daily churn, 105,120 polls. */
export const ISSUE_YEAR: YearShape = { targets: 1, groups: 10_000, rules: 100_000, days: 365, dailyChurn: 0.001 };
/** Issue 14's fleet year: 1,000 targets shaped like figure 4's (20 groups, 100 rules), the same churn. */
export const FLEET_YEAR: YearShape = { targets: 1000, groups: 20, rules: 100, days: 365, dailyChurn: 0.001 };
const POLLS_PER_DAY = 288;

/**
 * Size of `year` from per-unit costs measured on a smaller run: baseline ×
 * (rules in the year / rules run) + target-polls × bytes per unchanged
 * target-poll + changes × bytes per change (delivered alerts kept only
 * alerts.keepSent).
 */
export function projectYearBytes(r: YearResult, run: { targets: number; rules: number }, year: YearShape): number {
  const baseline = r.baselineBytes * ((year.targets * year.rules) / (run.targets * run.rules));
  const polls = year.targets * year.days * POLLS_PER_DAY * r.bytesPerUnchangedPoll;
  const changeCount = year.days * year.targets * year.rules * year.dailyChurn;
  // Delivered alerts live only alerts.keepSent (the daemon prunes them); the rest of a change stays for good.
  const kept = r.bytesPerChange - r.outboxBytesPerChange;
  const outbox = r.outboxBytesPerChange * Math.min(1, r.keepSentDays / year.days);
  return baseline + polls + changeCount * (kept + outbox);
}

type YearRun = YearResult & { projectedBytes: number; complete: boolean };

/** Run one simulated year in its own child; measured when it ran to the end at `year`'s size, projected otherwise. */
async function simulate(o: BenchOptions, name: string, params: Omit<YearParams, "seed">, year: YearShape, workDir: string, log: (s: string) => void): Promise<{ r: YearRun; how: string; measuredAtSize: boolean }> {
  const execArgv = o.profile ? ["--cpu-prof", `--cpu-prof-dir=${workDir}`] : [];
  const child = ChildLink.start<YearCommands>(name, new URL("./year-process.js", import.meta.url), execArgv);
  let r: YearResult;
  try {
    log(`${name}: ${params.days} days of ${params.targets} × ${params.groups} groups/${params.rules} rules, budget ${params.budgetMs / 1000} s${o.profile ? `, CPU profile in ${workDir}` : ""}`);
    r = await child.call("run", { ...params, seed: 11 });
  } finally {
    await child.stop();
  }
  const complete = r.pollsDone === r.pollsPlanned;
  const atSize = complete && params.targets === year.targets && params.groups === year.groups && params.rules === year.rules && params.days === year.days && params.dailyChurn === year.dailyChurn;
  const projectedBytes = atSize ? r.finalBytes : projectYearBytes(r, params, year);
  const daysDone = (r.pollsDone / POLLS_PER_DAY).toFixed(1);
  log(`${name}: ${r.pollsDone}/${r.pollsPlanned} polls (${daysDone} days) of ${params.targets} targets, ${r.changesDone} changes in ${fmtMs(r.elapsedMs)}; DB ${fmtBytes(r.finalBytes)}`);
  const how = atSize
    ? "measured"
    : `PROJECTED from ${daysDone} days of ${params.targets} × ${params.groups} groups/${params.rules} rules (${fmtBytes(r.baselineBytes)} baseline, ${r.bytesPerUnchangedPoll.toFixed(2)} B/target-poll, ${fmtBytes(r.bytesPerChange)}/change of which ${fmtBytes(r.outboxBytesPerChange)} delivered alerts, kept ${r.keepSentDays} days)`;
  return { r: { ...r, projectedBytes, complete }, how, measuredAtSize: atSize };
}

export async function runYear(o: BenchOptions, dbFile: string, workDir: string, log: (s: string) => void): Promise<{ rows: Row[]; result: YearRun }> {
  const { r, how, measuredAtSize } = await simulate(
    o,
    "year",
    { dbFile, targets: 1, groups: o.yearGroups, rules: o.yearRules, days: o.yearDays, dailyChurn: o.yearChurn, budgetMs: o.yearBudgetS * 1000 },
    ISSUE_YEAR,
    workDir,
    log,
  );
  const rows: Row[] = [
    {
      // Diagnostic, no target of its own: figure 1 prices the whole cycle against the fetch.
      figure: `3. year: store cost of an unchanged poll (${o.yearGroups} groups), median`,
      measured: `${fmtMs(r.unchangedPollMsMedian)}, ${((r.unchangedPollMsMedian * 1000) / o.yearGroups).toFixed(2)} µs per group (p95 ${fmtMs(r.unchangedPollMsP95)}; changed ${r.changedPollMsMedian === null ? "n/a" : fmtMs(r.changedPollMsMedian)}; baseline ${fmtMs(r.baselineMs)})`,
      target: "",
      pass: null,
      value: r.unchangedPollMsMedian,
    },
    {
      figure: "3. year: DB bytes per unchanged poll (store path, amortised over a quiet day)",
      measured: `${r.bytesPerUnchangedPoll.toFixed(2)} B`,
      target: "≤ 5 B",
      pass: r.bytesPerUnchangedPoll <= 5,
      value: r.bytesPerUnchangedPoll,
    },
    {
      figure: "3. year of 5-min polls, 10,000 groups, 0.1%/day churn: DB size",
      measured: `${fmtBytes(r.projectedBytes)} — ${how}`,
      target: "< 100 MB",
      // A projection is no measurement: it has read 15% low against a full
      // year (83 MB projected from the quick size, 97.7 MB measured), so only
      // a year run to its end (--full) passes or fails.
      pass: measuredAtSize ? r.projectedBytes < 100 * 1024 * 1024 : null,
      value: r.projectedBytes,
    },
  ];
  return { rows, result: r };
}

/** Figure 3c: a year of a 1,000-target fleet; projected unless run to its end at that size. */
export async function runFleetYear(o: BenchOptions, dbFile: string, workDir: string, log: (s: string) => void): Promise<{ rows: Row[]; result: YearRun }> {
  const { r, how, measuredAtSize } = await simulate(
    o,
    "fleet-year",
    { dbFile, targets: o.fleetYearTargets, groups: FLEET_YEAR.groups, rules: FLEET_YEAR.rules, days: o.fleetYearDays, dailyChurn: o.yearChurn, budgetMs: o.fleetYearBudgetS * 1000 },
    FLEET_YEAR,
    workDir,
    log,
  );
  const GB = 1024 ** 3;
  const rows: Row[] = [
    {
      figure: `3. fleet year: DB bytes per unchanged target-cycle (${o.fleetYearTargets} targets, amortised over a quiet day)`,
      measured: `${r.bytesPerUnchangedPoll.toFixed(2)} B (before coalescing: 86–102 B)`,
      target: "≤ 5 B",
      pass: r.bytesPerUnchangedPoll <= 5,
      value: r.bytesPerUnchangedPoll,
    },
    {
      figure: "3. year of 5-min polls, 1,000 targets × 100 rules, 0.1%/day churn: DB size",
      measured: `${fmtBytes(r.projectedBytes)} — ${how}`,
      target: "< 1 GB",
      // Projections have read up to 15% low (figure 3b); a projection passes
      // only with twice that margin and more: below half the target.
      pass: measuredAtSize ? r.projectedBytes < GB : r.projectedBytes < GB / 2 ? true : null,
      value: r.projectedBytes,
    },
  ];
  return { rows, result: r };
}
