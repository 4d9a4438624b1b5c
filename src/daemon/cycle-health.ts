// What the daemon knows about failures it could not record. Health is
// otherwise read from the targets table, which a locked, full or read-only
// database cannot update: every failure would then be invisible exactly when
// nothing is being recorded. So polls that could not be written are counted
// here, in memory, per target, and count against blindness exactly like
// failed polls; once the database takes writes again they are written down
// (store/record-poll.ts recordUnrecordedFailures) and forgotten here.
import type { CycleFailureReason } from "../store/db-failure.js";

/** account × region. */
export interface TargetRef {
  /** AWS account id. */
  account: string;
  /** AWS region. */
  region: string;
}

/** A target's run of polls that could not be recorded. */
export interface UnrecordedRun {
  /** Polls lost so far in this run. */
  failures: number;
  /** When the first of them started (ISO-8601 UTC). */
  since: string;
  /** Why the last one could not be recorded. */
  reason: CycleFailureReason;
  /** The last error, in words. */
  message: string;
  /** True once the run made the target blind (the alert was sent directly). */
  blind: boolean;
}

/** Cycle-level counts for /healthz. */
export interface CycleHealthSnapshot {
  /** Cycles in a row that could not record everything. */
  consecutiveFailedCycles: number;
  /** The last failed cycle's reason, or null after a good cycle. */
  lastReason: CycleFailureReason | null;
  /** Its error, in words. */
  lastError: string | null;
  /** Targets with polls not yet recorded. */
  unrecorded: Array<TargetRef & UnrecordedRun>;
}

const keyOf = (t: TargetRef): string => `${t.account}/${t.region}`;

export class CycleHealth {
  private readonly runs = new Map<string, TargetRef & UnrecordedRun>();
  private failedCycles = 0;
  private last: { reason: CycleFailureReason; message: string } | null = null;

  /** The target's unrecorded run, if any. */
  unrecorded(t: TargetRef): UnrecordedRun | undefined {
    return this.runs.get(keyOf(t));
  }

  /** Count one more poll of `t` that could not be recorded; returns the run. */
  noteUnrecorded(t: TargetRef, reason: CycleFailureReason, message: string, startedAt: string): UnrecordedRun {
    const run = this.runs.get(keyOf(t)) ?? { account: t.account, region: t.region, failures: 0, since: startedAt, reason, message, blind: false };
    run.failures++;
    run.reason = reason;
    run.message = message;
    this.runs.set(keyOf(t), run);
    return run;
  }

  /** The target's polls are being recorded again (its lost run is written down). */
  noteRecorded(t: TargetRef): void {
    this.runs.delete(keyOf(t));
  }

  /** End of a cycle: failed (with why) or fully recorded. */
  cycleDone(failure: { reason: CycleFailureReason; message: string } | null): void {
    if (failure) {
      this.failedCycles++;
      this.last = failure;
    } else {
      this.failedCycles = 0;
      this.last = null;
    }
  }

  snapshot(): CycleHealthSnapshot {
    return {
      consecutiveFailedCycles: this.failedCycles,
      lastReason: this.last?.reason ?? null,
      lastError: this.last?.message ?? null,
      unrecorded: [...this.runs.values()].map((r) => ({ ...r })),
    };
  }
}
