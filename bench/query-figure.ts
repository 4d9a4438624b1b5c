// Figure 5: the README's sqlite3 queries on the year's database, median of
// repeated runs, with the query plan's full scans named. "now" is the fake
// clock's end of the year, so the windows hold what a real year would.
import BetterSqlite3 from "better-sqlite3";
import type { Row } from "./report.js";
import { fmtMs, median } from "./stats.js";

/** The README's queries, with 'now' and the example ids as parameters. */
export const README_QUERIES: { name: string; sql: string }[] = [
  {
    name: "last 24 h of changes",
    sql: `SELECT time, account, region, group_id, group_name, kind, direction, protocol, ports, source, severity, status
FROM changes WHERE time >= strftime('%Y-%m-%dT%H:%M:%fZ', @now, '-1 day') ORDER BY time`,
  },
  {
    name: "open to the world now",
    sql: `SELECT account, region, group_id, group_name, protocol, ports, source, description, since
FROM current_rules WHERE world_open AND direction = 'ingress'`,
  },
  {
    name: "a group at time T",
    sql: `SELECT direction, protocol, ports, source, description FROM group_history
WHERE group_id = @group AND valid_from <= @at AND (valid_until IS NULL OR valid_until > @at)`,
  },
  {
    name: "unapproved critical this month",
    sql: `SELECT time, account, region, group_id, group_name, protocol, ports, source FROM changes
WHERE status = 'unapproved' AND severity = 'critical' AND time >= strftime('%Y-%m-01T00:00:00Z', @now)`,
  },
  {
    name: "a group's timeline",
    sql: `SELECT time, kind, direction, protocol, ports, source, description, severity, status, approval_id
FROM changes WHERE group_id = @group ORDER BY time`,
  },
  {
    name: "polls that failed, and why",
    sql: `SELECT p.finished_at, t.account, t.region, p.error_code, p.error
FROM polls p JOIN targets t ON t.id = p.target_id WHERE p.status = 'failed' ORDER BY p.id DESC LIMIT 20`,
  },
  {
    name: "each target's last successful poll",
    sql: `SELECT t.account, t.region, (SELECT p.finished_at FROM polls p WHERE p.target_id = t.id AND p.status = 'ok' ORDER BY p.id DESC LIMIT 1) AS last_success
FROM targets t`,
  },
  {
    name: "polls per target in the last day",
    sql: `SELECT t.account, t.region, sum(p.poll_count) AS polls
FROM polls p JOIN targets t ON t.id = p.target_id WHERE p.started_at >= strftime('%Y-%m-%dT%H:%M:%fZ', @now, '-1 day') GROUP BY t.id`,
  },
];

export interface QueryResult {
  name: string;
  medianMs: number;
  rows: number;
  scans: string[];
}

/** Plan lines that read a whole table or index rather than search it. */
function scans(db: BetterSqlite3.Database, sql: string, params: Record<string, string>): string[] {
  const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[];
  return plan.map((p) => p.detail).filter((d) => /^SCAN /.test(d) && !/^SCAN CONSTANT ROW/.test(d));
}

/** `label` names the database in each row ("" for the issue's year). */
export function runQueries(dbFile: string, now: string, reps: number, log: (s: string) => void, label = ""): { rows: Row[]; result: QueryResult[] } {
  const db = new BetterSqlite3(dbFile, { readonly: true, fileMustExist: true });
  try {
    // The busiest group, and a time in the middle of its history: the worst case a person would ask about.
    const busy = db.prepare("SELECT group_id, min(detected_at) AS first, max(detected_at) AS last FROM change_events GROUP BY group_id ORDER BY count(*) DESC LIMIT 1").get() as
      | { group_id: string; first: string; last: string }
      | undefined;
    const group = busy?.group_id ?? (db.prepare("SELECT group_id FROM rule_versions LIMIT 1").get() as { group_id: string }).group_id;
    const at = busy ? new Date((Date.parse(busy.first) + Date.parse(busy.last)) / 2).toISOString() : now;
    const params = { now, group, at };
    const result = README_QUERIES.map((q) => {
      const stmt = db.prepare(q.sql);
      const bind = Object.fromEntries(Object.entries(params).filter(([k]) => q.sql.includes(`@${k}`)));
      let n = 0;
      const times: number[] = [];
      for (let i = 0; i < reps; i++) {
        const t = performance.now();
        n = stmt.all(bind).length;
        times.push(performance.now() - t);
      }
      const r = { name: q.name, medianMs: median(times), rows: n, scans: scans(db, q.sql, bind) };
      log(`queries${label ? ` (${label})` : ""}: ${q.name}: ${fmtMs(r.medianMs)}, ${n} rows${r.scans.length ? `; plan scans: ${r.scans.join("; ")}` : ""}`);
      return r;
    });
    const rows: Row[] = result.map((r) => ({
      figure: `5. query${label ? ` (${label})` : ""}: ${r.name} (${r.rows} rows)${r.scans.length ? ` [plan: ${r.scans.join("; ")}]` : ""}`,
      measured: fmtMs(r.medianMs),
      target: "< 20 ms",
      pass: r.medianMs < 20,
      value: r.medianMs,
    }));
    return { rows, result };
  } finally {
    db.close();
  }
}
