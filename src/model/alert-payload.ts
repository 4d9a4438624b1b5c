// What an alert carries. The payload is stored as JSON in the outbox when the
// alert is created, so delivery never needs the rest of the database and a
// resend after a crash says exactly what the first attempt said.
import type { ChangeKind, ExposedInterface, GroupAttributes, Rule, Severity } from "./types.js";
import type { GroupExposure } from "./attachment.js";
import type { PostureReport } from "./posture-report.js";
import type { TrailBlindAlert, TrailRestoredAlert, FailedAttemptsAlert, FailedAttemptsMoreAlert, TransientAlert, AttributedAlert, UnexpectedActorAlert } from "./trail-alert-payload.js";

// The CloudTrail sensor's alerts have their own file; importers find every payload type here.
export type { TrailBlindAlert, TrailRestoredAlert, FailedAttemptsAlert, FailedAttempt, AttemptThread, FailedAttemptsMoreAlert, TransientCall, TransientItem, TransientAlert, AttributedAlert, ActorFinding, UnexpectedActorAlert } from "./trail-alert-payload.js";

/** The account × region an alert is about. */
export interface AlertTarget {
  /** AWS account id. */
  account: string;
  /** AWS region. */
  region: string;
  /** The label from the config, if any. */
  label: string | null;
}

/** Who made a change, from CloudTrail. */
export interface AlertAttribution {
  /** The identity's ARN. */
  actorArn: string | null;
  /** A short name (user, role session). */
  actorName: string | null;
  /** Access key used. */
  accessKeyId: string | null;
  /** Source address of the call. */
  sourceIp: string | null;
  /** User agent of the call. */
  userAgent: string | null;
  /** The API call. */
  eventName: string;
  /** When the call was made. */
  eventTime: string;
  /** CloudTrail event id. */
  eventId: string;
}

/** One change as an alert shows it. */
export interface AlertChange {
  /** change_events.id, for `sgwatch ack`. */
  changeId: number;
  /** What happened. */
  kind: ChangeKind;
  /** How urgent. */
  severity: Severity;
  /** The group concerned. */
  groupId: string;
  /** The group's name. */
  groupName: string;
  /** The group's VPC. */
  vpcId: string | null;
  /** For rule changes. */
  rule: Rule | null;
  /** For description changes: the old description. */
  oldDescription: string | null;
  /** For group changes: attributes before / after. */
  before: Partial<GroupAttributes> | null;
  after: Partial<GroupAttributes> | null;
  /** The nearest approval record and why it did not cover this change. */
  approvalNote: string | null;
  /** For rules whose peer is a security group: that group's name, when known. */
  peerName?: string | null;
  /** Who made it, once CloudTrail said so. */
  attribution?: AlertAttribution | null;
  /** Blast radius: the network interfaces using the group after this poll; absent when interfaces were never read. */
  exposure?: GroupExposure | null;
  /** True when the severity was lowered because nothing uses the group ("not reachable now"). */
  notReachable?: boolean;
  /** For exposure-added: the public interface that now uses the group. */
  exposedVia?: ExposedInterface | null;
  /** When this change undid an earlier unapproved one: which, and how long it was in effect. */
  reverts?: { changeId: number; exposureSeconds: number } | null;
  /** True when the rule's peer is a broad range (severity.broadSources), ranked like the world. */
  broadSource?: boolean;
  /** The guardrail the change broke (id and reason); absent or null: none. Such a change is critical and never approved. */
  guardrail?: { id: string; reason: string } | null;
  /** For a guardrail violation: the AWS CLI command that revokes the rule (src/policy/revoke-command.ts), or null when it cannot be spelled safely. */
  revokeCommand?: string | null;
  /** The group's tags when the change was seen (routes select on them); absent in alerts queued before routes existed. */
  groupTags?: Record<string, string>;
}

/**
 * The alert a follow-up belongs with: the drift alert of the poll that found
 * the change. Each channel's message for that poll has a Message-ID derived
 * from these, so a follow-up can reply in its thread.
 */
export interface AlertThread {
  /** The poll that found the change (the drift alert's pollId). */
  pollId: number;
  /** That poll's time (the drift alert's detectedAt). */
  detectedAt: string;
  /** The subject the drift alert had on the follow-up's channel, when known. */
  subject?: string | null;
  /** The Message-ID key when the drift alert went out in a batch (digest), else derived from the poll. */
  messageKey?: string | null;
  /**
   * The changes were reported by an alert of their own (a transient opening's,
   * sent when the CloudTrail join decided it), not by the poll's drift alert:
   * the thread is found by change (change_threads), and a follow-up whose
   * channel never got that alert is no reply at all.
   */
  byChange?: boolean;
}

/** Unapproved changes found by one poll of one target. */
export interface DriftAlert {
  type: "drift";
  target: AlertTarget;
  /** The detecting poll. */
  pollId: number;
  /** When the poll saw the changes. */
  detectedAt: string;
  /** The previous successful poll: the changes happened after it. */
  intervalStart: string | null;
  /** Ordered worst first. */
  changes: AlertChange[];
}

/** A target could not be polled for a while: sgwatch cannot see it. */
export interface BlindAlert {
  type: "monitoring-blind";
  target: AlertTarget;
  /** Consecutive failed polls so far. */
  failures: number;
  /** The first failed poll of this run of failures. */
  since: string;
  /** The last successful poll, if ever. */
  lastSuccessAt: string | null;
  /** The last error, in words. */
  lastError: string;
}

/** A blind target was polled successfully again. */
export interface RestoredAlert {
  type: "monitoring-restored";
  target: AlertTarget;
  /** When it went blind. */
  blindSince: string;
  /** The good poll. */
  restoredAt: string;
}

/** Approval files have problems; changes they meant to approve will alert. */
export interface ApprovalsInvalidAlert {
  type: "approvals-invalid";
  /** Each distinct problem, with file and line. */
  problems: Array<{ file: string; line: number | null; message: string }>;
}

/** Unapproved critical/high changes still neither acknowledged nor reverted. */
export interface ReminderAlert {
  type: "reminder";
  /** The drift alert these changes were reported in (absent in a digest, and in alerts queued before threads). */
  thread?: AlertThread;
  /** One reminder for many incidents at once (more were due on the channel than alerts.reminderDigestAbove), in no thread. */
  digest?: { incidents: number; above: number };
  /** Each open change with where and when it was found. */
  items: Array<{ target: AlertTarget; detectedAt: string; change: AlertChange }>;
}

/** Approval records whose window ended without covering any change. */
export interface ApprovalUnusedAlert {
  type: "approval-unused";
  records: Array<{ id: string; selector: string; allows: string; from: string; until: string; approvedBy: string }>;
}

/** Unapproved changes that were undone: their incident is closed, nothing to acknowledge. */
export interface ClosedAlert {
  type: "closed";
  target: AlertTarget;
  /** The drift alert that reported the undone changes. */
  thread: AlertThread;
  /** The poll that saw them undone. */
  closedAt: string;
  /** Each undone change, when it was seen, what undid it and how long it was in effect. */
  items: Array<{ change: AlertChange; detectedAt: string; byChangeId: number; exposureSeconds: number }>;
}

/** Unapproved changes someone acknowledged (`sgwatch ack`): said in the incident's thread. */
export interface AcknowledgedAlert {
  type: "acknowledged";
  target: AlertTarget;
  /** The drift alert that reported the changes. */
  thread: AlertThread;
  /** Each acknowledged change with who, when, why and the ticket. */
  items: Array<{ change: AlertChange; detectedAt: string; ackedAt: string; ackedBy: string; reason: string; ticket: string | null }>;
}

/** Why a current rule is in the posture (same words as src/policy/posture.ts). */
export type PostureReasonName = "guardrail" | "world-open-sensitive" | "broad-open-sensitive" | "world-open-public" | "broad-open-public";

/** One current rule that needs attention, as a posture alert shows it. */
export interface PostureItem {
  /** sg-… id. */
  groupId: string;
  /** The group's name (untrusted text). */
  groupName: string;
  /** The rule as it stands. */
  rule: Rule;
  /** Severity as if the rule were added now. */
  severity: Severity;
  /** Every reason it is here. */
  reasons: PostureReasonName[];
  /** The guardrail it breaks, or null. */
  guardrail: { id: string; reason: string } | null;
  /** What the group exposes, or null when interfaces were never read. */
  exposure: GroupExposure | null;
  /** The AWS CLI command that removes it (guardrail violations only), or null. */
  revokeCommand: string | null;
}

/** The posture of a target at its baseline poll: what is already wrong, since that poll alerts on no change. */
export interface PostureAlert {
  type: "posture";
  target: AlertTarget;
  /** The baseline poll. */
  pollId: number;
  /** When it finished. */
  at: string;
  /** The findings, worst first (at most the first 100: one alert must stay readable). */
  items: PostureItem[];
  /** How many findings there were in all (more than items.length when cut). */
  total: number;
}

/** Drift alerts a route with a batch window collected into one message. */
export interface DigestAlert {
  type: "digest";
  /** The route that batched them. */
  route: string;
  /** When the batch opened (the first alert's time). */
  openedAt: string;
  /** The collected drift alerts, in the order they were found (any targets). */
  alerts: DriftAlert[];
}

/** The posture report, mailed on report.schedule to report.to: never routed, never urgent. */
export interface ReportAlert {
  type: "report";
  /** The report as gathered when the schedule fired (src/daemon/report.ts). */
  report: PostureReport;
}

export type AlertPayload =
  | ReportAlert
  | PostureAlert
  | DigestAlert
  | AcknowledgedAlert
  | AttributedAlert
  | UnexpectedActorAlert
  | ClosedAlert
  | DriftAlert
  | BlindAlert
  | RestoredAlert
  | TrailBlindAlert
  | TrailRestoredAlert
  | FailedAttemptsAlert
  | FailedAttemptsMoreAlert
  | TransientAlert
  | ApprovalsInvalidAlert
  | ReminderAlert
  | ApprovalUnusedAlert;

/** An alert as the dispatcher hands it to a channel. */
export interface OutboxAlert {
  /** outbox.id: stable, used for the email Message-ID. */
  id: number;
  /** When it was created. */
  createdAt: string;
  /** Worst severity in it. */
  severity: Severity;
  /** Delivery attempts before this one. */
  attempts: number;
  /** What to say. */
  payload: AlertPayload;
}
