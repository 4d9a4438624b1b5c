// History that grows with change, not with time: a target's run of
// consecutive successful unchanged polls is one `polls` row (first start,
// last finish, poll_count), extended in place by each further unchanged poll.
// The extension rewrites two fixed-width columns of a row on its page and
// touches no index (none covers finished_at, poll_count or interfaces_read),
// so an unchanged poll adds no bytes to the file. Everything that is news
// keeps a row of its own: a baseline, a poll with changes, a failure, the
// first good poll after failures (a restored transition), a poll that saw
// interfaces move. Migration 0014 applies the same rule to stored history.
import type { Database } from "better-sqlite3";
import { lastPoll, type PollRow } from "./polls-repo.js";
import { sql } from "./statements.js";

/** How a successful poll with nothing new is written. */
export type RunStep =
  /** Extend this run row in place. */
  | { kind: "extend"; row: PollRow }
  /** Insert a row: a new run (after a success), or one poll in full detail (after a failure, or the target's first row). */
  | { kind: "insert"; run: boolean };

/** The UTC day of an ISO time: a run never crosses midnight, so polls per day are exact (sum(poll_count) by day). */
export function runDay(iso: string): string {
  return iso.slice(0, 10);
}

/**
 * Where an unchanged poll that started at `startedAt` goes. `readInterfaces`:
 * whether it read the target's interfaces. A run row's interfaces_read says
 * its LAST poll read them, so a poll that did not read them never extends a
 * row whose last poll did (the time of the last read and the polls since stay
 * exact); with aws.interfacesEvery N > 1 a run row holds at most N polls.
 * A run ends at UTC midnight: one row per target and day at most (about a
 * third of a byte per five-minute poll), and "how many polls that day" stays
 * exact.
 */
export function unchangedPollStep(db: Database, targetId: number, startedAt: string, readInterfaces: boolean): RunStep {
  return unchangedPollStepAfter(lastPoll(db, targetId), startedAt, readInterfaces);
}

/** unchangedPollStep given the target's latest poll row, already read in the same transaction. */
export function unchangedPollStepAfter(latest: PollRow | undefined, startedAt: string, readInterfaces: boolean): RunStep {
  const sameDay = latest !== undefined && runDay(latest.started_at) === runDay(startedAt);
  if (latest?.run === 1 && sameDay && (readInterfaces || latest.interfaces_read === 0)) return { kind: "extend", row: latest };
  return { kind: "insert", run: latest?.status === "ok" };
}

/** Extend a run row by one poll: its finish, its count, whether its last poll read interfaces. */
export function extendRun(db: Database, rowId: number, finishedAt: string, readInterfaces: boolean): void {
  sql(db, "UPDATE polls SET finished_at = ?, poll_count = poll_count + 1, interfaces_read = ? WHERE id = ?").run(finishedAt, readInterfaces ? 1 : 0, rowId);
}
