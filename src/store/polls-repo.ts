// The polls table: one row per poll attempt, except that a target's run of
// consecutive successful unchanged polls is one row (poll-runs.ts).
import type { Database } from "better-sqlite3";
import { sql } from "./statements.js";

/** A poll row. */
export interface PollRow {
  id: number;
  target_id: number;
  started_at: string;
  finished_at: string;
  status: "ok" | "failed";
  baseline: 0 | 1;
  pages: number | null;
  group_count: number | null;
  rule_count: number | null;
  change_count: number | null;
  error_code: string | null;
  error: string | null;
  /** 1 when the row reads interfaces (for a run: its last poll did). */
  interfaces_read: 0 | 1;
  /** How many polls the row stands for: a run's length, a lost-poll row's count, else 1. */
  poll_count: number;
  /** 1: a run of unchanged polls, extended by the target's next unchanged poll; 0: one poll in full detail. */
  run: 0 | 1;
}

/** What to record about a poll. */
export interface NewPoll {
  targetId: number;
  startedAt: string;
  finishedAt: string;
  status: "ok" | "failed";
  baseline: boolean;
  pages: number | null;
  groupCount: number | null;
  ruleCount: number | null;
  errorCode: string | null;
  error: string | null;
  /** Polls the row stands for (default 1). */
  pollCount?: number;
  /** Starts a run of unchanged polls (default false: one poll in full detail). */
  run?: boolean;
}

export function insertPoll(db: Database, p: NewPoll): number {
  const info = sql(db, 
      `INSERT INTO polls (target_id, started_at, finished_at, status, baseline, pages, group_count, rule_count, error_code, error, poll_count, run)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(p.targetId, p.startedAt, p.finishedAt, p.status, p.baseline ? 1 : 0, p.pages, p.groupCount, p.ruleCount, p.errorCode, p.error, p.pollCount ?? 1, p.run ? 1 : 0);
  return Number(info.lastInsertRowid);
}

export function setPollChangeCount(db: Database, pollId: number, count: number): void {
  sql(db, "UPDATE polls SET change_count = ? WHERE id = ?").run(count, pollId);
}

/** The target's latest successful poll, or undefined before its baseline. */
export function lastSuccessfulPoll(db: Database, targetId: number): PollRow | undefined {
  return sql(db, "SELECT * FROM polls WHERE target_id = ? AND status = 'ok' ORDER BY id DESC LIMIT 1").get(targetId) as PollRow | undefined;
}

export function lastPoll(db: Database, targetId: number): PollRow | undefined {
  return sql(db, "SELECT * FROM polls WHERE target_id = ? ORDER BY id DESC LIMIT 1").get(targetId) as PollRow | undefined;
}
