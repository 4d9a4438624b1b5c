// change_events.actor_verdict and what it implies (migration 0013), written
// once per change: the verdict, the failed conditions, the approval note,
// 'unapproved' for every verdict but allowed, and 'critical' for an
// unexpected actor. Both places that decide a caller write through here: the
// attribution of a change a poll saw and the join that records a short-lived
// opening.
import type { Database } from "better-sqlite3";
import type { ActorDecision } from "../policy/actor-verdict.js";

/** The `by:` principals of the stored record `approvalId`; null when it names none (or is gone). */
export function approvalBy(db: Database, approvalId: string | null): string[] | null {
  if (approvalId === null) return null;
  const row = db.prepare("SELECT record FROM approval_records WHERE id = ?").get(approvalId) as { record: string } | undefined;
  if (row === undefined) return null;
  try {
    const by = (JSON.parse(row.record) as { by?: unknown }).by;
    return Array.isArray(by) && by.length > 0 ? by.filter((x): x is string => typeof x === "string") : null;
  } catch {
    return null;
  }
}

/** Stores the decision on change `changeId` unless one is stored already; true when it wrote. */
export function storeActorVerdict(db: Database, changeId: number, d: ActorDecision): boolean {
  const unapprove = d.verdict !== "allowed";
  return (
    db
      .prepare(
        `UPDATE change_events SET actor_verdict = @verdict, actor_problem = @problem, approval_note = @note,
           status = CASE WHEN @unapprove THEN 'unapproved' ELSE status END,
           severity = CASE WHEN @critical THEN 'critical' ELSE severity END
         WHERE id = @id AND actor_verdict IS NULL`,
      )
      .run({
        id: changeId,
        verdict: d.verdict,
        problem: d.problems.length > 0 ? d.problems.join("; ") : null,
        note: d.note,
        unapprove: unapprove ? 1 : 0,
        critical: d.verdict === "unexpected" ? 1 : 0,
      }).changes > 0
  );
}
