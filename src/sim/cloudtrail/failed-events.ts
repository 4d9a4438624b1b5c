// CloudTrail events for calls that failed. A failed call changes nothing, so
// the mutation log has no trace of it; CloudTrail records it anyway, with
// errorCode and errorMessage and no responseElements. EC2 error codes appear in
// CloudTrail with a "Client." prefix (Client.UnauthorizedOperation,
// Client.InvalidPermission.Duplicate) or "Server." for AWS's own faults, and
// requestParameters hold what the caller asked for, in the same shape as for a
// successful call.

import { createHash } from "node:crypto";
import { parseIpPermissions, parseLegacyPermission, QueryParams } from "../query-params.js";
import type { FailedCallRecord, PermissionInput } from "../types.js";
import type { Json, SimTrailEvent, TrailResource } from "./events.js";
import { lookupUsername, userIdentity, type IdentitySpec } from "./identity.js";

/** How keys map to identities (as for successful calls). */
export interface FailedBuildOptions {
  /** A test's mapping of a key to a user or role session; undefined: derived from the key. */
  identityFor: (accessKeyId: string) => IdentitySpec | undefined;
}

function items(list: Json[]): Json {
  return list.length === 0 ? {} : { items: list };
}

function permissionJson(p: PermissionInput): Json {
  const d = (x: { description?: string }): { [key: string]: Json } => (x.description !== undefined ? { description: x.description } : {});
  return {
    ipProtocol: p.ipProtocol,
    ...(p.fromPort !== undefined ? { fromPort: p.fromPort } : {}),
    ...(p.toPort !== undefined ? { toPort: p.toPort } : {}),
    groups: items(
      (p.userIdGroupPairs ?? []).map((g) => ({
        ...(g.groupId !== undefined ? { groupId: g.groupId } : {}),
        ...(g.groupName !== undefined ? { groupName: g.groupName } : {}),
        ...(g.userId !== undefined ? { userId: g.userId } : {}),
        ...(g.vpcPeeringConnectionId !== undefined ? { vpcPeeringConnectionId: g.vpcPeeringConnectionId } : {}),
        ...d(g),
      })),
    ),
    ipRanges: items((p.ipRanges ?? []).map((r) => ({ cidrIp: r.cidrIp, ...d(r) }))),
    ipv6Ranges: items((p.ipv6Ranges ?? []).map((r) => ({ cidrIpv6: r.cidrIpv6, ...d(r) }))),
    prefixListIds: items((p.prefixListIds ?? []).map((r) => ({ prefixListId: r.prefixListId, ...d(r) }))),
  };
}

// What a malformed request asked for cannot always be read; CloudTrail then
// still records the call, with what it could parse.
function permissionsOf(params: QueryParams): Json {
  try {
    const perms = parseIpPermissions(params);
    const legacy = parseLegacyPermission(params);
    return items([...perms, ...(legacy !== undefined ? [legacy] : [])].map(permissionJson));
  } catch {
    return {};
  }
}

function pascalObject(q: QueryParams | undefined): Json {
  const out: { [key: string]: Json } = {};
  for (const [k, v] of q?.entries() ?? []) out[k] = /^-?\d+$/.test(v) && /Port$/.test(k) ? Number(v) : v;
  return out;
}

function requestParameters(action: string, params: QueryParams): Json {
  const groupRef = (): { [key: string]: Json } => {
    const id = params.get("GroupId");
    const name = params.get("GroupName");
    return { ...(id !== undefined ? { groupId: id } : {}), ...(name !== undefined ? { groupName: name } : {}) };
  };
  switch (action) {
    case "AuthorizeSecurityGroupIngress":
    case "AuthorizeSecurityGroupEgress":
    case "RevokeSecurityGroupIngress":
    case "RevokeSecurityGroupEgress":
    case "UpdateSecurityGroupRuleDescriptionsIngress":
    case "UpdateSecurityGroupRuleDescriptionsEgress": {
      const ruleIds = params.list("SecurityGroupRuleId");
      return {
        ...groupRef(),
        ipPermissions: permissionsOf(params),
        ...(ruleIds.length > 0 ? { securityGroupRuleIds: items(ruleIds.map((securityGroupRuleId) => ({ securityGroupRuleId }))) } : {}),
      };
    }
    case "ModifySecurityGroupRules": {
      const list: Json[] = params.structs("SecurityGroupRule").map((s) => ({
        SecurityGroupRuleId: s.get("SecurityGroupRuleId") ?? null,
        SecurityGroupRule: pascalObject(s.sub("SecurityGroupRule")),
      }));
      return { ModifySecurityGroupRulesRequest: { GroupId: params.get("GroupId") ?? null, SecurityGroupRule: list.length === 1 ? (list[0] as Json) : list } };
    }
    case "CreateSecurityGroup":
      return {
        groupName: params.get("GroupName") ?? null,
        groupDescription: params.get("GroupDescription") ?? null,
        ...(params.get("VpcId") !== undefined ? { vpcId: params.get("VpcId") as string } : {}),
      };
    case "DeleteSecurityGroup":
      return groupRef();
    case "CreateTags":
    case "DeleteTags":
      return {
        resourcesSet: items(params.list("ResourceId").map((resourceId) => ({ resourceId }))),
        tagSet: items(params.structs("Tag").map((t) => ({ key: t.get("Key") ?? "", ...(t.get("Value") !== undefined ? { value: t.get("Value") as string } : {}) }))),
      };
    default:
      return pascalObject(params);
  }
}

function resourcesOf(action: string, params: QueryParams): TrailResource[] {
  const ids =
    action === "CreateTags" || action === "DeleteTags"
      ? params.list("ResourceId")
      : [params.get("GroupId")].filter((x): x is string => x !== undefined);
  return ids.map((id) => ({ ResourceType: id.startsWith("sgr-") ? "AWS::EC2::SecurityGroupRule" : id.startsWith("sg-") ? "AWS::EC2::SecurityGroup" : "AWS::EC2::Resource", ResourceName: id }));
}

function uuidFrom(seed: string): string {
  const h = createHash("sha256").update(seed).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The CloudTrail event of one failed call. */
export function failedTrailEvent(call: FailedCallRecord, opts: FailedBuildOptions): SimTrailEvent {
  const happenedAtMs = Date.parse(call.time);
  const eventTimeSeconds = Math.floor(happenedAtMs / 1000);
  const eventTime = new Date(eventTimeSeconds * 1000).toISOString().replace(".000Z", "Z");
  const eventId = uuidFrom(`${call.account}/${call.region}/${call.requestId}/${call.action}/failed`);
  const identity = userIdentity(call.accessKeyId, call.account, opts.identityFor(call.accessKeyId), eventTime);
  const params = new QueryParams(new Map(call.params));
  const record: { [key: string]: Json } = {
    eventVersion: "1.09",
    userIdentity: identity as unknown as Json,
    eventTime,
    eventSource: "ec2.amazonaws.com",
    eventName: call.action,
    awsRegion: call.region,
    sourceIPAddress: call.sourceIp,
    userAgent: call.userAgent,
    errorCode: `${call.status >= 500 ? "Server" : "Client"}.${call.errorCode}`,
    errorMessage: call.errorMessage,
    requestParameters: requestParameters(call.action, params),
    responseElements: null,
    requestID: call.requestId,
    eventID: eventId,
    readOnly: false,
    eventType: "AwsApiCall",
    managementEvent: true,
    recipientAccountId: call.account,
    eventCategory: "Management",
    ...(call.vpcEndpointId !== undefined ? { vpcEndpointId: call.vpcEndpointId, vpcEndpointAccountId: call.account } : {}),
  };
  return {
    seq: call.seq,
    happenedAtMs,
    eventTimeSeconds,
    eventId,
    eventName: call.action,
    eventSource: "ec2.amazonaws.com",
    accessKeyId: call.accessKeyId,
    username: lookupUsername(identity),
    readOnly: "false",
    resources: resourcesOf(call.action, params),
    record,
  };
}
