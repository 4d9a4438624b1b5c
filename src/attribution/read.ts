// Reading stored attributions, for whoever shows changes: reminder digests,
// an "attributed" follow-up alert, `sgwatch history` / `changes`.
import type { Database } from "better-sqlite3";
import type { MatchQuality } from "./match.js";
import type { Attribution } from "./trail-event.js";

/** Where a change's attribution stands (change_events.attribution_status; NULL reads as pending). */
export type AttributionStatus = "pending" | "attributed" | "unattributed" | "n/a";

/** A stored attribution. */
export interface StoredAttribution extends Attribution {
  /** change_events.id. */
  changeId: number;
  /** How sure the match is. */
  quality: MatchQuality;
  /** When sgwatch stored it. */
  attributedAt: string;
}

/** A change_attributions row. */
export interface AttributionRow {
  change_id: number;
  event_id: string;
  event_name: string;
  event_time: string;
  actor_arn: string | null;
  actor_type: string | null;
  actor_name: string | null;
  access_key_id: string | null;
  source_ip: string | null;
  user_agent: string | null;
  match_quality: MatchQuality;
  attributed_at: string;
}

function fromRow(r: AttributionRow): StoredAttribution {
  return {
    changeId: r.change_id,
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
    attributedAt: r.attributed_at,
  };
}

/** The attributions of these changes, by change id (changes without one are absent). */
export function attributionsFor(db: Database, changeIds: readonly number[]): Map<number, StoredAttribution> {
  const out = new Map<number, StoredAttribution>();
  if (changeIds.length === 0) return out;
  const rows = db
    .prepare("SELECT * FROM change_attributions WHERE change_id IN (SELECT value FROM json_each(?))")
    .all(JSON.stringify(changeIds)) as AttributionRow[];
  for (const r of rows) out.set(r.change_id, fromRow(r));
  return out;
}

/** "alice (arn:aws:iam::…:user/alice) from 198.51.100.7": who made a change, in one line. */
export function describeActor(a: Pick<Attribution, "actorArn" | "actorName" | "sourceIp">): string {
  const who = a.actorName !== null && a.actorArn !== null ? `${a.actorName} (${a.actorArn})` : (a.actorArn ?? a.actorName ?? "unknown caller");
  return a.sourceIp !== null ? `${who} from ${a.sourceIp}` : who;
}
