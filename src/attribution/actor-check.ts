// Who made a change, held against who may (issue 11, finding 3). Runs inside
// attribution's transaction, the moment a change's CloudTrail event is known
// (or known to be missing): the verdict, the status it implies and the alert
// are written together, so each change is decided and alerted once, whatever
// restarts happen in between.
//
// Judgement order (DESIGN.md): guardrails were applied at detection; the actor
// policy comes next, so a caller outside it makes the change critical and
// unapproved whatever record covered it (an approved change made with someone
// else's key is the stolen-key case); then the approving record's `by:`.
import type { Database } from "better-sqlite3";
import type { AlertPayload, UnexpectedActorAlert } from "../model/alert-payload.js";
import type { RoutedAlert } from "../store/record-poll.js";
import { CHANGE_ROW_COLUMNS, rowToAlertChange, type OpenChangeRow } from "../store/change-rows.js";
import { enqueueRouted } from "../store/threads-repo.js";
import type { ActorFacts, ActorPolicyConfig } from "../policy/actor.js";
import { decideActor, type ActorVerdict } from "../policy/actor-verdict.js";
import { approvalBy, storeActorVerdict } from "../store/actor-verdict-repo.js";
import { attributionsFor } from "./read.js";

/** What the check needs, passed in by attribution. */
export interface ActorCheck {
  /** The target's actor policy; null: none. */
  policy: ActorPolicyConfig | null;
  /** Where the alerts go (the channels' routes); absent: the verdict is stored, nothing is queued. */
  route?: (payload: AlertPayload) => RoutedAlert[];
}

interface CheckedRow extends OpenChangeRow {
  status: "approved" | "unapproved";
  approval_id: string | null;
  actor_verdict: ActorVerdict | null;
}

/**
 * Decide the caller of each change (facts: the matched event's caller, or
 * null when attribution gave up or CloudTrail is off), store the verdict and
 * queue one alert per detecting poll for the changes it makes unapproved.
 * Call inside a transaction. Changes already decided are skipped. Returns the
 * ids of changes alerted now.
 */
export function checkActors(db: Database, check: ActorCheck, decided: ReadonlyArray<{ changeId: number; facts: ActorFacts | null }>, nowIso: string): number[] {
  if (decided.length === 0) return [];
  const rows = db
    .prepare(`SELECT ${CHANGE_ROW_COLUMNS} FROM change_events c JOIN targets t ON t.id = c.target_id WHERE c.id IN (SELECT value FROM json_each(?)) ORDER BY c.id`)
    .all(JSON.stringify(decided.map((d) => d.changeId))) as CheckedRow[];
  const factsOf = new Map(decided.map((d) => [d.changeId, d.facts]));
  const alerted: Array<{ row: CheckedRow; verdict: Exclude<ActorVerdict, "allowed">; problems: string[]; wasAlerted: boolean }> = [];
  for (const row of rows) {
    if (row.actor_verdict !== null) continue;
    const d = decideActor({ status: row.status, approvalId: row.approval_id, approvalNote: row.approval_note }, factsOf.get(row.id) ?? null, check.policy, approvalBy(db, row.approval_id));
    if (d === null) continue;
    if (!storeActorVerdict(db, row.id, d) || d.verdict === "allowed" || row.ignored_reason !== null) continue;
    alerted.push({ row: { ...row, status: "unapproved", approval_note: d.note, severity: d.verdict === "unexpected" ? "critical" : row.severity }, verdict: d.verdict, problems: d.problems, wasAlerted: row.status === "unapproved" });
  }
  if (check.route === undefined || alerted.length === 0) return [];
  const who = attributionsFor(db, alerted.map((a) => a.row.id));
  // One alert per detecting poll: in its drift alert's thread when that alert went out, else a new one.
  const groups = new Map<string, typeof alerted>();
  for (const a of alerted) {
    const key = a.wasAlerted ? `thread:${a.row.poll_id}` : `new:${a.row.poll_id}`;
    groups.set(key, [...(groups.get(key) ?? []), a]);
  }
  for (const list of groups.values()) {
    const first = list[0] as (typeof alerted)[number];
    const payload: UnexpectedActorAlert = {
      type: "unexpected-actor",
      ...(first.wasAlerted ? { thread: { pollId: first.row.poll_id, detectedAt: first.row.detected_at } } : {}),
      items: list.map((a) => ({
        target: { account: a.row.account, region: a.row.region, label: a.row.label },
        detectedAt: a.row.detected_at,
        change: { ...rowToAlertChange(a.row), attribution: who.get(a.row.id) ?? null },
        verdict: a.verdict,
        problems: a.problems,
        approvalId: a.row.approval_id,
      })),
    };
    for (const routed of check.route(payload)) enqueueRouted(db, routed, nowIso);
  }
  return alerted.map((a) => a.row.id);
}
