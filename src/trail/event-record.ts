// A CloudTrail event (a LookupEvents result) read into what sgwatch needs:
// who made the call, and what it did to which security group, with every rule
// in the canonical form of src/model (protocol names, canonical CIDRs, ports
// as normalize() spells them) so it compares with ruleKey(). Pure.
//
// CloudTrail records EC2 calls as their XML converted to JSON: lowerCamelCase
// fields, lists as {items: [...]}, an empty list as {}, sometimes a lone item
// without a list; ModifySecurityGroupRules is recorded in PascalCase under
// ModifySecurityGroupRulesRequest. The readers (record-rules.ts) accept all of those.

import type { Event } from "@aws-sdk/client-cloudtrail";
import type { Rule } from "../model/types.js";
import type { Attribution } from "../model/attribution.js";
import {
  dedupe,
  direction,
  field,
  list,
  modifiedRule,
  parseJson,
  requestRuleIds,
  requestRules,
  ruleSetIds,
  ruleSetRules,
  str,
  type ModifiedRule,
  type RuleWithId,
} from "./record-rules.js";

/** The EC2 calls that change security groups: what the sweep stores and attribution matches. */
export const SECURITY_GROUP_EVENT_NAMES: readonly string[] = [
  "AuthorizeSecurityGroupIngress",
  "AuthorizeSecurityGroupEgress",
  "RevokeSecurityGroupIngress",
  "RevokeSecurityGroupEgress",
  "ModifySecurityGroupRules",
  "UpdateSecurityGroupRuleDescriptionsIngress",
  "UpdateSecurityGroupRuleDescriptionsEgress",
  "CreateSecurityGroup",
  "DeleteSecurityGroup",
  "CreateTags",
  "DeleteTags",
];

export type { Attribution } from "../model/attribution.js";
export type { ModifiedRule, RuleWithId } from "./record-rules.js";

/** What one event did, in canonical terms. */
export interface TrailEvent {
  /** The LookupEvents result it was read from. */
  source: Event;
  /** CloudTrail eventID. */
  eventId: string;
  /** The API call. */
  eventName: string;
  /** When the call was made, ms since epoch. */
  eventTimeMs: number;
  /** The call failed (errorCode set): it changed nothing. */
  failed: boolean;
  /** Groups the call concerns (request groupId, response groupId, tagged resources). */
  groupIds: ReadonlySet<string>;
  /** Account owning the groups (recipientAccountId), for telling foreign peers apart. */
  ownerId: string | null;
  /** Rules it authorized (request and response, deduplicated by key). */
  added: Rule[];
  /** Rules it revoked by content. */
  removed: Rule[];
  /** It revoked rules named only by sgr- id: which rules is not in the event. */
  removedByIdOnly: boolean;
  /** Authorize*: the sgr- id AWS gave each added rule (responseElements.securityGroupRuleSet), when recorded. */
  addedIds: RuleWithId[];
  /** Revoke*: the sgr- ids the request named (requestParameters.securityGroupRuleIds). */
  removedIds: string[];
  /** Rules whose descriptions it set, with the new descriptions. */
  described: Rule[];
  /** It set descriptions of rules named only by sgr- id. */
  describedByIdOnly: boolean;
  /** ModifySecurityGroupRules: rules and their new content. */
  modified: ModifiedRule[];
  /** CreateSecurityGroup: the new group id (from the response), name and VPC. */
  created: { groupId: string | null; groupName: string | null; vpcId: string | null } | null;
  /** DeleteSecurityGroup: the group (by id or, default VPC, by name). */
  deleted: { groupId: string | null; groupName: string | null } | null;
  /** CreateTags: tags set. DeleteTags: tags removed (value null when not given). */
  tags: Record<string, string | null>;
  /** Everything about the caller. */
  attribution: Attribution;
}

/** Who made the call, from the record and the LookupEvents fields around it. */
export function toAttribution(event: Event): Attribution {
  const record = parseJson(event.CloudTrailEvent);
  const identity = field(record, "userIdentity");
  const arn = str(field(identity, "arn"));
  const type = str(field(identity, "type"));
  const sessionName = type === "AssumedRole" && arn !== null ? (arn.split("/").pop() ?? null) : null;
  const time = event.EventTime ?? (str(record.eventTime) !== null ? new Date(String(record.eventTime)) : null);
  return {
    eventId: event.EventId ?? str(record.eventID) ?? "",
    eventName: event.EventName ?? str(record.eventName) ?? "",
    eventTime: time !== null && !Number.isNaN(time.getTime()) ? time.toISOString() : "",
    actorArn: arn,
    actorType: type,
    actorName: str(field(identity, "userName")) ?? sessionName ?? event.Username ?? null,
    accessKeyId: str(field(identity, "accessKeyId")) ?? event.AccessKeyId ?? null,
    sourceIp: str(record.sourceIPAddress),
    userAgent: str(record.userAgent),
  };
}

/** Reads a LookupEvents result; null when it is not an EC2 security-group call. */
export function parseTrailEvent(event: Event): TrailEvent | null {
  const record = parseJson(event.CloudTrailEvent);
  const eventName = event.EventName ?? str(record.eventName);
  if (eventName === null || !SECURITY_GROUP_EVENT_NAMES.includes(eventName)) return null;
  const eventSource = event.EventSource ?? str(record.eventSource);
  if (eventSource !== null && eventSource !== "ec2.amazonaws.com") return null;
  const attribution = toAttribution(event);
  const eventTimeMs = Date.parse(attribution.eventTime);
  if (Number.isNaN(eventTimeMs)) return null;
  const rp = field(record, "requestParameters");
  const re = field(record, "responseElements");
  const ownerId = str(record.recipientAccountId) ?? str(field(field(record, "userIdentity"), "accountId"));
  const groupIds = new Set<string>();
  const addGroup = (v: unknown): void => {
    const id = str(v);
    if (id !== null && id.startsWith("sg-")) groupIds.add(id);
  };
  addGroup(field(rp, "groupId"));
  addGroup(field(re, "groupId"));
  const parsed: TrailEvent = {
    source: event,
    eventId: attribution.eventId,
    eventName,
    eventTimeMs,
    failed: str(record.errorCode) !== null,
    groupIds,
    ownerId,
    added: [],
    removed: [],
    removedByIdOnly: false,
    addedIds: [],
    removedIds: [],
    described: [],
    describedByIdOnly: false,
    modified: [],
    created: null,
    deleted: null,
    tags: {},
    attribution,
  };
  const dir = direction(eventName);
  switch (eventName) {
    case "AuthorizeSecurityGroupIngress":
    case "AuthorizeSecurityGroupEgress": {
      const set = field(re, "securityGroupRuleSet");
      for (const x of list(set)) addGroup(field(x, "groupId"));
      parsed.added = dedupe([...requestRules(rp, dir, ownerId), ...ruleSetRules(set, dir)]);
      parsed.addedIds = ruleSetIds(set, dir);
      break;
    }
    case "RevokeSecurityGroupIngress":
    case "RevokeSecurityGroupEgress": {
      const set = field(re, "revokedSecurityGroupRuleSet");
      parsed.removed = dedupe([...requestRules(rp, dir, ownerId), ...ruleSetRules(set, dir)]);
      parsed.removedIds = requestRuleIds(rp);
      parsed.removedByIdOnly = parsed.removed.length === 0 && parsed.removedIds.length > 0;
      break;
    }
    case "UpdateSecurityGroupRuleDescriptionsIngress":
    case "UpdateSecurityGroupRuleDescriptionsEgress":
      parsed.described = requestRules(rp, dir, ownerId);
      parsed.describedByIdOnly = parsed.described.length === 0 && list(field(rp, "securityGroupRuleDescriptions")).length > 0;
      break;
    case "ModifySecurityGroupRules": {
      const req = field(rp, "modifySecurityGroupRulesRequest");
      addGroup(field(req, "groupId"));
      parsed.modified = list(field(req, "securityGroupRule")).flatMap((x) => {
        const m = modifiedRule(x);
        return m === null ? [] : [m];
      });
      break;
    }
    case "CreateSecurityGroup":
      parsed.created = { groupId: str(field(re, "groupId")), groupName: str(field(rp, "groupName")), vpcId: str(field(rp, "vpcId")) };
      break;
    case "DeleteSecurityGroup":
      parsed.deleted = { groupId: str(field(rp, "groupId")) ?? str(field(re, "groupId")), groupName: str(field(rp, "groupName")) };
      break;
    case "CreateTags":
    case "DeleteTags": {
      for (const x of list(field(rp, "resourcesSet"))) addGroup(field(x, "resourceId"));
      for (const x of list(field(rp, "tagSet"))) {
        const key = str(field(x, "key"));
        if (key === null) continue;
        const value = field(x, "value");
        parsed.tags[key] = typeof value === "string" ? value : null;
      }
      break;
    }
  }
  // The resources CloudTrail indexed the event under, when the record itself
  // names no group (a referenced peer group is listed there too, so only as a fallback).
  if (groupIds.size === 0) for (const r of event.Resources ?? []) addGroup(r.ResourceName);
  return parsed;
}
