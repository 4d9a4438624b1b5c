// When the CloudTrail sweep of a target counts as blind: the same thresholds
// as polls (monitoring.blindAfterFailures failures in a row, or
// monitoring.blindAfter without a good sweep). Pure.
import type { CursorRow } from "./store.js";

/** The thresholds, as configured under monitoring:. */
export interface BlindThresholds {
  /** Consecutive failed sweeps that make a target trail-blind. */
  afterFailures: number;
  /** Time without a good sweep that makes a target trail-blind (ms). */
  afterMs: number;
}

/** The cursor after a failed sweep, and whether it just became blind. */
export function afterFailure(c: CursorRow, nowIso: string, error: string, t: BlindThresholds): { cursor: CursorRow; becameBlind: boolean } {
  const failures = c.consecutive_failures + 1;
  const firstFailure = c.first_failure_at ?? nowIso;
  const quietSince = Date.parse(c.last_ok_at ?? firstFailure);
  const tooLong = Date.parse(nowIso) - quietSince >= t.afterMs;
  const becameBlind = c.blind_since === null && (failures >= t.afterFailures || tooLong);
  return {
    cursor: {
      ...c,
      last_sweep_at: nowIso,
      consecutive_failures: failures,
      first_failure_at: firstFailure,
      blind_since: becameBlind ? nowIso : c.blind_since,
      last_error: error,
    },
    becameBlind,
  };
}

/** The failure bookkeeping after a good sweep; `restoredFrom` is when it had gone blind, if it had. */
export function afterSuccess(c: CursorRow, nowIso: string): { cursor: CursorRow; restoredFrom: string | null } {
  return {
    cursor: { ...c, last_sweep_at: nowIso, last_ok_at: nowIso, consecutive_failures: 0, first_failure_at: null, blind_since: null, last_error: null },
    restoredFrom: c.blind_since,
  };
}
