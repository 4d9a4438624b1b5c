// Retention (history.keep): compacting detail older than a cutoff, in small
// transactions, never silently. What goes, in this order (each step's rows
// are what the next step's foreign keys point at):
//   changes        detected before the cutoff, except those a person still
//                  needs: acknowledged ones (the ack row is the audit, and it
//                  stays with the change it refers to), open incidents
//                  (unapproved critical/high, not reverted: still reminded),
//                  and those a kept change names as what reverted it. Their approval links are
//                  tallied per record in approval_uses_compacted first, so
//                  the `approvals` view still counts what each record covered.
//   intervals      rule, group and interface versions CLOSED before the
//                  cutoff. Open ones are current state: never dropped.
//   trail events   CloudTrail events from before the cutoff, then attempt
//                  groups whose last attempt is before it and no kept event names.
//   polls          rows that finished before the cutoff that no kept row
//                  points at, and not a target's latest row, latest success
//                  or latest interface read (what status, health and the next
//                  poll read); with them their alert thread subjects.
// Each batch is one transaction that also adds its counts to the run's
// retention_runs row, so a run stopped half way (crash, shutdown) has said
// what it dropped; its finished_at stays NULL. Between batches the caller's
// `pause` yields, so a poll's transaction runs between two batches, never
// behind a whole compaction.
import type { Database } from "better-sqlite3";

/** What a compaction dropped (or, dry, would drop), by kind. */
export interface RetentionCounts {
  /** change_events rows. */
  changes: number;
  /** change_approvals rows of those changes (tallied per record in approval_uses_compacted). */
  approvalLinks: number;
  /** change_attributions rows of those changes. */
  attributions: number;
  /** Closed rule_versions rows. */
  ruleIntervals: number;
  /** Closed group_versions rows. */
  groupIntervals: number;
  /** Closed interface_versions rows. */
  interfaceIntervals: number;
  /** polls rows. */
  pollRows: number;
  /** The polls those rows stood for (sum of poll_count). */
  polls: number;
  /** Of which failed. */
  failedPolls: number;
  /** alert_threads rows of dropped polls. */
  alertThreads: number;
  /** trail_events rows. */
  trailEvents: number;
  /** trail_attempt_groups rows. */
  trailAttemptGroups: number;
}

/** The counts' columns in retention_runs, in RetentionCounts order. */
const COLUMNS: Record<keyof RetentionCounts, string> = {
  changes: "changes",
  approvalLinks: "approval_links",
  attributions: "attributions",
  ruleIntervals: "rule_intervals",
  groupIntervals: "group_intervals",
  interfaceIntervals: "interface_intervals",
  pollRows: "poll_rows",
  polls: "polls",
  failedPolls: "failed_polls",
  alertThreads: "alert_threads",
  trailEvents: "trail_events",
  trailAttemptGroups: "trail_attempt_groups",
};

export function zeroCounts(): RetentionCounts {
  return { changes: 0, approvalLinks: 0, attributions: 0, ruleIntervals: 0, groupIntervals: 0, interfaceIntervals: 0, pollRows: 0, polls: 0, failedPolls: 0, alertThreads: 0, trailEvents: 0, trailAttemptGroups: 0 };
}

/** Options of compact(). */
export interface CompactOptions {
  /** The clock: the cutoff is its time at the start − keepMs; finished_at its time at the end. */
  clock: () => Date;
  /** history.keep in milliseconds. */
  keepMs: number;
  /** history.keep as written, for the record ("400d"). */
  keepText: string;
  /** Rows per transaction (default 500). */
  batchSize?: number;
  /** Awaited between batches: the daemon yields to the event loop so a poll can write. */
  pause?: () => Promise<void>;
  /** Checked between batches: true stops the run (shutdown); what was done stays recorded. */
  stopRequested?: () => boolean;
}

/** The outcome of a run. */
export interface CompactResult {
  /** retention_runs.id. */
  runId: number;
  /** The cutoff, ISO. */
  cutoff: string;
  /** What was dropped. */
  counts: RetentionCounts;
  /** false: stopped before the end (stopRequested). */
  finished: boolean;
}

/** A retention_runs row. */
export interface RetentionRunRow {
  id: number;
  started_at: string;
  finished_at: string | null;
  keep: string;
  cutoff: string;
  changes: number;
  approval_links: number;
  attributions: number;
  rule_intervals: number;
  group_intervals: number;
  interface_intervals: number;
  poll_rows: number;
  polls: number;
  failed_polls: number;
  alert_threads: number;
  trail_events: number;
  trail_attempt_groups: number;
}

export function cutoffFor(now: Date, keepMs: number): string {
  return new Date(now.getTime() - keepMs).toISOString();
}

// Old changes kept whatever their age: acknowledged, or an open incident
// (unapproved, critical or high, not reverted, not ignored, not itself a
// revert: what the follow-up still reminds of), and, transitively, the change a kept one names as its revert (a
// foreign key). Materialised once per run in a temp table (this connection only).
function markKept(db: Database, cutoff: string): void {
  db.exec("CREATE TEMP TABLE IF NOT EXISTS retention_kept_changes (id INTEGER PRIMARY KEY); DELETE FROM temp.retention_kept_changes;");
  db.prepare(
    `INSERT OR IGNORE INTO temp.retention_kept_changes (id)
     WITH RECURSIVE kept(id) AS (
       SELECT c.id FROM change_events c
        WHERE c.detected_at < ?
          AND (EXISTS (SELECT 1 FROM acknowledgements a WHERE a.change_id = c.id)
               -- An open incident, as the follow-up reads it (store/follow-up.ts): it still reminds of it.
               OR (c.status = 'unapproved' AND c.severity IN ('critical', 'high') AND c.reverted_at IS NULL AND c.ignored_reason IS NULL
                   AND NOT EXISTS (SELECT 1 FROM change_events u WHERE u.reverted_by_change_id = c.id)))
       UNION
       SELECT c.reverted_by_change_id FROM change_events c JOIN kept k ON k.id = c.id WHERE c.reverted_by_change_id IS NOT NULL
     )
     SELECT id FROM kept`,
  ).run(cutoff);
  // What status, health and the next poll read: each target's latest row, latest success, latest interface read.
  db.exec(`CREATE TEMP TABLE IF NOT EXISTS retention_kept_polls (id INTEGER PRIMARY KEY);
    DELETE FROM temp.retention_kept_polls;
    INSERT OR IGNORE INTO temp.retention_kept_polls (id)
      SELECT max(id) FROM polls GROUP BY target_id
      UNION SELECT max(id) FROM polls WHERE status = 'ok' GROUP BY target_id
      UNION SELECT max(id) FROM polls WHERE interfaces_read = 1 GROUP BY target_id;`);
}

// A change that goes: old, not kept, and (checked again at each batch, for an
// ack given while the run goes on) not acknowledged.
const CHANGE_GOES = `c.detected_at < :cutoff AND c.id NOT IN (SELECT id FROM temp.retention_kept_changes)
  AND NOT EXISTS (SELECT 1 FROM acknowledgements a WHERE a.change_id = c.id)`;

// A poll row that goes: finished before the cutoff, not protected, and no row
// that stays points at it. Written against what stays (not "nothing points at
// it"), so the dry run counts the same rows the run deletes.
const POLL_GOES = `p.finished_at < :cutoff AND p.id NOT IN (SELECT id FROM temp.retention_kept_polls)
  AND NOT EXISTS (SELECT 1 FROM rule_versions r WHERE r.added_poll_id = p.id AND (r.removed_at IS NULL OR r.removed_at >= :cutoff))
  AND NOT EXISTS (SELECT 1 FROM rule_versions r WHERE r.removed_poll_id = p.id AND r.removed_at >= :cutoff)
  AND NOT EXISTS (SELECT 1 FROM group_versions g WHERE g.added_poll_id = p.id AND (g.removed_at IS NULL OR g.removed_at >= :cutoff))
  AND NOT EXISTS (SELECT 1 FROM group_versions g WHERE g.removed_poll_id = p.id AND g.removed_at >= :cutoff)
  AND NOT EXISTS (SELECT 1 FROM interface_versions i WHERE i.added_poll_id = p.id AND (i.removed_at IS NULL OR i.removed_at >= :cutoff))
  AND NOT EXISTS (SELECT 1 FROM interface_versions i WHERE i.removed_poll_id = p.id AND i.removed_at >= :cutoff)
  AND NOT EXISTS (SELECT 1 FROM change_events c WHERE c.poll_id = p.id AND NOT (${CHANGE_GOES}))`;

const GROUP_GOES = `g.last_at < :cutoff AND NOT EXISTS (SELECT 1 FROM trail_events e WHERE e.attempt_group_id = g.id AND e.event_time >= :cutoff)`;

/** What a run with this cutoff would drop, counted without deleting anything (`sgwatch compact --dry-run`). */
export function previewCompaction(db: Database, cutoff: string): RetentionCounts {
  markKept(db, cutoff);
  const one = (q: string): number => (db.prepare(q).pluck().get({ cutoff }) as number | null) ?? 0;
  const polls = db.prepare(`SELECT count(*) AS rows, ifnull(sum(p.poll_count), 0) AS polls, ifnull(sum(CASE WHEN p.status = 'failed' THEN p.poll_count END), 0) AS failed FROM polls p WHERE ${POLL_GOES}`).get({ cutoff }) as { rows: number; polls: number; failed: number };
  return {
    changes: one(`SELECT count(*) FROM change_events c WHERE ${CHANGE_GOES}`),
    approvalLinks: one(`SELECT count(*) FROM change_approvals ca JOIN change_events c ON c.id = ca.change_id WHERE ${CHANGE_GOES}`),
    attributions: one(`SELECT count(*) FROM change_attributions ca JOIN change_events c ON c.id = ca.change_id WHERE ${CHANGE_GOES}`),
    ruleIntervals: one("SELECT count(*) FROM rule_versions WHERE removed_at < :cutoff"),
    groupIntervals: one("SELECT count(*) FROM group_versions WHERE removed_at < :cutoff"),
    interfaceIntervals: one("SELECT count(*) FROM interface_versions WHERE removed_at < :cutoff"),
    pollRows: polls.rows,
    polls: polls.polls,
    failedPolls: polls.failed,
    alertThreads:
      one(`SELECT count(*) FROM alert_threads t JOIN polls p ON p.id = t.poll_id WHERE ${POLL_GOES}`) +
      one(`SELECT count(*) FROM change_threads ct JOIN change_events c ON c.id = ct.change_id WHERE ${CHANGE_GOES}`),
    trailEvents: one("SELECT count(*) FROM trail_events WHERE event_time < :cutoff"),
    trailAttemptGroups: one(`SELECT count(*) FROM trail_attempt_groups g WHERE ${GROUP_GOES}`),
  };
}

/** One kind's batches: `step` deletes up to n rows in the open transaction and returns what it dropped. */
type Step = (n: number) => Partial<RetentionCounts> & { rows: number };

/** Run a compaction: batches of `batchSize` rows, each its own transaction recorded in retention_runs. */
export async function compact(db: Database, opts: CompactOptions): Promise<CompactResult> {
  const startedAt = opts.clock();
  const cutoff = cutoffFor(startedAt, opts.keepMs);
  const n = opts.batchSize ?? 500;
  const pause = opts.pause ?? (() => new Promise<void>((r) => setImmediate(r)));
  const runId = Number(db.prepare("INSERT INTO retention_runs (started_at, keep, cutoff) VALUES (?, ?, ?)").run(startedAt.toISOString(), opts.keepText, cutoff).lastInsertRowid);
  markKept(db, cutoff);
  const counts = zeroCounts();
  const record = (got: Partial<RetentionCounts>): void => {
    const keys = (Object.keys(got) as Array<keyof RetentionCounts>).filter((k) => k in COLUMNS && (got[k] ?? 0) > 0);
    if (keys.length === 0) return;
    db.prepare(`UPDATE retention_runs SET ${keys.map((k) => `${COLUMNS[k]} = ${COLUMNS[k]} + @${k}`).join(", ")} WHERE id = @runId`).run({ ...Object.fromEntries(keys.map((k) => [k, got[k]])), runId });
    for (const k of keys) counts[k] += got[k] ?? 0;
  };
  let pollAfter = 0;
  let groupAfter = 0;
  const steps: Step[] = [
    (limit) => {
      const ids = db.prepare(`SELECT c.id FROM change_events c INDEXED BY change_events_by_time WHERE ${CHANGE_GOES} ORDER BY c.detected_at, c.id LIMIT :limit`).pluck().all({ cutoff, limit }) as number[];
      if (ids.length === 0) return { rows: 0 };
      const list = JSON.stringify(ids);
      const inList = "(SELECT value FROM json_each(:list))";
      db.prepare(
        `INSERT INTO approval_uses_compacted (run_id, approval_id, changes, first_detected_at, last_detected_at)
         SELECT :runId, ca.approval_id, count(*), min(c.detected_at), max(c.detected_at)
           FROM change_approvals ca JOIN change_events c ON c.id = ca.change_id
          WHERE ca.change_id IN ${inList} GROUP BY ca.approval_id
         ON CONFLICT (approval_id, run_id) DO UPDATE SET changes = changes + excluded.changes,
           first_detected_at = min(first_detected_at, excluded.first_detected_at), last_detected_at = max(last_detected_at, excluded.last_detected_at)`,
      ).run({ runId, list });
      const approvalLinks = db.prepare(`DELETE FROM change_approvals WHERE change_id IN ${inList}`).run({ list }).changes;
      const attributions = db.prepare(`DELETE FROM change_attributions WHERE change_id IN ${inList}`).run({ list }).changes;
      // Mail thread subjects of transient alerts (migration 0016) go with their changes; counted with the polls' ones.
      const alertThreads = db.prepare(`DELETE FROM change_threads WHERE change_id IN ${inList}`).run({ list }).changes;
      const changes = db.prepare(`DELETE FROM change_events WHERE id IN ${inList}`).run({ list }).changes;
      return { rows: ids.length, changes, approvalLinks, attributions, alertThreads };
    },
    (limit) => closed("rule_versions", "ruleIntervals", limit),
    (limit) => closed("group_versions", "groupIntervals", limit),
    (limit) => closed("interface_versions", "interfaceIntervals", limit),
    (limit) => {
      const trailEvents = db.prepare("DELETE FROM trail_events WHERE rowid IN (SELECT rowid FROM trail_events WHERE event_time < :cutoff LIMIT :limit)").run({ cutoff, limit }).changes;
      return { rows: trailEvents, trailEvents };
    },
    (limit) => {
      const ids = db.prepare(`SELECT g.id FROM trail_attempt_groups g WHERE g.id > :after AND ${GROUP_GOES} ORDER BY g.id LIMIT :limit`).pluck().all({ cutoff, limit, after: groupAfter }) as number[];
      if (ids.length === 0) return { rows: 0 };
      groupAfter = ids[ids.length - 1] as number;
      const trailAttemptGroups = db.prepare("DELETE FROM trail_attempt_groups WHERE id IN (SELECT value FROM json_each(?))").run(JSON.stringify(ids)).changes;
      return { rows: ids.length, trailAttemptGroups };
    },
    (limit) => {
      const rows = db.prepare(`SELECT p.id, p.poll_count, p.status FROM polls p WHERE p.id > :after AND ${POLL_GOES} ORDER BY p.id LIMIT :limit`).all({ cutoff, limit, after: pollAfter }) as Array<{ id: number; poll_count: number; status: string }>;
      if (rows.length === 0) return { rows: 0 };
      pollAfter = rows[rows.length - 1]?.id as number;
      const list = JSON.stringify(rows.map((r) => r.id));
      const alertThreads = db.prepare("DELETE FROM alert_threads WHERE poll_id IN (SELECT value FROM json_each(?))").run(list).changes;
      const pollRows = db.prepare("DELETE FROM polls WHERE id IN (SELECT value FROM json_each(?))").run(list).changes;
      const polls = rows.reduce((s, r) => s + r.poll_count, 0);
      const failedPolls = rows.filter((r) => r.status === "failed").reduce((s, r) => s + r.poll_count, 0);
      return { rows: rows.length, pollRows, polls, failedPolls, alertThreads };
    },
  ];
  function closed(table: string, key: "ruleIntervals" | "groupIntervals" | "interfaceIntervals", limit: number): Partial<RetentionCounts> & { rows: number } {
    const dropped = db.prepare(`DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE removed_at < :cutoff LIMIT :limit)`).run({ cutoff, limit }).changes;
    return { rows: dropped, [key]: dropped };
  }

  for (const step of steps) {
    for (;;) {
      if (opts.stopRequested?.()) return { runId, cutoff, counts, finished: false };
      const got = db.transaction(() => {
        const r = step(n);
        record(r);
        return r;
      }).immediate();
      if (got.rows < n) break;
      await pause();
    }
    await pause();
  }
  db.prepare("UPDATE retention_runs SET finished_at = ? WHERE id = ?").run(opts.clock().toISOString(), runId);
  return { runId, cutoff, counts, finished: true };
}

/** The latest run (finished or not), for status and for "at most once a day". */
export function lastRetentionRun(db: Database): RetentionRunRow | undefined {
  return db.prepare("SELECT * FROM retention_runs ORDER BY id DESC LIMIT 1").get() as RetentionRunRow | undefined;
}

/** A run row's counts as RetentionCounts. */
export function runCounts(row: RetentionRunRow): RetentionCounts {
  const out = zeroCounts();
  for (const [k, col] of Object.entries(COLUMNS) as Array<[keyof RetentionCounts, string]>) out[k] = (row as unknown as Record<string, number>)[col] ?? 0;
  return out;
}
