// Judging changes: severity from the settings, status from the approval
// records. Pure; the cycle builds one judge per target and poll.
import type { Change } from "../model/types.js";
import type { JudgedChange } from "../model/judged.js";
import { severityOf, type SeveritySettings } from "../model/severity.js";
import { blastSeverity } from "../model/blast.js";
import { matchChange } from "../approvals/match.js";
import type { ApprovalRecord } from "../approvals/schema.js";
import type { JudgeContext } from "../store/record-poll.js";

export function judgeChanges(
  changes: Change[],
  ctx: JudgeContext & { account: string; region: string },
  settings: SeveritySettings,
  records: readonly ApprovalRecord[],
): JudgedChange[] {
  return changes.map((change) => {
    const m = matchChange(change, ctx, records);
    // Blast radius matters where something was opened: added ingress, or a group newly reachable.
    const opens = change.kind === "exposure-added" || (change.kind === "rule-added" && change.rule?.direction === "ingress");
    const exposure = opens ? ctx.exposure?.(change.groupId) : undefined;
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
        approvalNote: m.status === "unapproved" && m.nearest ? m.nearest.reason : null,
      },
    };
  });
}
