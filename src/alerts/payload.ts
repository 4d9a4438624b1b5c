// What an alert carries. The payload is stored as JSON in the outbox when the
// alert is created, so delivery never needs the rest of the database and a
// resend after a crash says exactly what the first attempt said.
import type { ChangeKind, ExposedInterface, GroupAttributes, Rule, Severity } from "../model/types.js";
import type { GroupExposure } from "../model/attachment.js";

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
  /** Each open change with where and when it was found. */
  items: Array<{ target: AlertTarget; detectedAt: string; change: AlertChange }>;
}

/** Approval records whose window ended without covering any change. */
export interface ApprovalUnusedAlert {
  type: "approval-unused";
  records: Array<{ id: string; selector: string; allows: string; from: string; until: string; approvedBy: string }>;
}

/** Who made unapproved changes that were alerted on before CloudTrail had the answer. */
export interface AttributedAlert {
  type: "attributed";
  /** Each change with where and when it was found, and its attribution. */
  items: Array<{ target: AlertTarget; detectedAt: string; change: AlertChange }>;
}

export type AlertPayload = AttributedAlert | DriftAlert | BlindAlert | RestoredAlert | ApprovalsInvalidAlert | ReminderAlert | ApprovalUnusedAlert;

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
