// When the sweep is trail-blind: the poll thresholds (failures in a row, or
// time without a good sweep), once per run of failures, cleared by a good sweep.
import { describe, expect, it } from "vitest";
import { afterFailure, afterSuccess } from "../../../src/trail/blind.js";
import type { CursorRow } from "../../../src/trail/store.js";

const fresh: CursorRow = {
  target_id: 1,
  swept_until: "2026-03-02T10:00:00.000Z",
  backlog_from: null,
  backlog_until: null,
  recheck_from: null,
  recheck_until: null,
  last_sweep_at: "2026-03-02T10:00:00.000Z",
  last_ok_at: "2026-03-02T10:00:00.000Z",
  consecutive_failures: 0,
  first_failure_at: null,
  blind_since: null,
  last_error: null,
};
const T = { afterFailures: 3, afterMs: 3_600_000 };

describe("trail-blind", () => {
  it("goes blind at the third failure in a row, once, keeping the cursor", () => {
    let c = fresh;
    const became: boolean[] = [];
    for (const t of ["10:05", "10:10", "10:15", "10:20"]) {
      const r = afterFailure(c, `2026-03-02T${t}:00.000Z`, "AccessDeniedException: no", T);
      became.push(r.becameBlind);
      c = r.cursor;
    }
    expect(became).toEqual([false, false, true, false]);
    expect(c).toMatchObject({ consecutive_failures: 4, first_failure_at: "2026-03-02T10:05:00.000Z", blind_since: "2026-03-02T10:15:00.000Z", swept_until: fresh.swept_until });
  });

  it("goes blind at the first failure when the last good sweep is older than blindAfter", () => {
    const r = afterFailure(fresh, "2026-03-02T11:00:00.000Z", "timeout", T);
    expect(r.becameBlind).toBe(true);
  });

  it("a good sweep clears the failures and says when blindness began", () => {
    const blind = { ...fresh, consecutive_failures: 3, first_failure_at: "2026-03-02T10:05:00.000Z", blind_since: "2026-03-02T10:15:00.000Z", last_error: "x" };
    expect(afterSuccess(blind, "2026-03-02T10:30:00.000Z")).toEqual({
      cursor: { ...fresh, last_sweep_at: "2026-03-02T10:30:00.000Z", last_ok_at: "2026-03-02T10:30:00.000Z" },
      restoredFrom: "2026-03-02T10:15:00.000Z",
    });
    expect(afterSuccess(fresh, "2026-03-02T10:30:00.000Z").restoredFrom).toBeNull();
  });
});
