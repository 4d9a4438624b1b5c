// Judging changes, in the design's order: guardrails first (a violation is
// critical and can never be approved, whatever record covers it), then the
// approval records, then severity. The actor policy and a record's `by:` need
// the CloudTrail event, which comes later: attribution applies them
// (src/attribution/actor-check.ts). Pure; the cycle builds one judge per
// target and poll.
import type { Change, GroupState } from "../model/types.js";
import type { GroupExposure } from "../model/attachment.js";
import type { PostureItem } from "../model/alert-payload.js";
import { postureFindings } from "../policy/posture.js";
import { revokeCommand } from "../policy/revoke-command.js";
import type { JudgedChange } from "../model/judged.js";
import { isBroadOpen, isWorldOpen, severityOf, type SeveritySettings } from "../model/severity.js";
import { blastSeverity } from "../model/blast.js";
import { matchChange } from "../approvals/match.js";
import type { ApprovalRecord } from "../approvals/schema.js";
import type { JudgeContext } from "../store/record-poll.js";
import type { Guardrail } from "../policy/guardrail.js";
import { changeViolation } from "../policy/violation.js";

export function judgeChanges(
  changes: Change[],
  ctx: JudgeContext & { account: string; region: string },
  settings: SeveritySettings,
  records: readonly ApprovalRecord[],
  guardrails: readonly Guardrail[] = [],
): JudgedChange[] {
  return changes.map((change) => {
    const m = matchChange(change, ctx, records);
    // Said in the alert, so a critical "from 0.0.0.0/1" does not read as a mistake.
    const broadSource = change.rule !== undefined && !isWorldOpen(change.rule) && isBroadOpen(change.rule, settings.broadSources);
    // Blast radius matters where something was opened: added ingress, or a group newly reachable.
    const opens = change.kind === "exposure-added" || (change.kind === "rule-added" && change.rule?.direction === "ingress");
    const exposure = opens ? ctx.exposure?.(change.groupId) : undefined;
    const hit = changeViolation(change, ctx, guardrails, settings.broadSources);
    if (hit !== null) {
      // Say which records would have covered it, so their authors learn why they did not count.
      const note = m.coveringIds.length > 0 ? `${m.coveringIds.join(", ")} would cover it, but no record can approve what guardrail ${hit.id} forbids` : m.nearest?.reason ?? null;
      // Critical whatever it is attached to: a guardrail says the rule must not exist at all.
      return { change, judgement: { severity: "critical", ...(exposure ? { exposure } : {}), status: "unapproved", approvalId: null, approvalIds: [], approvalNote: note, guardrail: hit, broadSource } };
    }
    const blast = blastSeverity(change, severityOf(change, settings), exposure, settings);
    return {
      change,
      judgement: {
        severity: blast.severity,
        ...(exposure ? { exposure } : {}),
        ...(blast.notReachable ? { notReachable: true } : {}),
        status: m.status,
        approvalId: m.recordId,
        approvalIds: m.coveringIds,
        approvalNote: m.status === "unapproved" && m.nearest ? m.nearest.reason : byNote(records, m.recordId),
        guardrail: null,
        broadSource,
      },
    };
  });
}

/**
 * For a change approved by a record that names who makes it (`by:`): said at
 * once, so the change reads as waiting for CloudTrail, not as approved for good.
 * Attribution replaces it with the verdict (src/attribution/actor-check.ts).
 */
function byNote(records: readonly ApprovalRecord[], recordId: string | null): string | null {
  const by = recordId === null ? null : records.find((r) => r.id === recordId)?.by;
  return by ? `${recordId} approves it once CloudTrail shows it was made by ${by.join(", ")}: waiting for the event` : null;
}

/** The posture items of a target's groups (sent at its baseline), each guardrail violation with its revoke command. */
export function postureItems(
  groups: readonly GroupState[],
  exposure: ((groupId: string) => GroupExposure | undefined) | undefined,
  place: { account: string; region: string },
  settings: SeveritySettings,
  guardrails: readonly Guardrail[],
): PostureItem[] {
  return postureFindings({ groups, place, guardrails, severity: settings, ...(exposure ? { exposure } : {}) }).map((f) => ({
    ...f,
    revokeCommand: f.guardrail ? revokeCommand(f.groupId, f.rule, place) : null,
  }));
}
