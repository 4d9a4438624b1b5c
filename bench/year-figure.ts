// Figure 3b: a year of five-minute polls through the store's own code, its
// size on disk and the store's cost per poll. When the run is smaller than the
// issue's (quick mode, or cut by the time budget) the year is projected from
// what was measured, and the row says so.
import { ChildLink } from "./ipc.js";
import type { YearCommands, YearResult } from "./year-process.js";
import type { BenchOptions } from "./options.js";
import type { Row } from "./report.js";
import { fmtBytes, fmtMs } from "./stats.js";

/** The issue's year: 10,000 groups, 100,000 rules, 0.1% daily churn, 105,120 polls. */
export const ISSUE_YEAR = { groups: 10_000, rules: 100_000, days: 365, dailyChurn: 0.001 };
const POLLS_PER_DAY = 288;

/** Size of the issue's year from per-unit costs measured on a smaller run. */
export function projectYearBytes(r: YearResult, runRules: number): number {
  const baseline = r.baselineBytes * (ISSUE_YEAR.rules / runRules);
  const polls = ISSUE_YEAR.days * POLLS_PER_DAY * r.bytesPerUnchangedPoll;
  const changeCount = ISSUE_YEAR.days * ISSUE_YEAR.rules * ISSUE_YEAR.dailyChurn;
  // Delivered alerts live only alerts.keepSent (the daemon prunes them); the rest of a change stays for good.
  const kept = r.bytesPerChange - r.outboxBytesPerChange;
  const outbox = r.outboxBytesPerChange * Math.min(1, r.keepSentDays / ISSUE_YEAR.days);
  return baseline + polls + changeCount * (kept + outbox);
}

export async function runYear(o: BenchOptions, dbFile: string, workDir: string, log: (s: string) => void): Promise<{ rows: Row[]; result: YearResult & { projectedBytes: number; complete: boolean } }> {
  const execArgv = o.profile ? ["--cpu-prof", `--cpu-prof-dir=${workDir}`] : [];
  const child = ChildLink.start<YearCommands>("year", new URL("./year-process.js", import.meta.url), execArgv);
  let r: YearResult;
  try {
    log(`year: ${o.yearDays} days of ${o.yearGroups} groups/${o.yearRules} rules, budget ${o.yearBudgetS} s${o.profile ? `, CPU profile in ${workDir}` : ""}`);
    r = await child.call("run", { dbFile, groups: o.yearGroups, rules: o.yearRules, days: o.yearDays, dailyChurn: o.yearChurn, seed: 11, budgetMs: o.yearBudgetS * 1000 });
  } finally {
    await child.stop();
  }
  const complete = r.pollsDone === r.pollsPlanned;
  const issueScale = complete && o.yearGroups === ISSUE_YEAR.groups && o.yearRules === ISSUE_YEAR.rules && o.yearDays === ISSUE_YEAR.days && o.yearChurn === ISSUE_YEAR.dailyChurn;
  const projectedBytes = issueScale ? r.finalBytes : projectYearBytes(r, o.yearRules);
  const daysDone = (r.pollsDone / POLLS_PER_DAY).toFixed(1);
  log(`year: ${r.pollsDone}/${r.pollsPlanned} polls (${daysDone} days), ${r.changesDone} changes in ${fmtMs(r.elapsedMs)}; DB ${fmtBytes(r.finalBytes)}`);
  const how = issueScale
    ? "measured"
    : `PROJECTED from ${daysDone} days of ${o.yearGroups} groups/${o.yearRules} rules (${fmtBytes(r.baselineBytes)} baseline, ${fmtBytes(r.bytesPerUnchangedPoll)}/poll, ${fmtBytes(r.bytesPerChange)}/change of which ${fmtBytes(r.outboxBytesPerChange)} delivered alerts, kept ${r.keepSentDays} days)`;
  const rows: Row[] = [
    {
      // Diagnostic, no target of its own: figure 1 prices the whole cycle against the fetch.
      figure: `3. year: store cost of an unchanged poll (${o.yearGroups} groups), median`,
      measured: `${fmtMs(r.unchangedPollMsMedian)}, ${((r.unchangedPollMsMedian * 1000) / o.yearGroups).toFixed(2)} µs per group (p95 ${fmtMs(r.unchangedPollMsP95)}; changed ${r.changedPollMsMedian === null ? "n/a" : fmtMs(r.changedPollMsMedian)}; baseline ${fmtMs(r.baselineMs)})`,
      target: "",
      pass: null,
      value: r.unchangedPollMsMedian,
    },
    { figure: "3. year: DB bytes per unchanged poll (store path)", measured: fmtBytes(r.bytesPerUnchangedPoll), target: "≤ 1 KB", pass: r.bytesPerUnchangedPoll <= 1024, value: r.bytesPerUnchangedPoll },
    {
      figure: "3. year of 5-min polls, 10,000 groups, 0.1%/day churn: DB size",
      measured: `${fmtBytes(projectedBytes)} — ${how}`,
      target: "< 100 MB",
      // A projection is no measurement: it has read 15% low against a full
      // year (83 MB projected from the quick size, 97.7 MB measured), so only
      // a year run to its end (--full) passes or fails.
      pass: issueScale ? projectedBytes < 100 * 1024 * 1024 : null,
      value: projectedBytes,
    },
  ];
  return { rows, result: { ...r, projectedBytes, complete } };
}
