// What the CloudTrail sensor's alerts carry (src/trail/, src/attribution/):
// trail-blind and restored, failed attempts and their follow-ups, short-lived
// openings, who made a change, and unexpected actors. Part of AlertPayload
// (alert-payload.ts), stored as JSON in the outbox like every alert.
import type { AlertTarget, AlertChange, AlertThread } from "./alert-payload.js";
import type { Severity } from "./types.js";

/** The CloudTrail sweep of a target kept failing: failed attempts and who made changes go unseen there. */
export interface TrailBlindAlert {
  type: "trail-blind";
  target: AlertTarget;
  /** Consecutive failed sweeps so far. */
  failures: number;
  /** The first failed sweep of this run of failures. */
  since: string;
  /** The last successful sweep, if ever. */
  lastSuccessAt: string | null;
  /** The last error, in words. */
  lastError: string;
}

/** A trail-blind target was swept successfully again. */
export interface TrailRestoredAlert {
  type: "trail-restored";
  target: AlertTarget;
  /** When it went trail-blind. */
  blindSince: string;
  /** The good sweep. */
  restoredAt: string;
}

/** Calls that failed for authorisation (a key trying what it may not), by one identity on one target within a window. */
export interface FailedAttemptsAlert {
  type: "failed-attempts";
  target: AlertTarget;
  /** The worst severity the attempted changes would have had. */
  severity: Severity;
  /** Who: from CloudTrail's userIdentity. */
  identity: {
    /** The identity's ARN. */
    arn: string | null;
    /** IAMUser, AssumedRole, Root, … */
    type: string | null;
    /** The access keys the calls were signed with. */
    accessKeyIds: string[];
  };
  /** How many calls failed so. */
  count: number;
  /** The first call's time. */
  firstAt: string;
  /** The last call's time. */
  lastAt: string;
  /** From where: each distinct source address, user agent and VPC endpoint. */
  sources: Array<{ sourceIp: string | null; userAgent: string | null; vpcEndpointId: string | null }>;
  /** What they tried, oldest first (the first 20). */
  attempts: FailedAttempt[];
  /** trail_attempt_groups.id: with windowStart, the Message-ID later attempts reply to (absent in alerts queued before follow-ups). */
  attemptGroupId?: number;
  /** The group's window_start. */
  windowStart?: string;
}

/** One call that failed for authorisation, as the alerts list it. */
export interface FailedAttempt {
  /** When. */
  time: string;
  /** The API call. */
  eventName: string;
  /** CloudTrail's errorCode, e.g. Client.UnauthorizedOperation. */
  errorCode: string;
  /** The group named. */
  groupId: string | null;
  /** The rules asked for, in words. */
  rules: string;
  /** The severity the change would have had. */
  severity: Severity;
}

/** The failed-attempts alert a follow-up replies to: its attempt group, and what its subject said. */
export interface AttemptThread {
  /** trail_attempt_groups.id. */
  attemptGroupId: number;
  /** The group's window_start (part of the Message-ID). */
  windowStart: string;
  /** How many attempts the first alert counted (its subject says so). */
  firstCount: number;
  /** The severity the first alert had. */
  firstSeverity: Severity;
}

/**
 * More calls of an already alerted burst (same identity, target and window)
 * that CloudTrail delivered after the alert went out: one reply per sweep in
 * the first alert's thread, never a second alert.
 */
export interface FailedAttemptsMoreAlert {
  type: "failed-attempts-more";
  target: AlertTarget;
  /** The worst severity of the whole burst so far. */
  severity: Severity;
  /** Who: the burst's identity, and every key the new calls were signed with. */
  identity: FailedAttemptsAlert["identity"];
  /** Calls told for the first time here. */
  newCount: number;
  /** Calls in the burst in all, these included. */
  count: number;
  /** The burst's first call. */
  firstAt: string;
  /** The burst's last call. */
  lastAt: string;
  /** From where the new calls came. */
  sources: FailedAttemptsAlert["sources"];
  /** The new calls, oldest first (the first 20). */
  attempts: FailedAttempt[];
  /** The alert this follows. */
  thread: AttemptThread;
}

/** The call that added or removed a short-lived rule, from CloudTrail (untrusted text: through the sanitiser before shown). */
export interface TransientCall {
  /** The API call. */
  eventName: string;
  /** CloudTrail eventID. */
  eventId: string;
  /** userIdentity.arn. */
  arn: string | null;
  /** userIdentity.accessKeyId. */
  accessKeyId: string | null;
  /** sourceIPAddress. */
  sourceIp: string | null;
  /** userAgent. */
  userAgent: string | null;
}

/** One rule that was open between two polls and closed again before the next: no poll saw it. */
export interface TransientItem {
  /** The opening as a change (kind rule-added, judged like any addition); its changeId is the transient row. */
  change: AlertChange;
  /** When it was added (CloudTrail eventTime). */
  openedAt: string;
  /** When it was removed (CloudTrail eventTime). */
  closedAt: string;
  /** closedAt − openedAt, in seconds (CloudTrail's times are whole seconds). */
  seconds: number;
  /** Who added it, from where. */
  openedBy: TransientCall;
  /** Who removed it. */
  closedBy: TransientCall;
  /** The last poll before it was opened, if any. */
  previousPollAt: string | null;
  /** The first poll after it was closed (the poll that showed it gone). */
  nextPollAt: string;
  /** Present when the adding call's caller is not who may make it (the actor policy, or the covering record's by:): why it is unapproved. */
  actor?: ActorFinding;
}

/** Short-lived openings found by joining CloudTrail with poll history (src/trail/transient.ts): unapproved ones only. */
export interface TransientAlert {
  type: "transient";
  target: AlertTarget;
  /** Worst first. */
  items: TransientItem[];
}

/** Who made unapproved changes that were alerted on before CloudTrail had the answer. */
export interface AttributedAlert {
  type: "attributed";
  /** The drift alert these changes were reported in (absent in alerts queued before threads). */
  thread?: AlertThread;
  /** Each change with where and when it was found, and its attribution. */
  items: Array<{ target: AlertTarget; detectedAt: string; change: AlertChange }>;
}

/** The caller CloudTrail named is not who may make a change (src/policy/actor-verdict.ts); the change is unapproved. */
export interface ActorFinding {
  /** Which check failed. */
  verdict: "unexpected" | "not-by" | "unverified";
  /** Each failed condition in words (untrusted text inside: sanitise before showing). */
  problems: string[];
  /** The record that covered the change, when one did. */
  approvalId: string | null;
}

/**
 * CloudTrail showed who made changes, and the caller was not the one allowed:
 * outside the actor policy (unexpected: critical, approved or not), or not
 * the principal the approving record names (not-by), or no event named anyone
 * for a record that requires it (unverified). Each is now unapproved.
 */
export interface UnexpectedActorAlert {
  type: "unexpected-actor";
  /** The drift alert the changes were reported in; absent when they were approved and never alerted. */
  thread?: AlertThread;
  /** Each change with where and when it was found, who made it (attribution), and what failed. */
  items: Array<ActorFinding & { target: AlertTarget; detectedAt: string; change: AlertChange }>;
}
