// CloudTrail events from the simulator's mutation log. One API call is one
// event (CreateSecurityGroup logs the group and its default egress rule as two
// mutations; CreateTags one per resource), so mutations are grouped by request
// id. The mutation log keeps effects, not raw requests, so requestParameters
// and responseElements are rebuilt from the effects in the shape CloudTrail
// records for EC2 (lowerCamelCase, lists as {items: [...]}, empty lists as {}).

import { createHash } from "node:crypto";
import type { MutationEffect, MutationRecord, RuleEffect } from "../types.js";
import { lookupUsername, userIdentity, type IdentitySpec, type UserIdentity } from "./identity.js";

/** A JSON value as it appears inside a CloudTrail event. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** One resource of a LookupEvents result. */
export interface TrailResource {
  /** e.g. AWS::EC2::SecurityGroup. */
  ResourceType: string;
  /** The resource id, e.g. sg-…. */
  ResourceName: string;
}

/** One event, ready to filter and to render as a LookupEvents result. */
export interface SimTrailEvent {
  /** Sequence of the first mutation of the call: the order calls happened in. */
  seq: number;
  /** When the call happened (ms since epoch, from the simulator clock). */
  happenedAtMs: number;
  /** CloudTrail records whole seconds. */
  eventTimeSeconds: number;
  /** eventID: UUID-shaped, the same on every lookup of the same call. */
  eventId: string;
  /** The API action. */
  eventName: string;
  /** Always ec2.amazonaws.com. */
  eventSource: string;
  /** Key the call was signed with. */
  accessKeyId: string;
  /** LookupEvents' Username: user name or role session name. */
  username: string;
  /** "false" for every call the simulator makes events of; a seeded record may say "true". */
  readOnly: "true" | "false";
  /** What LookupEvents' ResourceName / ResourceType attributes match. */
  resources: TrailResource[];
  /** The full record; serialised into CloudTrailEvent. */
  record: { [key: string]: Json };
}

/** Account and region whose events to build, and how keys map to identities. */
export interface BuildOptions {
  /** Account whose events to build (the caller's). */
  account: string;
  /** Region whose events to build (the credential scope's). */
  region: string;
  /** A test's mapping of a key to a user or role session; undefined: derived from the key. */
  identityFor: (accessKeyId: string) => IdentitySpec | undefined;
}

/** Every event of one account and region, oldest first. */
export function buildTrailEvents(mutations: readonly MutationRecord[], opts: BuildOptions): SimTrailEvent[] {
  const calls: MutationRecord[][] = [];
  const byRequest = new Map<string, MutationRecord[]>();
  for (const m of mutations) {
    if (m.account !== opts.account || m.region !== opts.region) continue;
    if (m.requestId === null) {
      calls.push([m]);
      continue;
    }
    const key = `${m.requestId}|${m.action}`;
    const call = byRequest.get(key);
    if (call) call.push(m);
    else {
      const fresh = [m];
      byRequest.set(key, fresh);
      calls.push(fresh);
    }
  }
  return calls.map((call) => toTrailEvent(call, opts));
}

function toTrailEvent(call: MutationRecord[], opts: BuildOptions): SimTrailEvent {
  const first = call[0] as MutationRecord;
  const happenedAtMs = Date.parse(first.time);
  const eventTimeSeconds = Math.floor(happenedAtMs / 1000);
  const eventTime = new Date(eventTimeSeconds * 1000).toISOString().replace(".000Z", "Z");
  const eventId = uuidFrom(`${opts.account}/${opts.region}/${first.requestId ?? `seq-${first.seq}`}/${first.action}`);
  const requestId = first.requestId ?? uuidFrom(`request/${first.seq}`);
  const identity: UserIdentity = userIdentity(first.accessKeyId, opts.account, opts.identityFor(first.accessKeyId), eventTime);
  const { requestParameters, responseElements } = callShape(first.action, call, opts, requestId);
  const record: { [key: string]: Json } = {
    eventVersion: "1.09",
    userIdentity: identity as unknown as Json,
    eventTime,
    eventSource: "ec2.amazonaws.com",
    eventName: first.action,
    awsRegion: opts.region,
    sourceIPAddress: first.sourceIp,
    userAgent: first.userAgent,
    requestParameters,
    responseElements,
    requestID: requestId,
    eventID: eventId,
    readOnly: false,
    eventType: "AwsApiCall",
    managementEvent: true,
    recipientAccountId: opts.account,
    eventCategory: "Management",
    ...(first.vpcEndpointId !== undefined ? { vpcEndpointId: first.vpcEndpointId, vpcEndpointAccountId: opts.account } : {}),
  };
  return {
    seq: first.seq,
    happenedAtMs,
    eventTimeSeconds,
    eventId,
    eventName: first.action,
    eventSource: "ec2.amazonaws.com",
    accessKeyId: first.accessKeyId,
    username: lookupUsername(identity),
    readOnly: "false",
    resources: resourcesOf(call),
    record,
  };
}

// A UUID-shaped id that is the same every time the same call is looked up.
function uuidFrom(seed: string): string {
  const h = createHash("sha256").update(seed).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function resourcesOf(call: MutationRecord[]): TrailResource[] {
  const out = new Map<string, TrailResource>();
  for (const m of call) {
    const e = m.effect;
    const id = e.kind === "tags-set" || e.kind === "tags-removed" ? e.resourceId : m.groupId;
    const type = id.startsWith("sgr-") ? "AWS::EC2::SecurityGroupRule" : "AWS::EC2::SecurityGroup";
    out.set(id, { ResourceType: type, ResourceName: id });
    if (e.kind === "group-created") out.set(e.vpcId, { ResourceType: "AWS::EC2::VPC", ResourceName: e.vpcId });
  }
  return [...out.values()];
}

function items(list: Json[]): Json {
  return list.length === 0 ? {} : { items: list };
}

/** One IpPermission per rule, as the SDK sends it and CloudTrail records it. */
function permission(r: RuleEffect, withDescription: boolean): Json {
  const desc: { [key: string]: Json } = withDescription && r.description !== null ? { description: r.description } : {};
  const peer = (kind: RuleEffect["sourceKind"]): Json =>
    r.sourceKind !== kind
      ? {}
      : kind === "ipv4"
        ? items([{ cidrIp: r.source, ...desc }])
        : kind === "ipv6"
          ? items([{ cidrIpv6: r.source, ...desc }])
          : kind === "prefix-list"
            ? items([{ prefixListId: r.source, ...desc }])
            : items([groupPair(r, desc)]);
  return {
    ipProtocol: r.protocol === "all" ? "-1" : r.protocol,
    ...(r.fromPort !== null ? { fromPort: r.fromPort } : {}),
    ...(r.toPort !== null ? { toPort: r.toPort } : {}),
    groups: peer("security-group"),
    ipRanges: peer("ipv4"),
    ipv6Ranges: peer("ipv6"),
    prefixListIds: peer("prefix-list"),
  };
}

function groupPair(r: RuleEffect, desc: { [key: string]: Json }): Json {
  const pair: { [key: string]: Json } = { groupId: r.source, ...desc };
  if (r.sourceAccount !== null) pair.userId = r.sourceAccount;
  if (r.peeringId !== null) pair.vpcPeeringConnectionId = r.peeringId;
  return pair;
}

/** A SecurityGroupRule as responses carry it (securityGroupRuleSet items). */
function ruleItem(r: RuleEffect, groupId: string, ownerId: string): Json {
  const peer: { [key: string]: Json } =
    r.sourceKind === "ipv4"
      ? { cidrIpv4: r.source }
      : r.sourceKind === "ipv6"
        ? { cidrIpv6: r.source }
        : r.sourceKind === "prefix-list"
          ? { prefixListId: r.source }
          : {
              referencedGroupInfo: {
                groupId: r.source,
                userId: r.sourceAccount ?? ownerId,
                ...(r.peeringId !== null ? { vpcPeeringConnectionId: r.peeringId } : {}),
              },
            };
  return {
    groupOwnerId: ownerId,
    groupId,
    securityGroupRuleId: r.ruleId,
    isEgress: r.direction === "egress",
    ipProtocol: r.protocol === "all" ? "-1" : r.protocol,
    fromPort: r.fromPort ?? -1,
    toPort: r.toPort ?? -1,
    ...peer,
    ...(r.description !== null ? { description: r.description } : {}),
  };
}

/** The rule as ModifySecurityGroupRules takes it (PascalCase, as CloudTrail records that call). */
function ruleRequest(r: RuleEffect): Json {
  const peer: { [key: string]: Json } =
    r.sourceKind === "ipv4"
      ? { CidrIpv4: r.source }
      : r.sourceKind === "ipv6"
        ? { CidrIpv6: r.source }
        : r.sourceKind === "prefix-list"
          ? { PrefixListId: r.source }
          : { ReferencedGroupId: r.source };
  return {
    IpProtocol: r.protocol === "all" ? "-1" : r.protocol,
    FromPort: r.fromPort ?? -1,
    ToPort: r.toPort ?? -1,
    ...peer,
    ...(r.description !== null ? { Description: r.description } : {}),
  };
}

function tagItems(tags: Record<string, string>): Json {
  return items(Object.entries(tags).map(([key, value]) => ({ key, value })));
}

function effectsOf<K extends MutationEffect["kind"]>(call: MutationRecord[], kind: K): Array<Extract<MutationEffect, { kind: K }>> {
  return call.map((m) => m.effect).filter((e): e is Extract<MutationEffect, { kind: K }> => e.kind === kind);
}

function callShape(action: string, call: MutationRecord[], opts: BuildOptions, requestId: string): { requestParameters: Json; responseElements: Json } {
  const first = call[0] as MutationRecord;
  const groupId = first.groupId;
  const ok = { requestId, _return: true };
  switch (action) {
    case "AuthorizeSecurityGroupIngress":
    case "AuthorizeSecurityGroupEgress": {
      const rules = effectsOf(call, "rules-added").flatMap((e) => e.rules);
      return {
        requestParameters: { groupId, ipPermissions: items(rules.map((r) => permission(r, true))) },
        responseElements: { ...ok, securityGroupRuleSet: items(rules.map((r) => ruleItem(r, groupId, opts.account))) },
      };
    }
    case "RevokeSecurityGroupIngress":
    case "RevokeSecurityGroupEgress": {
      const removed = effectsOf(call, "rules-removed");
      const rules = removed.flatMap((e) => e.rules);
      // A revoke by SecurityGroupRuleIds is recorded with the ids it named; the response still lists the rules' content.
      const byRuleId = removed.some((e) => e.byRuleId === true);
      return {
        requestParameters: byRuleId
          ? { groupId, securityGroupRuleIds: items(rules.map((r) => ({ securityGroupRuleId: r.ruleId }))) }
          : { groupId, ipPermissions: items(rules.map((r) => permission(r, false))) },
        responseElements: { ...ok, revokedSecurityGroupRuleSet: items(rules.map((r) => ruleItem(r, groupId, opts.account))) },
      };
    }
    case "ModifySecurityGroupRules": {
      const changes = effectsOf(call, "rules-modified").flatMap((e) => e.changes);
      const list: Json[] = changes.map((c) => ({ SecurityGroupRuleId: c.after.ruleId, SecurityGroupRule: ruleRequest(c.after) }));
      return {
        requestParameters: { ModifySecurityGroupRulesRequest: { GroupId: groupId, SecurityGroupRule: list.length === 1 ? (list[0] as Json) : list } },
        responseElements: { ModifySecurityGroupRulesResponse: { requestId, return: true } },
      };
    }
    case "UpdateSecurityGroupRuleDescriptionsIngress":
    case "UpdateSecurityGroupRuleDescriptionsEgress": {
      const rules = effectsOf(call, "rule-descriptions-changed").flatMap((e) => e.changes.map((c) => c.rule));
      return {
        requestParameters: { groupId, ipPermissions: items(rules.map((r) => permission(r, true))) },
        responseElements: ok,
      };
    }
    case "CreateSecurityGroup":
    case "CreateVpc": {
      const created = effectsOf(call, "group-created")[0];
      if (created === undefined) return { requestParameters: { groupId }, responseElements: ok };
      const tags = Object.entries(created.tags);
      return {
        requestParameters: {
          groupName: created.groupName,
          groupDescription: created.description,
          vpcId: created.vpcId,
          ...(tags.length > 0
            ? { tagSpecificationSet: { items: [{ resourceType: "security-group", tags: tags.map(([key, value]) => ({ key, value })) }] } }
            : {}),
        },
        responseElements: { ...ok, groupId, securityGroupArn: `arn:aws:ec2:${opts.region}:${opts.account}:security-group/${groupId}` },
      };
    }
    case "DeleteSecurityGroup":
      return { requestParameters: { groupId }, responseElements: { ...ok, groupId } };
    case "CreateTags":
    case "DeleteTags": {
      const effects = call.map((m) => m.effect).filter((e): e is Extract<MutationEffect, { kind: "tags-set" | "tags-removed" }> => e.kind === "tags-set" || e.kind === "tags-removed");
      const resources = [...new Set(effects.map((e) => e.resourceId))];
      const tags: Record<string, string> = {};
      for (const e of effects) Object.assign(tags, e.tags);
      return {
        requestParameters: { resourcesSet: items(resources.map((resourceId) => ({ resourceId }))), tagSet: tagItems(tags) },
        responseElements: ok,
      };
    }
    default:
      return { requestParameters: { groupId }, responseElements: ok };
  }
}
