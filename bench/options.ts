// Benchmark sizes: a quick default that finishes in under two minutes on two
// cores, `--full` for the sizes of issue 5, and a flag for every size so a
// single figure can be re-run at any scale.
import { parseArgs } from "node:util";

/** Which figures to run. */
export const FIGURES = ["floor", "fleet", "year", "fleetyear", "queries", "trail", "reader"] as const;
export type Figure = (typeof FIGURES)[number];

export interface BenchOptions {
  full: boolean;
  /** Figure 1–3a: one target's groups and rules. */
  groups: number;
  rules: number;
  /** Repetitions of each floor/cycle measurement (medians are reported). */
  reps: number;
  /** Unchanged cycles for the memory-growth and bytes-per-cycle figures. */
  growthCycles: number;
  /** Figure 4: account × region targets, groups and rules each. */
  targets: number;
  fleetGroups: number;
  fleetRules: number;
  latencyMs: number;
  concurrency: number;
  /**
   * Figure 4: alternated pairs of a daemon cycle and a round of the SDK alone.
   * The figure is the median pair's ratio; the SDK alone's rounds swing by
   * up to ±10 % on these shared cores (it keeps its thread nearly busy), so
   * nine at full size: with five, eleven runs' medians read 0.87–1.00×, one
   * of them just over 1.0 (docs/performance.md).
   */
  fleetPairs: number;
  /**
   * aws.fetchThreads of the fleet's and the trail's daemons. Default 0, the
   * daemon's own default: with the stream reader and pages read once, two
   * workers cost more CPU per poll (the hops) than they save on these 2 cores
   * (docs/performance.md, "Figure 4 on the main thread").
   */
  fetchThreads: number;
  /** aws.reader of every daemon: sgwatch's streaming reader or the SDK's deserialiser. */
  reader: "stream" | "sdk";
  throttle: number;
  /** Figure 3b: the simulated year's account, days and churn. */
  yearGroups: number;
  yearRules: number;
  yearDays: number;
  yearChurn: number;
  /** Wall-clock budget for the year; beyond it the rest is extrapolated. */
  yearBudgetS: number;
  /** Figure 3c: the fleet year's targets (20 groups/100 rules each), days and budget. */
  fleetYearTargets: number;
  fleetYearDays: number;
  fleetYearBudgetS: number;
  /** Run the daemon and year children under --cpu-prof (profiles written to the work directory, which is kept). */
  profile: boolean;
  queryReps: number;
  /** Figure 6: targets of the sweep-on/off fleet, and events in the backlog (simulated time). */
  trailTargets: number;
  trailBacklog: number;
  /** Figure 7: polls per round and rounds per reader of the reader-alone CPU figure. */
  readerPolls: number;
  readerRounds: number;
  only: Figure[];
  out: string;
  /** Where databases go; a fresh temporary directory by default. */
  workDir: string | null;
  keepWorkDir: boolean;
}

const QUICK = { groups: 500, rules: 5000, reps: 3, growthCycles: 20, targets: 200, fleetPairs: 3, fleetGroups: 20, fleetRules: 100, yearGroups: 300, yearRules: 3000, yearDays: 3, yearBudgetS: 25, fleetYearTargets: 20, fleetYearDays: 3, fleetYearBudgetS: 20, queryReps: 15, trailTargets: 100, trailBacklog: 10_000, readerPolls: 40, readerRounds: 3 };
// Full: five pairs per ratio (the 100,000-rule ratios move by ±0.1 between runs
// of three), and a budget that lets the year run to its end, so its size is
// measured rather than projected (about 15 minutes on 2 cores).
const FULL = { groups: 10_000, rules: 100_000, reps: 5, growthCycles: 50, targets: 1000, fleetPairs: 9, fleetGroups: 20, fleetRules: 100, yearGroups: 10_000, yearRules: 100_000, yearDays: 365, yearBudgetS: 2400, fleetYearTargets: 1000, fleetYearDays: 365, fleetYearBudgetS: 1200, queryReps: 25, trailTargets: 1000, trailBacklog: 10_000, readerPolls: 400, readerRounds: 7 };

export const USAGE = `usage: npm run bench -- [--full] [--groups N] [--rules N] [--reps N] [--growth-cycles N]
  [--targets N] [--fleet-pairs N] [--fleet-groups N] [--fleet-rules N] [--latency MS] [--concurrency N] [--fetch-threads N] [--reader stream|sdk] [--throttle P]
  [--year-groups N] [--year-rules N] [--year-days N] [--year-churn F] [--year-budget S] [--profile]
  [--fleet-year-targets N] [--fleet-year-days N] [--fleet-year-budget S]
  [--query-reps N] [--trail-targets N] [--trail-backlog N] [--reader-polls N] [--reader-rounds N]
  [--only floor,fleet,year,fleetyear,queries,trail,reader] [--out FILE] [--work-dir DIR] [--keep]`;

function positive(name: string, text: string | undefined, fallback: number, opts: { integer?: boolean; allowZero?: boolean } = {}): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  const integer = opts.integer ?? true;
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < 0 || (n === 0 && !opts.allowZero)) {
    throw new Error(`--${name} expects a ${integer ? "whole " : ""}number${opts.allowZero ? " >= 0" : " > 0"}, got "${text}"`);
  }
  return n;
}

function readerOption(text: string | undefined): "stream" | "sdk" {
  if (text === undefined) return "stream";
  if (text === "stream" || text === "sdk") return text;
  throw new Error(`--reader expects stream or sdk, got "${text}"`);
}

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      full: { type: "boolean", default: false },
      groups: { type: "string" },
      rules: { type: "string" },
      reps: { type: "string" },
      "growth-cycles": { type: "string" },
      targets: { type: "string" },
      "fleet-pairs": { type: "string" },
      "fleet-groups": { type: "string" },
      "fleet-rules": { type: "string" },
      latency: { type: "string" },
      concurrency: { type: "string" },
      "fetch-threads": { type: "string" },
      reader: { type: "string" },
      throttle: { type: "string" },
      "year-groups": { type: "string" },
      "year-rules": { type: "string" },
      "year-days": { type: "string" },
      "year-churn": { type: "string" },
      "year-budget": { type: "string" },
      "fleet-year-targets": { type: "string" },
      "fleet-year-days": { type: "string" },
      "fleet-year-budget": { type: "string" },
      "profile": { type: "boolean", default: false },
      "query-reps": { type: "string" },
      "trail-targets": { type: "string" },
      "trail-backlog": { type: "string" },
      "reader-polls": { type: "string" },
      "reader-rounds": { type: "string" },
      only: { type: "string" },
      out: { type: "string" },
      "work-dir": { type: "string" },
      keep: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) throw new Error(USAGE);
  const base = values.full ? FULL : QUICK;
  const only = values.only === undefined ? [...FIGURES] : values.only.split(",").map((s) => s.trim());
  for (const f of only) if (!(FIGURES as readonly string[]).includes(f)) throw new Error(`--only: unknown figure "${f}" (one of ${FIGURES.join(", ")})`);
  const o: BenchOptions = {
    full: values.full,
    groups: positive("groups", values.groups, base.groups),
    rules: positive("rules", values.rules, base.rules),
    reps: positive("reps", values.reps, base.reps),
    growthCycles: positive("growth-cycles", values["growth-cycles"], base.growthCycles),
    targets: positive("targets", values.targets, base.targets),
    fleetPairs: positive("fleet-pairs", values["fleet-pairs"], base.fleetPairs),
    fleetGroups: positive("fleet-groups", values["fleet-groups"], base.fleetGroups),
    fleetRules: positive("fleet-rules", values["fleet-rules"], base.fleetRules),
    latencyMs: positive("latency", values.latency, 50, { allowZero: true }),
    concurrency: positive("concurrency", values.concurrency, 16),
    fetchThreads: positive("fetch-threads", values["fetch-threads"], 0, { allowZero: true }),
    reader: readerOption(values.reader),
    throttle: positive("throttle", values.throttle, 0.1, { integer: false, allowZero: true }),
    yearGroups: positive("year-groups", values["year-groups"], base.yearGroups),
    yearRules: positive("year-rules", values["year-rules"], base.yearRules),
    yearDays: positive("year-days", values["year-days"], base.yearDays),
    yearChurn: positive("year-churn", values["year-churn"], 0.001, { integer: false }),
    yearBudgetS: positive("year-budget", values["year-budget"], base.yearBudgetS),
    fleetYearTargets: positive("fleet-year-targets", values["fleet-year-targets"], base.fleetYearTargets),
    fleetYearDays: positive("fleet-year-days", values["fleet-year-days"], base.fleetYearDays),
    fleetYearBudgetS: positive("fleet-year-budget", values["fleet-year-budget"], base.fleetYearBudgetS),
    profile: values["profile"],
    queryReps: positive("query-reps", values["query-reps"], base.queryReps),
    trailTargets: positive("trail-targets", values["trail-targets"], base.trailTargets),
    trailBacklog: positive("trail-backlog", values["trail-backlog"], base.trailBacklog),
    readerPolls: positive("reader-polls", values["reader-polls"], base.readerPolls),
    readerRounds: positive("reader-rounds", values["reader-rounds"], base.readerRounds),
    only: only as Figure[],
    out: values.out ?? "bench/results.json",
    workDir: values["work-dir"] ?? null,
    keepWorkDir: values.keep || values.profile,
  };
  if (o.rules < o.groups || o.yearRules < o.yearGroups || o.fleetRules < o.fleetGroups) throw new Error("rules must be >= groups (every group has its default egress rule)");
  if (o.throttle >= 1) throw new Error("--throttle is a probability below 1");
  if (o.growthCycles < 10) throw new Error("--growth-cycles must be >= 10 (growth is measured from cycle 10)");
  if (o.only.includes("queries") && !o.only.includes("year") && !o.only.includes("fleetyear")) throw new Error("--only queries needs year or fleetyear too (the queries run on the years' databases)");
  return o;
}
