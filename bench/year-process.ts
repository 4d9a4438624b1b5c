// A year of five-minute polls of one target (or a fleet of them), written through the store's own
// code path (recordSuccessfulPoll, with the real judge and alert routing) and
// a fake clock. Its own process, so a CPU profile of it shows the store alone
// (run it with --cpu-prof through `--profile-year`).
import { openDatabase } from "../src/store/open.js";
import { ensureTarget } from "../src/store/targets-repo.js";
import { recordSuccessfulPoll, type RecordDeps } from "../src/store/record-poll.js";
import { configSchema } from "../src/config/schema.js";
import { channelRoutes } from "../src/alerts/channels/registry.js";
import { routeAlert } from "../src/alerts/route.js";
import { followUp } from "../src/store/follow-up.js";
import { sql } from "../src/store/statements.js";
import { judgeChanges } from "../src/daemon/judge.js";
import type { GroupState } from "../src/model/types.js";
import { serve } from "./ipc.js";
import { YearEstate } from "./year-estate.js";
import { median, percentile } from "./stats.js";

/** What to simulate. */
export interface YearParams {
  dbFile: string;
  /** Account-region targets, each with `groups` groups and `rules` rules. */
  targets: number;
  groups: number;
  rules: number;
  days: number;
  /** Fraction of rules changed per day (0.001 = 0.1%), over the whole fleet. */
  dailyChurn: number;
  seed: number;
  /** Stop after this long and extrapolate. */
  budgetMs: number;
}

/** What the simulation measured. */
export interface YearResult {
  /** Poll ticks (each polls every target). */
  pollsPlanned: number;
  pollsDone: number;
  changesDone: number;
  /** Fake-clock time of the last poll (ISO), the "now" of the queries. */
  endTime: string;
  baselineMs: number;
  baselineBytes: number;
  /** From the first (quiet) day: growth of the bytes in use (dbstat) / target-polls (amortised: a run of unchanged polls is one row a day). */
  bytesPerUnchangedPoll: number;
  /** Growth beyond unchanged polls, per change (from the run, or from 100 one-change polls when the run saw fewer changes). */
  bytesPerChange: number;
  /**
   * The part of bytesPerChange that is delivered alerts in the outbox: the
   * daemon deletes those after alerts.keepSent, so a year holds only the last
   * keepSent's worth of them.
   */
  outboxBytesPerChange: number;
  /** alerts.keepSent in days. */
  keepSentDays: number;
  finalBytes: number;
  unchangedPollMsMedian: number;
  unchangedPollMsP95: number;
  /** null when no poll saw a change (runs of a single day). */
  changedPollMsMedian: number | null;
  elapsedMs: number;
  maxRss: number;
}

export interface YearCommands {
  run: { args: YearParams; result: YearResult };
}

const POLL_MS = 5 * 60_000;
const POLLS_PER_DAY = (24 * 60 * 60_000) / POLL_MS;
const T0 = Date.parse("2026-01-01T00:00:00.000Z");

function run(p: YearParams): YearResult {
  const started = performance.now();
  const { db } = openDatabase(p.dbFile);
  const targets = p.targets;
  const bytes = (): number => {
    db.pragma("wal_checkpoint(TRUNCATE)");
    // Pages in use, as in daemon-process.ts: free pages would hide growth.
    const used = (db.pragma("page_count", { simple: true }) as number) - (db.pragma("freelist_count", { simple: true }) as number);
    return used * (db.pragma("page_size", { simple: true }) as number);
  };
  // Bytes in use inside the pages (dbstat: page size less unused space), for
  // growth smaller than a page: a quiet day adds one run row per target, which
  // a page count would show as 0 or 4,096 bytes.
  const usedBytes = (): number => (db.prepare("SELECT sum(pgsize - unused) FROM dbstat").pluck().get() as number);
  const config = configSchema.parse({ targets: [{ account: "123456789012", regions: ["us-east-1"] }] });
  const routes = channelRoutes(config);
  // One account per target (a fleet's accounts × regions are all alike to the store).
  const fleet = Array.from({ length: targets }, (_, t) => {
    const account = String(123456789012 + t);
    return {
      account,
      estate: new YearEstate(account, { groups: p.groups, rules: p.rules, seed: p.seed + t }),
      id: ensureTarget(db, account, "us-east-1", null, new Date(T0).toISOString()).id,
      cache: undefined as { pollId: number; state: Map<string, GroupState> } | undefined,
    };
  });
  const deps = (f: (typeof fleet)[number]): RecordDeps => ({
    judge: (changes, ctx) => judgeChanges(changes, { ...ctx, account: f.account, region: "us-east-1" }, config.severity, []),
    route: (payload) => routeAlert(routes, payload),
    blindAfterFailures: config.monitoring.blindAfterFailures,
    // What the daemon does between cycles: hand the store the state it wrote last.
    ...(f.cache ? { currentState: f.cache } : {}),
  });
  // Changes go to the targets in turn.
  let nextChurn = 0;
  const churn = (count: number): number => {
    let made = 0;
    for (let k = 0; k < count; k++) {
      const s = (fleet[nextChurn++ % targets] as (typeof fleet)[number]).estate.churn(1);
      made += s.added + s.removed + s.described;
    }
    return made;
  };
  const deliver = sql(db, "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1 WHERE status = 'pending'");
  /** Poll every target once; returns the median store time of a target-poll. */
  const poll = (i: number): number => {
    const at = T0 + i * POLL_MS;
    const each: number[] = [];
    for (const f of fleet) {
      const t = performance.now();
      const out = recordSuccessfulPoll(db, f.id, { groups: f.estate.groups.slice(), pages: Math.ceil(f.estate.groups.length / 1000), startedAt: new Date(at).toISOString(), finishedAt: new Date(at + 1500).toISOString() }, deps(f));
      f.cache = { pollId: out.pollId, state: out.state };
      each.push(performance.now() - t);
    }
    const ms = median(each);
    // What the daemon does around the store: alerts delivered right away, and
    // once a day (as every cycle would) the follow-up that prunes delivered
    // alerts older than alerts.keepSent and queues reminders.
    deliver.run(new Date(at + 2000).toISOString());
    if (i % POLLS_PER_DAY === 0) followUp(db, new Date(at + 2500), { remindEveryMs: config.alerts.remindEvery, keepSentMs: config.alerts.keepSent, reminderDigestAbove: config.alerts.reminderDigestAbove, route: (payload) => routeAlert(routes, payload) });
    return ms;
  };

  const pollsPerDay = POLLS_PER_DAY;
  const pollsPlanned = p.days * pollsPerDay;
  const baselineMs = poll(0);
  const baselineBytes = bytes();
  const baselineUsed = usedBytes();
  // Day 0 is quiet: it measures what an unchanged poll costs on disk.
  const unchanged: number[] = [];
  const changed: number[] = [];
  for (let i = 1; i < pollsPerDay; i++) unchanged.push(poll(i));
  const bytesPerUnchangedPoll = (usedBytes() - baselineUsed) / ((pollsPerDay - 1) * targets);

  const perPoll = (p.rules * targets * p.dailyChurn) / pollsPerDay;
  let changesDone = 0;
  let i = pollsPerDay;
  for (; i < pollsPlanned; i++) {
    if (performance.now() - started > p.budgetMs) break;
    // Spread the day's churn evenly; each poll sees whole changes only.
    const due = Math.floor((i + 1) * perPoll) - Math.floor(i * perPoll);
    if (due > 0) changesDone += churn(due);
    (due > 0 ? changed : unchanged).push(poll(i));
  }
  const pollsDone = i;
  let changesTotal = changesDone;
  const finalBytes = bytes();
  let bytesPerChange = changesDone > 0 ? Math.max(0, finalBytes - baselineBytes - (pollsDone - 1) * targets * bytesPerUnchangedPoll) / changesDone : 0;
  // A short or small run sees too few changes to price one; then price it
  // directly: polls with exactly one change each, as 0.1%/day mostly gives.
  const CALIBRATION = 100;
  if (changesDone < CALIBRATION) {
    let made = 0;
    for (let k = 0; k < CALIBRATION; k++) {
      made += churn(1);
      poll(i + k);
    }
    bytesPerChange = Math.max(0, bytes() - finalBytes - CALIBRATION * targets * bytesPerUnchangedPoll) / Math.max(1, made);
    changesTotal += made;
  }
  // Price the delivered alerts apart: they are pruned after keepSent.
  const withOutbox = bytes();
  db.prepare("DELETE FROM outbox WHERE status = 'sent'").run();
  const outboxBytesPerChange = Math.min(bytesPerChange, Math.max(0, withOutbox - bytes()) / Math.max(1, changesTotal));
  db.close();
  return {
    pollsPlanned,
    pollsDone,
    changesDone,
    endTime: new Date(T0 + (pollsDone - 1) * POLL_MS + 1500).toISOString(),
    baselineMs,
    baselineBytes,
    bytesPerUnchangedPoll,
    bytesPerChange,
    outboxBytesPerChange,
    keepSentDays: config.alerts.keepSent / 86_400_000,
    finalBytes,
    unchangedPollMsMedian: median(unchanged),
    unchangedPollMsP95: percentile(unchanged, 0.95),
    changedPollMsMedian: changed.length > 0 ? median(changed) : null,
    elapsedMs: performance.now() - started,
    maxRss: process.resourceUsage().maxRSS * 1024,
  };
}

serve<YearCommands>({ run });
