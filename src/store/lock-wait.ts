// Waiting for another writer. better-sqlite3 is synchronous: SQLite's own
// busy timeout would hold the whole event loop (and /healthz with it) while
// a person's `BEGIN IMMEDIATE` in the sqlite3 shell keeps the lock. So the
// connection's busy timeout is kept short and a locked write is retried here,
// asynchronously, with exponential backoff, until `timeoutMs` of waiting has
// passed; then the last error is thrown and the caller counts the failure.
// Only whole transactions are passed in: a failed attempt changed nothing.
import { dbFailureReason } from "./db-failure.js";

/** How to wait. */
export interface LockWait {
  /** Total time to spend waiting between attempts before giving up (ms). */
  timeoutMs: number;
  /** Wait this long; injected so tests control time. */
  sleep: (ms: number) => Promise<void>;
  /** First delay; doubled after each failed attempt up to maxDelayMs. */
  firstDelayMs?: number;
  /** Longest single delay. */
  maxDelayMs?: number;
  /** Told before each wait (a log line, say). */
  onWait?: (attempt: number, delayMs: number) => void;
}

/** Run `write`, retrying while the database is locked, for at most `wait.timeoutMs` of waiting. */
export async function withLockWait<T>(write: () => T, wait: LockWait): Promise<T> {
  const first = wait.firstDelayMs ?? 50;
  const max = wait.maxDelayMs ?? 2_000;
  let waited = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return write();
    } catch (err) {
      if (dbFailureReason(err) !== "db-locked" || waited >= wait.timeoutMs) throw err;
      const delay = Math.min(max, first * 2 ** (attempt - 1), wait.timeoutMs - waited);
      wait.onWait?.(attempt, delay);
      await wait.sleep(delay);
      waited += delay;
    }
  }
}
