// Prometheus metrics. Counters and the cycle histogram are fed by the daemon
// after each cycle (observeCycle); everything that is a *state* (the alert
// queue, last successful poll, groups and rules watched, blindness) is read
// from the database when scraped, so the core carries no instrumentation and
// the numbers cannot drift from what `sgwatch status` shows. Each call makes
// its own Registry: no global, so tests (and two daemons in one process) do
// not share counters.
import type { Database } from "better-sqlite3";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { registerTrailMetrics } from "../trail/health.js";
import { lastRetentionRun, runCounts } from "../store/retention.js";
import type { CycleResult } from "./cycle.js";
import { SEVERITIES } from "../model/types.js";
import type { TargetKey } from "./health.js";
import { CYCLE_FAILURE_REASONS } from "../store/db-failure.js";
import type { CycleHealthSnapshot } from "./cycle-health.js";

/** What the daemon and the HTTP listener use. */
export interface Metrics {
  /** The registry everything is registered in. */
  readonly registry: Registry;
  /** Content-Type of render()'s text. */
  readonly contentType: string;
  /** Count one finished cycle: polls, failures, changes, duration. */
  observeCycle(result: CycleResult): void;
  /** The exposition text; runs the scrape-time database queries. */
  render(): Promise<string>;
}

/** Options for createMetrics. */
export interface MetricsOptions {
  /**
   * The configured targets, asked at each scrape: per-target gauges leave out
   * targets removed from the config (their rows stay for history). Default: all.
   */
  targets?: () => readonly TargetKey[];
  /** Add prom-client's process and Node.js metrics (memory, CPU, event loop lag). Default true. */
  processMetrics?: boolean;
  /**
   * The daemon's memory of polls the database would not take: a target blind
   * by those is blind here too, though its row cannot say so yet.
   */
  cycleHealth?: () => CycleHealthSnapshot;
}

/** Seconds; a cycle polls every target with bounded concurrency, retries included. */
const CYCLE_BUCKETS = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600];

// revert: an unapproved change that undid an unapproved one (it closed an incident; not drift).
const STATUSES = ["approved", "unapproved", "revert"] as const;
const OUTBOX_STATUSES = ["pending", "sent", "dead"] as const;

interface OutboxCountRow {
  channel: string;
  status: string;
  n: number;
}

interface TargetStateRow {
  account: string;
  region: string;
  blind: 0 | 1;
  finished_at: string | null;
  group_count: number | null;
  rule_count: number | null;
}

export function createMetrics(db: Database, opts: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  if (opts.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  const polls = new Counter({ name: "sgwatch_polls_total", help: "Polls attempted, by target.", labelNames: ["account", "region"] as const, registers });
  const failures = new Counter({ name: "sgwatch_poll_failures_total", help: "Polls that failed, by target.", labelNames: ["account", "region"] as const, registers });
  const changes = new Counter({ name: "sgwatch_changes_total", help: "Changes detected, by severity and approval status.", labelNames: ["severity", "status"] as const, registers });
  const cycleFailures = new Counter({
    name: "sgwatch_cycle_failures_total",
    help: "Cycles that crashed or could not record every poll, by reason (db-locked, db-full, db-readonly, crash).",
    labelNames: ["reason"] as const,
    registers,
  });
  for (const reason of CYCLE_FAILURE_REASONS) cycleFailures.labels(reason).inc(0);
  const cycleDuration = new Histogram({ name: "sgwatch_cycle_duration_seconds", help: "Duration of a polling cycle over every target.", buckets: CYCLE_BUCKETS, registers });
  // Zero series from the start, so rate() and absence alerts work before the first change.
  for (const severity of SEVERITIES) for (const status of STATUSES) changes.labels(severity, status).inc(0);

  const statements = {
    outbox: db.prepare("SELECT channel, status, count(*) AS n FROM outbox GROUP BY status, channel"),
    // One row per target; the subquery finds the last good poll through polls_by_target.
    targets: db.prepare(
      `SELECT t.account, t.region, (t.blind_since IS NOT NULL) AS blind, p.finished_at, p.group_count, p.rule_count
       FROM targets t
       LEFT JOIN polls p ON p.id = (SELECT id FROM polls WHERE target_id = t.id AND status = 'ok' ORDER BY id DESC LIMIT 1)`,
    ),
  };
  const wanted = (): ((t: TargetKey) => boolean) => {
    if (!opts.targets) return () => true;
    const set = new Set(opts.targets().map((t) => `${t.account}/${t.region}`));
    return (t) => set.has(`${t.account}/${t.region}`);
  };

  // Every target gauge comes from one query per scrape, run by the first gauge collected.
  let scrape: { rows: TargetStateRow[] } | null = null;
  const targetRows = (): TargetStateRow[] => {
    scrape ??= { rows: (statements.targets.all() as TargetStateRow[]).filter(wanted()) };
    return scrape.rows;
  };

  new Gauge({
    name: "sgwatch_alerts",
    help: "Alerts in the outbox, by channel and delivery status (pending, sent, dead).",
    labelNames: ["channel", "status"] as const,
    registers,
    collect() {
      this.reset();
      const rows = statements.outbox.all() as OutboxCountRow[];
      for (const channel of new Set(rows.map((r) => r.channel))) for (const status of OUTBOX_STATUSES) this.labels(channel, status).set(0);
      for (const r of rows) this.labels(r.channel, r.status).set(r.n);
    },
  });
  new Gauge({
    name: "sgwatch_last_successful_poll_timestamp_seconds",
    help: "When the target's last successful poll finished (unix seconds); absent before its first.",
    labelNames: ["account", "region"] as const,
    registers,
    collect() {
      this.reset();
      for (const r of targetRows()) if (r.finished_at) this.labels(r.account, r.region).set(Date.parse(r.finished_at) / 1000);
    },
  });
  new Gauge({
    name: "sgwatch_groups",
    help: "Security groups watched, as of the target's last successful poll.",
    labelNames: ["account", "region"] as const,
    registers,
    collect() {
      this.reset();
      for (const r of targetRows()) if (r.group_count !== null) this.labels(r.account, r.region).set(r.group_count);
    },
  });
  new Gauge({
    name: "sgwatch_rules",
    help: "Rules watched, as of the target's last successful poll.",
    labelNames: ["account", "region"] as const,
    registers,
    collect() {
      this.reset();
      for (const r of targetRows()) if (r.rule_count !== null) this.labels(r.account, r.region).set(r.rule_count);
    },
  });
  new Gauge({
    name: "sgwatch_target_blind",
    help: "1 while the target is blind (too many failed polls in a row), else 0.",
    labelNames: ["account", "region"] as const,
    registers,
    collect() {
      this.reset();
      const rows = targetRows();
      for (const r of rows) this.labels(r.account, r.region).set(r.blind);
      const keep = wanted();
      for (const u of opts.cycleHealth?.().unrecorded ?? []) if (u.blind && keep(u)) this.labels(u.account, u.region).set(1);
    },
  });
  registerTrailMetrics(db, registers, opts.targets);
  // Retention: what the last compaction dropped, read at scrape like every state here.
  new Gauge({
    name: "sgwatch_retention_last_run_timestamp_seconds",
    help: "When the last history compaction (history.keep) started, as a Unix time; absent until one ran.",
    registers,
    collect() {
      this.reset();
      const last = lastRetentionRun(db);
      if (last) this.set(Date.parse(last.started_at) / 1000);
    },
  });
  new Gauge({
    name: "sgwatch_retention_last_run_dropped",
    help: "Rows the last history compaction dropped, by kind (changes, ruleIntervals, pollRows, trailEvents, …).",
    labelNames: ["kind"] as const,
    registers,
    collect() {
      this.reset();
      const last = lastRetentionRun(db);
      if (last) for (const [kind, n] of Object.entries(runCounts(last))) this.labels(kind).set(n);
    },
  });

  return {
    registry,
    contentType: registry.contentType,
    observeCycle(result) {
      for (const t of result.targets) {
        polls.labels(t.account, t.region).inc();
        if (!t.ok) failures.labels(t.account, t.region).inc();
        else failures.labels(t.account, t.region).inc(0);
        for (const j of t.judged) changes.labels(j.judgement.severity, j.closes !== undefined ? "revert" : j.judgement.status).inc();
      }
      if (result.failure) cycleFailures.labels(result.failure.reason).inc();
      const seconds = (Date.parse(result.finishedAt) - Date.parse(result.startedAt)) / 1000;
      if (Number.isFinite(seconds) && seconds >= 0) cycleDuration.observe(seconds);
    },
    async render() {
      scrape = null;
      try {
        return await registry.metrics();
      } finally {
        scrape = null;
      }
    },
  };
}
