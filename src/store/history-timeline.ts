// A group's timeline: when it was first seen and deleted, and every change
// with its status and attribution, read along change_events_by_group.
import type { Attribution } from "../model/attribution.js";
import type { Database } from "better-sqlite3";
import type { Change, GroupAttributes, Rule } from "../model/types.js";
import { columnsToRule, type RuleColumns } from "./rule-columns.js";
import type { GroupRef } from "./history-groups.js";

export interface GroupLife {
  /** The target's account. */
  account: string;
  /** The target's region. */
  region: string;
  /** sg-… id. */
  groupId: string;
  /** The latest known name. */
  name: string;
  /** The latest known VPC. */
  vpcId: string | null;
  /** When sgwatch first recorded the group. */
  firstSeenAt: string;
  /** True when it was first recorded by a baseline poll (it existed before monitoring began). */
  firstSeenAtBaseline: boolean;
  /** When it disappeared, or null while it exists. */
  deletedAt: string | null;
}

/** One change in a group's timeline, with its status as it is now. */
export interface TimelineEntry {
  /** change_events.id. */
  id: number;
  /** When the change was detected (ISO UTC). */
  time: string;
  /** The previous successful poll: the change happened after this. */
  sincePreviousPoll: string | null;
  /** What happened. */
  kind: Change["kind"];
  /** The group's name at the time of the change. */
  groupName: string;
  /** For rule-* kinds: the rule (for description changes, as it is now). */
  rule: Rule | null;
  /** For rule-description-changed: the old description. */
  oldDescription: string | null;
  /** For group-changed: the attributes that changed, before and after. */
  before: Partial<GroupAttributes> | null;
  after: Partial<GroupAttributes> | null;
  /** Severity as judged at detection. */
  severity: string;
  /** The changes view's status now: unapproved, approved, acknowledged or reverted. */
  status: string;
  /** The covering approval record, for approved changes. */
  approvalId: string | null;
  /** Who acknowledged it, for acknowledged changes. */
  ackedBy: string | null;
  /** When it was undone, for reverted changes. */
  revertedAt: string | null;
  /** Where looking up who made it stands: pending, attributed, unattributed or n/a (attribution off, or an exposure-added change). */
  attributionStatus: string;
  /** Who made the change, from CloudTrail; null until (unless) a call is matched to it. */
  attribution: TimelineAttribution | null;
}

/** The CloudTrail call matched to a change (a change_attributions row). */
export interface TimelineAttribution extends Attribution {
  /** How sure the match is: exact, likely or possible. */
  quality: string;
}

/** A group's timeline: its life and every change, oldest first. */
export interface GroupTimeline {
  /** The group's life. */
  group: GroupLife;
  /** Every detected change, oldest first. */
  changes: TimelineEntry[];
}

interface VersionRow {
  name: string;
  vpc_id: string | null;
  added_at: string;
  removed_at: string | null;
  baseline: number;
}

interface TimelineRow extends RuleColumns {
  id: number;
  time: string;
  since_previous_poll: string | null;
  kind: Change["kind"];
  group_name: string;
  old_description: string | null;
  before: string | null;
  after: string | null;
  severity: string;
  status: string;
  approval_id: string | null;
  acked_by: string | null;
  reverted_at: string | null;
  attribution: string;
  event_id: string | null;
  event_name: string | null;
  event_time: string | null;
  actor_arn: string | null;
  actor_type: string | null;
  actor_name: string | null;
  access_key_id: string | null;
  source_ip: string | null;
  user_agent: string | null;
  match_quality: string | null;
}

/** The attribution columns of a timeline row, or null when no call was matched. */
function attributionOf(r: TimelineRow): TimelineAttribution | null {
  if (r.event_id === null || r.event_name === null || r.event_time === null || r.match_quality === null) return null;
  return {
    eventId: r.event_id,
    eventName: r.event_name,
    eventTime: r.event_time,
    actorArn: r.actor_arn,
    actorType: r.actor_type,
    actorName: r.actor_name,
    accessKeyId: r.access_key_id,
    sourceIp: r.source_ip,
    userAgent: r.user_agent,
    quality: r.match_quality,
  };
}

function parseAttributes(text: string | null): Partial<GroupAttributes> | null {
  return text === null ? null : (JSON.parse(text) as Partial<GroupAttributes>);
}

/** The SQL groupTimeline runs, exported for query-plan tests. */
export const TIMELINE_SQL = {
  versions: `SELECT g.name, g.vpc_id, g.added_at, g.removed_at, p.baseline
               FROM group_versions g JOIN polls p ON p.id = g.added_poll_id
              WHERE g.group_id = ? AND g.target_id = ?
              ORDER BY g.added_at, g.id`,
  // The changes view's status (acknowledged and reverted are later facts) has
  // one definition, the view's; the rule's full columns come from change_events,
  // and the matched CloudTrail call's from change_attributions.
  changes: `SELECT v.id, v.time, v.since_previous_poll, v.kind, v.group_name, v.old_description, v.before, v.after,
                   v.severity, v.status, v.approval_id, v.acked_by, v.reverted_at, v.attribution,
                   c.direction, c.protocol, c.from_port, c.to_port, c.source_kind, c.source, c.source_account,
                   c.peering_id, c.description,
                   w.event_id, w.event_name, w.event_time, w.actor_arn, w.actor_type, w.actor_name,
                   w.access_key_id, w.source_ip, w.user_agent, w.match_quality
              FROM change_events c
              JOIN changes v ON v.id = c.id
              LEFT JOIN change_attributions w ON w.change_id = c.id
             WHERE c.group_id = ? AND c.target_id = ?
             ORDER BY c.detected_at, c.id`,
};

/** The timeline of one group; undefined when the group is not in the database. */
export function groupTimeline(db: Database, ref: GroupRef): GroupTimeline | undefined {
  const versions = db.prepare(TIMELINE_SQL.versions).all(ref.groupId, ref.targetId) as VersionRow[];
  const first = versions[0];
  const last = versions[versions.length - 1];
  if (first === undefined || last === undefined) return undefined;
  const target = db.prepare("SELECT account, region FROM targets WHERE id = ?").get(ref.targetId) as { account: string; region: string };
  const rows = db.prepare(TIMELINE_SQL.changes).all(ref.groupId, ref.targetId) as TimelineRow[];
  return {
    group: {
      account: target.account,
      region: target.region,
      groupId: ref.groupId,
      name: last.name,
      vpcId: last.vpc_id,
      firstSeenAt: first.added_at,
      firstSeenAtBaseline: first.baseline === 1,
      deletedAt: last.removed_at,
    },
    changes: rows.map((r) => ({
      id: r.id,
      time: r.time,
      sincePreviousPoll: r.since_previous_poll,
      kind: r.kind,
      groupName: r.group_name,
      rule: r.kind.startsWith("rule-") ? columnsToRule(r) : null,
      oldDescription: r.old_description,
      before: parseAttributes(r.before),
      after: parseAttributes(r.after),
      severity: r.severity,
      status: r.status,
      approvalId: r.approval_id,
      ackedBy: r.acked_by,
      revertedAt: r.reverted_at,
      attributionStatus: r.attribution,
      attribution: attributionOf(r),
    })),
  };
}

// ---------------------------------------------------------------------------
// State at a point in time.

/** One rule valid at a point in time, with where it lives. */
