// One LookupEvents result as the row trail_events stores: when, who, from
// where, what it asked for (the canonical rules the request named, as JSON and
// in words), and whether it worked. Pure.
import type { Event } from "@aws-sdk/client-cloudtrail";
import { describeRule } from "../model/describe-rule.js";
import { parseTrailEvent, type TrailEvent } from "./event-record.js";

/** A trail_events row before it is stored (target_id and stored_at are the store's). */
export interface TrailEventRow {
  /** CloudTrail eventID. */
  event_id: string;
  /** ISO-8601 UTC. */
  event_time: string;
  /** recipientAccountId (else the target's account). */
  account: string;
  /** awsRegion (else the target's region). */
  region: string;
  /** The API call. */
  event_name: string;
  /** The first security group the call named, if any. */
  group_id: string | null;
  /** JSON array of every sg- the call named. */
  group_ids: string;
  /** JSON {added, removed, described, modified, addedIds, removedIds}: canonical rules the request named, and the sgr- ids of added and revoked rules. */
  rules: string;
  /** The same rules in words, "; "-separated. */
  rules_text: string;
  /** NULL when the call succeeded. */
  error_code: string | null;
  /** CloudTrail's errorMessage. */
  error_message: string | null;
  /** userIdentity.type. */
  identity_type: string | null;
  /** userIdentity.arn. */
  identity_arn: string | null;
  /** userIdentity.accessKeyId. */
  access_key_id: string | null;
  /** sourceIPAddress. */
  source_ip: string | null;
  /** userAgent. */
  user_agent: string | null;
  /** vpcEndpointId. */
  vpc_endpoint_id: string | null;
  /** The CloudTrail record as delivered. */
  record: string;
}

function recordOf(e: Event): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(e.CloudTrailEvent ?? "{}");
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function text(v: unknown): string | null {
  return typeof v === "string" && v !== "" ? v : null;
}

function words(t: TrailEvent): string {
  const out: string[] = [];
  for (const r of t.added) out.push(`add ${r.direction} ${describeRule(r)}`);
  for (const r of t.removed) out.push(`remove ${r.direction} ${describeRule(r)}`);
  if (t.removedByIdOnly) out.push("remove rules by id");
  for (const r of t.described) out.push(`describe ${r.direction} ${describeRule(r)}: "${r.description ?? ""}"`);
  for (const m of t.modified) out.push(`modify ${m.ruleId ?? "?"} to ${describeRule(m.rule)}`);
  if (t.created !== null) out.push(`create ${t.created.groupName ?? "?"}${t.created.vpcId !== null ? ` in ${t.created.vpcId}` : ""}`);
  if (t.deleted !== null) out.push(`delete ${t.deleted.groupId ?? t.deleted.groupName ?? "?"}`);
  const tags = Object.entries(t.tags);
  if (tags.length > 0) out.push(`tags ${tags.map(([k, v]) => (v === null ? k : `${k}=${v}`)).join(", ")}`);
  return out.join("; ");
}

/** The row of a security-group event, or null for any other event. */
export function toTrailEventRow(e: Event, target: { account: string; region: string }): TrailEventRow | null {
  const t = parseTrailEvent(e);
  if (t === null || t.eventId === "") return null;
  const record = recordOf(e);
  const identity = typeof record.userIdentity === "object" && record.userIdentity !== null ? (record.userIdentity as Record<string, unknown>) : {};
  const groups = [...t.groupIds];
  return {
    event_id: t.eventId,
    event_time: new Date(t.eventTimeMs).toISOString(),
    account: text(record.recipientAccountId) ?? target.account,
    region: text(record.awsRegion) ?? target.region,
    event_name: t.eventName,
    group_id: groups[0] ?? null,
    group_ids: JSON.stringify(groups),
    rules: JSON.stringify({ added: t.added, removed: t.removed, described: t.described, modified: t.modified, addedIds: t.addedIds, removedIds: t.removedIds }),
    rules_text: words(t),
    error_code: text(record.errorCode),
    error_message: text(record.errorMessage),
    identity_type: text(identity.type),
    identity_arn: text(identity.arn),
    access_key_id: t.attribution.accessKeyId,
    source_ip: t.attribution.sourceIp,
    user_agent: t.attribution.userAgent,
    vpc_endpoint_id: text(record.vpcEndpointId),
    record: e.CloudTrailEvent ?? "{}",
  };
}
