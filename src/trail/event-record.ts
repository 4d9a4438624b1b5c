// A CloudTrail event (a LookupEvents result) read into what sgwatch needs:
// who made the call, and what it did to which security group, with every rule
// in the canonical form of src/model (protocol names, canonical CIDRs, ports
// as normalize() spells them) so it compares with ruleKey(). Pure.
//
// CloudTrail records EC2 calls as their XML converted to JSON: lowerCamelCase
// fields, lists as {items: [...]}, an empty list as {}, sometimes a lone item
// without a list; ModifySecurityGroupRules is recorded in PascalCase under
// ModifySecurityGroupRulesRequest. Every reader here accepts all of those.

import type { Event } from "@aws-sdk/client-cloudtrail";
import { canonicalCidr } from "../model/cidr.js";
import { canonicalProtocol, ICMP_PROTOCOLS, PORT_PROTOCOLS } from "../model/protocol.js";
import type { Direction, Rule } from "../model/types.js";
import type { Attribution } from "../model/attribution.js";

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

/** A rule touched by ModifySecurityGroupRules: its id and new content (the call does not say the direction). */
export interface ModifiedRule {
  /** The sgr- id the call named. */
  ruleId: string | null;
  /** The new content, with direction set to ingress as a placeholder; compare with sameRuleAnyDirection. */
  rule: Rule;
}

/** A rule and the sgr- id AWS gave it. */
export interface RuleWithId {
  /** The sgr- id. */
  ruleId: string;
  /** The rule. */
  rule: Rule;
}

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

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A field by its lowerCamelCase name, or its PascalCase spelling. */
function field(o: unknown, name: string): unknown {
  if (!isObj(o)) return undefined;
  if (Object.hasOwn(o, name)) return o[name];
  const pascal = name.charAt(0).toUpperCase() + name.slice(1);
  return Object.hasOwn(o, pascal) ? o[pascal] : undefined;
}

/** A recorded list: [...], {items: [...]}, {item: ...}, {} (empty), or a lone item. */
function list(v: unknown): unknown[] {
  if (v === undefined || v === null || v === "") return [];
  if (Array.isArray(v)) return v;
  if (isObj(v)) {
    if (Object.hasOwn(v, "items")) return list(v.items);
    if (Object.hasOwn(v, "item")) return list(v.item);
    return Object.keys(v).length === 0 ? [] : [v];
  }
  return [];
}

function str(v: unknown): string | null {
  if (typeof v === "string") return v === "" ? null : v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return null;
}

function int(v: unknown): number | null {
  const n = typeof v === "number" ? v : typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
  return Number.isInteger(n) ? n : null;
}

function bool(v: unknown): boolean | null {
  if (typeof v === "boolean") return v;
  if (v === "true") return true;
  if (v === "false") return false;
  return null;
}

/** Protocol and ports as normalize() spells them; null when the protocol is unreadable. */
function traffic(p: unknown): Pick<Rule, "protocol" | "fromPort" | "toPort"> | null {
  const raw = str(field(p, "ipProtocol"));
  const protocol = raw === null ? null : canonicalProtocol(raw);
  if (protocol === null) return null;
  const from = int(field(p, "fromPort"));
  const to = int(field(p, "toPort"));
  if (PORT_PROTOCOLS.has(protocol)) {
    // AWS reports "all ports" of tcp/udp as -1 in rule sets and omits them in requests.
    if (from === null || to === null || from < 0 || to < 0) return { protocol, fromPort: null, toPort: null };
    return { protocol, fromPort: from, toPort: to };
  }
  if (ICMP_PROTOCOLS.has(protocol)) return { protocol, fromPort: from ?? -1, toPort: to ?? -1 };
  return { protocol, fromPort: null, toPort: null };
}

function description(o: unknown): string | null {
  return str(field(o, "description"));
}

/** The rules of one recorded IpPermission. */
function permissionRules(p: unknown, direction: Direction, ownerId: string | null): Rule[] {
  const t = traffic(p);
  if (t === null) return [];
  const base = { direction, ...t, sourceAccount: null, peeringId: null };
  const rules: Rule[] = [];
  for (const x of list(field(p, "ipRanges"))) {
    const cidr = str(field(x, "cidrIp"));
    if (cidr !== null) rules.push({ ...base, sourceKind: "ipv4", source: canonicalCidr(cidr), description: description(x) });
  }
  for (const x of list(field(p, "ipv6Ranges"))) {
    const cidr = str(field(x, "cidrIpv6"));
    if (cidr !== null) rules.push({ ...base, sourceKind: "ipv6", source: canonicalCidr(cidr), description: description(x) });
  }
  for (const x of list(field(p, "prefixListIds"))) {
    const id = str(field(x, "prefixListId"));
    if (id !== null) rules.push({ ...base, sourceKind: "prefix-list", source: id, description: description(x) });
  }
  // Recorded as `groups`; the API's name is UserIdGroupPairs.
  for (const x of [...list(field(p, "groups")), ...list(field(p, "userIdGroupPairs"))]) {
    const id = str(field(x, "groupId"));
    if (id === null) continue; // named by groupName only: the id is not in the event
    const userId = str(field(x, "userId"));
    rules.push({
      ...base,
      sourceKind: "security-group",
      source: id,
      sourceAccount: userId !== null && userId !== ownerId ? userId : null,
      peeringId: str(field(x, "vpcPeeringConnectionId")),
      description: description(x),
    });
  }
  return rules;
}

/** Rules of requestParameters: ipPermissions, or the legacy flat form (cidrIp, ipProtocol, fromPort, toPort). */
function requestRules(rp: unknown, direction: Direction, ownerId: string | null): Rule[] {
  const fromPerms = list(field(rp, "ipPermissions")).flatMap((p) => permissionRules(p, direction, ownerId));
  const cidr = str(field(rp, "cidrIp"));
  if (cidr === null) return fromPerms;
  const legacy = permissionRules({ ipProtocol: field(rp, "ipProtocol"), fromPort: field(rp, "fromPort"), toPort: field(rp, "toPort"), ipRanges: [{ cidrIp: cidr }] }, direction, ownerId);
  return [...fromPerms, ...legacy];
}

/** Rules of a response rule set (securityGroupRuleSet, revokedSecurityGroupRuleSet): direction from isEgress. */
function ruleSetRules(set: unknown, fallback: Direction): Rule[] {
  return ruleSetItems(set, fallback).map((x) => x.rule);
}

/** The sgr- ids of a response rule set, each with its rule. */
function ruleSetIds(set: unknown, fallback: Direction): RuleWithId[] {
  return ruleSetItems(set, fallback).flatMap((x) => (x.ruleId === null ? [] : [{ ruleId: x.ruleId, rule: x.rule }]));
}

/** The rule ids a request named (securityGroupRuleIds: {items: [{securityGroupRuleId}]}, or bare strings). */
function requestRuleIds(rp: unknown): string[] {
  return list(field(rp, "securityGroupRuleIds")).flatMap((x) => {
    const id = str(x) ?? str(field(x, "securityGroupRuleId"));
    return id === null ? [] : [id];
  });
}

function ruleSetItems(set: unknown, fallback: Direction): Array<{ ruleId: string | null; rule: Rule }> {
  const rules: Array<{ ruleId: string | null; rule: Rule }> = [];
  for (const x of list(set)) {
    const t = traffic(x);
    if (t === null) continue;
    const egress = bool(field(x, "isEgress"));
    const owner = str(field(x, "groupOwnerId"));
    const ruleId = str(field(x, "securityGroupRuleId"));
    const base = { direction: egress === null ? fallback : egress ? ("egress" as const) : ("ingress" as const), ...t, sourceAccount: null, peeringId: null, description: description(x) };
    const v4 = str(field(x, "cidrIpv4"));
    const v6 = str(field(x, "cidrIpv6"));
    const pl = str(field(x, "prefixListId"));
    const ref = field(x, "referencedGroupInfo");
    if (v4 !== null) rules.push({ ruleId, rule: { ...base, sourceKind: "ipv4", source: canonicalCidr(v4) } });
    else if (v6 !== null) rules.push({ ruleId, rule: { ...base, sourceKind: "ipv6", source: canonicalCidr(v6) } });
    else if (pl !== null) rules.push({ ruleId, rule: { ...base, sourceKind: "prefix-list", source: pl } });
    else {
      const id = str(field(ref, "groupId"));
      if (id === null) continue;
      const userId = str(field(ref, "userId"));
      rules.push({
        ruleId,
        rule: {
          ...base,
          sourceKind: "security-group",
          source: id,
          sourceAccount: userId !== null && userId !== owner ? userId : null,
          peeringId: str(field(ref, "vpcPeeringConnectionId")),
        },
      });
    }
  }
  return rules;
}

/** The new content of a ModifySecurityGroupRules rule (SecurityGroupRuleRequest). */
function modifiedRule(x: unknown): ModifiedRule | null {
  const inner = field(x, "securityGroupRule");
  const t = traffic(inner);
  if (t === null) return null;
  const base = { direction: "ingress" as const, ...t, sourceAccount: null, peeringId: null, description: description(inner) };
  const ruleId = str(field(x, "securityGroupRuleId"));
  const v4 = str(field(inner, "cidrIpv4"));
  const v6 = str(field(inner, "cidrIpv6"));
  const pl = str(field(inner, "prefixListId"));
  const ref = str(field(inner, "referencedGroupId"));
  if (v4 !== null) return { ruleId, rule: { ...base, sourceKind: "ipv4", source: canonicalCidr(v4) } };
  if (v6 !== null) return { ruleId, rule: { ...base, sourceKind: "ipv6", source: canonicalCidr(v6) } };
  if (pl !== null) return { ruleId, rule: { ...base, sourceKind: "prefix-list", source: pl } };
  if (ref !== null) return { ruleId, rule: { ...base, sourceKind: "security-group", source: ref } };
  return null;
}

function direction(eventName: string): Direction {
  return eventName.endsWith("Egress") ? "egress" : "ingress";
}

function parseJson(text: string | undefined): Obj {
  if (text === undefined) return {};
  try {
    const v: unknown = JSON.parse(text);
    return isObj(v) ? v : {};
  } catch {
    return {};
  }
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

function dedupe(rules: Rule[]): Rule[] {
  const seen = new Map<string, Rule>();
  for (const r of rules) {
    const k = [r.direction, r.protocol, r.fromPort, r.toPort, r.sourceKind, r.source, r.sourceAccount, r.peeringId].join("|");
    if (!seen.has(k)) seen.set(k, r);
  }
  return [...seen.values()];
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
