// The CloudTrail sensor's part of health and metrics, read from
// trail_cursors: a target whose sweep is trail-blind makes the daemon
// unhealthy with its own reason (failed attempts and who made changes go
// unseen there), and is 1 in sgwatch_target_trail_blind. Its own state,
// separate from polling's blindness.
import type { Database } from "better-sqlite3";
import { Gauge, type Registry } from "prom-client";

/** A target whose CloudTrail sweep keeps failing. */
export interface TrailBlindTarget {
  /** AWS account id. */
  account: string;
  /** AWS region. */
  region: string;
  /** When it went trail-blind (ISO-8601 UTC). */
  blindSince: string;
  /** Failed sweeps in a row so far. */
  consecutiveFailures: number;
  /** The last sweep's error, in words. */
  lastError: string | null;
}

interface Row {
  account: string;
  region: string;
  blind_since: string | null;
  consecutive_failures: number;
  last_error: string | null;
}

function rows(db: Database): Row[] {
  return db
    .prepare(
      `SELECT t.account, t.region, c.blind_since, c.consecutive_failures, c.last_error
         FROM trail_cursors c JOIN targets t ON t.id = c.target_id ORDER BY t.account, t.region`,
    )
    .all() as Row[];
}

/** Trail-blind targets (those `keep` accepts) and a health reason for each. */
export function trailHealth(db: Database, keep: (t: { account: string; region: string }) => boolean): { trailBlind: TrailBlindTarget[]; reasons: string[] } {
  const trailBlind = rows(db)
    .filter((r) => r.blind_since !== null && keep(r))
    .map((r) => ({ account: r.account, region: r.region, blindSince: r.blind_since as string, consecutiveFailures: r.consecutive_failures, lastError: r.last_error }));
  const reasons = trailBlind.map(
    (b) => `${b.account}/${b.region} is trail-blind since ${b.blindSince} (${b.consecutiveFailures} failed CloudTrail sweeps in a row; last error: ${b.lastError ?? "unknown"})`,
  );
  return { trailBlind, reasons };
}

/** Registers sgwatch_target_trail_blind (1 while a target's sweep is trail-blind, else 0; swept targets, the configured ones when `targets` is given). */
export function registerTrailMetrics(db: Database, registers: Registry[], targets?: () => ReadonlyArray<{ account: string; region: string }>): void {
  new Gauge({
    name: "sgwatch_target_trail_blind",
    help: "1 while the target's CloudTrail sweep is trail-blind (too many failed sweeps in a row), else 0.",
    labelNames: ["account", "region"] as const,
    registers,
    collect() {
      this.reset();
      const wanted = targets ? new Set(targets().map((t) => `${t.account}/${t.region}`)) : null;
      for (const r of rows(db)) if (wanted === null || wanted.has(`${r.account}/${r.region}`)) this.labels(r.account, r.region).set(r.blind_since !== null ? 1 : 0);
    },
  });
}
