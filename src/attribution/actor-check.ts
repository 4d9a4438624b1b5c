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
import type { AlertPayload, UnexpectedActorAlert } from "../alerts/payload.js";
import type { RoutedAlert } from "../store/record-poll.js";
import { CHANGE_ROW_COLUMNS, rowToAlertChange, type OpenChangeRow } from "../store/change-rows.js";
import { enqueueRouted } from "../store/threads-repo.js";
import { actorLabel, actorProblems, hasActorPolicy, principalMatches, type ActorFacts, type ActorPolicyConfig } from "../policy/actor.js";
import { attributionsFor } from "./read.js";

/** What a change's caller was found to be (change_events.actor_verdict). */
export type ActorVerdict = "allowed" | "unexpected" | "not-by" | "unverified";

/** What the check needs, passed in by attribution. */
export interface ActorCheck {
  /** The target's actor policy; null: none. */
  policy: ActorPolicyConfig | null;
  /** Where the alerts go (the channels' routes); absent: the verdict is stored, nothing is queued. */
  route?: (payload: AlertPayload) => RoutedAlert[];
}

interface TrailFactsRow {
  identity_arn: string | null;
  identity_type: string | null;
  source_ip: string | null;
  vpc_endpoint_id: string | null;
  record: string;
}

/** The caller of a stored trail event, with what only the record holds (the session's role, invokedBy). */
export function factsOfEvent(db: Database, eventId: string): ActorFacts | null {
  const row = db.prepare("SELECT identity_arn, identity_type, source_ip, vpc_endpoint_id, record FROM trail_events WHERE event_id = ?").get(eventId) as TrailFactsRow | undefined;
  if (row === undefined) return null;
  let issuerArn: string | null = null;
  let invokedBy: string | null = null;
  try {
    const rec = JSON.parse(row.record) as { userIdentity?: { invokedBy?: unknown; sessionContext?: { sessionIssuer?: { arn?: unknown } } } };
    const issuer = rec.userIdentity?.sessionContext?.sessionIssuer?.arn;
    issuerArn = typeof issuer === "string" && issuer !== "" ? issuer : null;
    const by = rec.userIdentity?.invokedBy;
    invokedBy = typeof by === "string" && by !== "" ? by : null;
  } catch {
    // A record that is not JSON still has its columns.
  }
  return { identityArn: row.identity_arn, identityType: row.identity_type, issuerArn, invokedBy, sourceIp: row.source_ip, vpcEndpointId: row.vpc_endpoint_id };
}

/** The `by:` principals of the record that approved a change; null when it names none (or is gone). */
function byOf(db: Database, approvalId: string | null): string[] | null {
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

interface CheckedRow extends OpenChangeRow {
  status: "approved" | "unapproved";
  approval_id: string | null;
  actor_verdict: ActorVerdict | null;
}

/** The decision for one change; pure apart from reading the record's `by:`. */
function decide(row: CheckedRow, facts: ActorFacts | null, policy: ActorPolicyConfig | null, by: string[] | null): { verdict: ActorVerdict; problems: string[]; note: string | null } | null {
  const checksPolicy = hasActorPolicy(policy);
  if (facts === null) {
    // No event named the caller: the actor policy cannot be held (CloudTrail may simply not have it), but a record
    // that approves only a named caller does not approve an unknown one.
    if (row.status !== "approved" || by === null) return null;
    const problem = `record ${row.approval_id ?? "?"} approves it only when made by ${by.join(", ")}, and no CloudTrail event named who made it`;
    return { verdict: "unverified", problems: [problem], note: problem };
  }
  const problems = checksPolicy ? actorProblems(policy, facts).map((p) => p.message) : [];
  if (problems.length > 0) {
    const cover = row.status === "approved" && row.approval_id !== null ? `${row.approval_id} would cover it, but ` : "";
    return { verdict: "unexpected", problems, note: `${cover}it was made by an unexpected actor: ${problems.join("; ")}` };
  }
  if (row.status === "approved" && by !== null && !principalMatches(by, facts)) {
    const problem = `made by ${actorLabel(facts)}, but record ${row.approval_id ?? "?"} approves it only when made by ${by.join(", ")}`;
    return { verdict: "not-by", problems: [problem], note: problem };
  }
  if (!checksPolicy && (row.status !== "approved" || by === null)) return null;
  return { verdict: "allowed", problems: [], note: row.status === "approved" ? null : row.approval_note };
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
  const update = db.prepare(
    `UPDATE change_events SET actor_verdict = @verdict, actor_problem = @problem, approval_note = @note,
       status = CASE WHEN @unapprove THEN 'unapproved' ELSE status END,
       severity = CASE WHEN @critical THEN 'critical' ELSE severity END
     WHERE id = @id AND actor_verdict IS NULL`,
  );
  const alerted: Array<{ row: CheckedRow; verdict: Exclude<ActorVerdict, "allowed">; problems: string[]; wasAlerted: boolean }> = [];
  for (const row of rows) {
    if (row.actor_verdict !== null) continue;
    const d = decide(row, factsOf.get(row.id) ?? null, check.policy, byOf(db, row.approval_id));
    if (d === null) continue;
    const unapprove = d.verdict !== "allowed";
    const changed = update.run({
      id: row.id,
      verdict: d.verdict,
      problem: d.problems.length > 0 ? d.problems.join("; ") : null,
      note: d.note,
      unapprove: unapprove ? 1 : 0,
      critical: d.verdict === "unexpected" ? 1 : 0,
    }).changes;
    if (changed === 0 || d.verdict === "allowed" || row.ignored_reason !== null) continue;
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
