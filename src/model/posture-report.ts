// The posture report's shape (src/daemon/report.ts gathers it, the report
// alert carries it in the outbox, src/alerts/render/report.ts writes it):
// data below every room that stores, sends or renders it.
import type { Severity } from "./types.js";
import type { PostureItem } from "./alert-payload.js";

/** One entry of the ignore list as people and JSON see it. */
export interface IgnoreSummary {
  /** Position in the config's list. */
  index: number;
  /** What it selects, in words. */
  selects: string;
  /** Why. */
  reason: string;
  /** When it stops applying. */
  until: string;
  /** Whether it still applies now. */
  active: boolean;
}

/** One target's posture now. */
export interface ReportTarget {
  /** AWS account id. */
  account: string;
  /** AWS region. */
  region: string;
  /** The config's label, or null. */
  label: string | null;
  /** When polling went blind, or null while it sees. */
  blindSince: string | null;
  /** When the CloudTrail sweep went blind, or null. */
  trailBlindSince: string | null;
  /** The last successful poll, or null when there was none (nothing known). */
  lastPollAt: string | null;
  /** Current rules that need attention, worst first. */
  findings: PostureItem[];
}

/** An unapproved change nobody acknowledged and that was not reverted. */
export interface ReportOpenChange {
  /** change_events id, for `sgwatch ack`. */
  id: number;
  /** When it was detected. */
  time: string;
  /** Target account. */
  account: string;
  /** Target region. */
  region: string;
  /** sg-… id. */
  groupId: string;
  /** Group name (untrusted). */
  groupName: string;
  /** critical / high / medium / low. */
  severity: Severity;
  /** What changed, in words. */
  what: string;
  /** The guardrail it breaks, or null. */
  guardrail: string | null;
}

/** An approval record worth a look: ending soon, or never used. */
export interface ReportApproval {
  /** The record's id. */
  id: string;
  /** active / expired / … */
  state: string;
  /** Window end. */
  until: string;
  /** Which groups, in words. */
  selector: string;
  /** Which changes, in words. */
  allows: string;
  /** Who approved it. */
  approvedBy: string;
  /** Changes it covered so far. */
  changesCovered: number;
}

/** The posture report: what an auditor or a weekly mail needs. */
export interface PostureReport {
  /** When it was made. */
  generatedAt: string;
  /** Every known target. */
  targets: ReportTarget[];
  /** Unapproved changes not yet acknowledged or reverted, worst first. */
  openChanges: ReportOpenChange[];
  /** Approvals whose window ends within 7 days. */
  approvalsExpiring: ReportApproval[];
  /** Approvals (active or ended) that never covered a change. */
  approvalsUnused: ReportApproval[];
  /** The ignore list (groups recorded, not alerted). */
  ignore: IgnoreSummary[];
}
