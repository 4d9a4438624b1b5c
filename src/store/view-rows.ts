// Typed rows of the views people query (migrations define them); one
// definition for the CLI, the demo and the tests.

/** A row of the `changes` view. */
export interface ChangeViewRow {
  id: number;
  /** When the poll saw it (ISO UTC). */
  time: string;
  account: string;
  region: string;
  group_id: string;
  group_name: string;
  kind: string;
  direction: string | null;
  protocol: string | null;
  /** "22", "20-25", "all"; null for group-level changes. */
  ports: string | null;
  source: string | null;
  severity: string;
  /** What the change is now: unapproved / approved / acknowledged / reverted / revert (it undid the unapproved change `closes`) / transient. */
  status: string;
  approval_id: string | null;
  acked_by: string | null;
  ack_reason: string | null;
  ack_ticket: string | null;
  reverted_at: string | null;
  /** Readable exposure ("2 h 13 min"), or null. */
  exposure: string | null;
  /** What was decided when the change was found: approved / unapproved. */
  detected_status: string;
  description: string | null;
  old_description: string | null;
  before: string | null;
  after: string | null;
  approval_note: string | null;
  since_previous_poll: string | null;
  poll_id: number;
  /** The identity ARN that made it, from CloudTrail. */
  who: string | null;
  who_ip: string | null;
  who_key: string | null;
  /** pending / attributed / unattributed / n/a (attribution off, or an exposure-added change: made by interface calls the sweep does not read). */
  attribution: string;
  /** How sure the CloudTrail match behind `who` is: exact / likely / possible; null without one. */
  who_match: string | null;
  /** The id of the guardrail the change broke (then it is critical and never approved); null: none. */
  guardrail: string | null;
  /** That guardrail's reason. */
  guardrail_reason: string | null;
  /** When the change was made: CloudTrail's eventTime when a call matches, else the detecting poll's time (migration 0011). */
  changed_at: string;
  /** Where changed_at comes from: cloudtrail / poll. */
  changed_from: "cloudtrail" | "poll";
  /** When it was undone (CloudTrail's time, else the poll that saw it undone); null: not undone. */
  undone_at: string | null;
  /** Where undone_at comes from: cloudtrail / poll; null when not undone. */
  undone_from: "cloudtrail" | "poll" | null;
  /** The unapproved change this one undid (then status is revert); null: none. */
  closes: number | null;
  /** exposure-added: the interface with a public address the group became reachable through (eni-…). */
  interface_id: string | null;
  /** Its kind: instance, load-balancer, lambda, rds, nat, endpoint or other. */
  interface_kind: string | null;
  /** The instance it is attached to (i-…), or null. */
  instance_id: string | null;
  /** Its public address. */
  public_ip: string | null;
  /** Who made it, held against the actor policy and the record's by: (migration 0013): allowed, unexpected, not-by, unverified; NULL: nothing to check or not decided yet. */
  actor_verdict?: string | null;
  /** Each failed condition in words (untrusted text inside). */
  actor_problem?: string | null;
}

/** A row of the `approvals` view. */
export interface ApprovalViewRow {
  id: string;
  /** active / scheduled / expired / revoked / withdrawn. */
  state: string;
  window_from: string;
  window_until: string;
  standing: number;
  selector: string;
  allows: string;
  approved_by: string;
  reason: string;
  origin: string;
  file: string | null;
  line: number | null;
  changes_covered: number;
  revoked_at: string | null;
  revoked_by: string | null;
  revoke_reason: string | null;
}
