// The actor verdict of one change (pure): the caller CloudTrail named, held
// against the target's actor policy and then the approving record's `by:`
// (DESIGN.md "Judgement order": guardrails, actor policy, approvals,
// severity). One decision for every change whatever found it: a change a poll
// saw (decided when attribution finds its event, src/attribution/actor-check.ts)
// and a short-lived opening no poll saw (decided from its adding call when the
// join records it, src/trail/transient-store.ts).
import { actorLabel, actorProblems, hasActorPolicy, principalMatches, type ActorFacts, type ActorPolicyConfig } from "./actor.js";

/** What a change's caller was found to be (change_events.actor_verdict). */
export type ActorVerdict = "allowed" | "unexpected" | "not-by" | "unverified";

/** The change as judged so far: its approval outcome. */
export interface VerdictInput {
  /** The status approval records gave it. */
  status: "approved" | "unapproved";
  /** The covering (or nearest) record. */
  approvalId: string | null;
  /** What approval matching said about it. */
  approvalNote: string | null;
}

/** A decision: the verdict, each failed condition in words (untrusted text inside), and the approval note it implies. */
export interface ActorDecision {
  verdict: ActorVerdict;
  problems: string[];
  note: string | null;
}

/**
 * The decision for one change, or null when there is nothing to decide (no
 * policy and no `by:` that applies). facts: the caller from the change's
 * CloudTrail event, or null when no event named one. by: the approving
 * record's `by:` principals, or null when it names none.
 */
export function decideActor(change: VerdictInput, facts: ActorFacts | null, policy: ActorPolicyConfig | null, by: readonly string[] | null): ActorDecision | null {
  const checksPolicy = hasActorPolicy(policy);
  if (facts === null) {
    // No event named the caller: the actor policy cannot be held (CloudTrail may simply not have it), but a record
    // that approves only a named caller does not approve an unknown one.
    if (change.status !== "approved" || by === null) return null;
    const problem = `record ${change.approvalId ?? "?"} approves it only when made by ${by.join(", ")}, and no CloudTrail event named who made it`;
    return { verdict: "unverified", problems: [problem], note: problem };
  }
  const problems = checksPolicy ? actorProblems(policy, facts).map((p) => p.message) : [];
  if (problems.length > 0) {
    const cover = change.status === "approved" && change.approvalId !== null ? `${change.approvalId} would cover it, but ` : "";
    return { verdict: "unexpected", problems, note: `${cover}it was made by an unexpected actor: ${problems.join("; ")}` };
  }
  if (change.status === "approved" && by !== null && !principalMatches(by, facts)) {
    const problem = `made by ${actorLabel(facts)}, but record ${change.approvalId ?? "?"} approves it only when made by ${by.join(", ")}`;
    return { verdict: "not-by", problems: [problem], note: problem };
  }
  if (!checksPolicy && (change.status !== "approved" || by === null)) return null;
  return { verdict: "allowed", problems: [], note: change.status === "approved" ? null : change.approvalNote };
}
