// A settable clock for App and the dispatcher, so timestamps in the database
// are exact and retry/maxAge decisions need no waiting.
import type { Clock } from "../../src/util/time.js";

/** The reference instant every fake clock starts from: 2026-03-02 10:00:00 UTC (a Monday morning). */
export const REFERENCE_INSTANT = "2026-03-02T10:00:00.000Z";

/** A clock that moves only when told to. */
export interface FakeClock {
  /** Pass this as App's `clock`. */
  readonly clock: Clock;
  /** The current fake time. */
  now(): Date;
  /** The current fake time as ISO text. */
  iso(): string;
  /** Move forward by `ms`; returns the new time. */
  advance(ms: number): Date;
}

export function fakeClock(start: string = REFERENCE_INSTANT): FakeClock {
  let t = Date.parse(start);
  return {
    clock: () => new Date(t),
    now: () => new Date(t),
    iso: () => new Date(t).toISOString(),
    advance: (ms) => {
      t += ms;
      return new Date(t);
    },
  };
}
