// Data shapes of the simulator's state, its inputs and its logs. The state
// shapes are plain JSON so a whole account can be saved, loaded and shipped
// over the admin endpoint without a separate serialisation layer.

import type { Rule } from "../model/types.js";

/** One tag, in the order it was set (AWS keeps no order; we keep insertion order for stable output). */
export interface SimTag {
  /** Tag key. */
  key: string;
  /** Tag value; empty string when set without one. */
  value: string;
}

/** The peer of a rule: exactly one of the four kinds AWS allows per rule. */
export type RulePeer =
  | { kind: "ipv4"; cidr: string }
  | { kind: "ipv6"; cidr: string }
  | { kind: "prefix-list"; prefixListId: string }
  | {
      kind: "security-group";
      /** Referenced group id. */
      groupId: string;
      /** Account owning the referenced group (AWS always reports it). */
      userId: string;
      /** VPC peering connection, when the group is across one. */
      vpcPeeringConnectionId?: string;
    };

/** One stored rule, the unit AWS gives an `sgr-` id to. */
export interface SimRule {
  /** sgr- + 17 hex. */
  ruleId: string;
  /** true for outbound rules. */
  isEgress: boolean;
  /** As AWS stores it: tcp, udp, icmp, icmpv6, -1, or another protocol number. */
  protocol: string;
  /** First port or ICMP type; null where AWS reports none (-1 and other protocol numbers). */
  fromPort: number | null;
  /** Last port or ICMP code; null where AWS reports none. */
  toPort: number | null;
  /** Source (ingress) or destination (egress). */
  peer: RulePeer;
  /** Optional free text. */
  description?: string;
  /** Tags on the rule itself (TagSpecification with ResourceType security-group-rule). */
  tags: SimTag[];
}

/** One security group. */
export interface SimGroup {
  /** sg- + 17 hex. */
  groupId: string;
  /** GroupName, unique per VPC. */
  groupName: string;
  /** GroupDescription (immutable on AWS). */
  description: string;
  /** Owning VPC. */
  vpcId: string;
  /** Owning account. */
  ownerId: string;
  /** Tags on the group. */
  tags: SimTag[];
  /** Ingress and egress rules, in the order they were added. */
  rules: SimRule[];
}

/** An IPv4 range of a permission, as in AWS's IpRange. */
export interface IpRangeInput {
  cidrIp: string;
  description?: string;
}

/** An IPv6 range of a permission. */
export interface Ipv6RangeInput {
  cidrIpv6: string;
  description?: string;
}

/** A prefix-list peer of a permission. */
export interface PrefixListInput {
  prefixListId: string;
  description?: string;
}

/** A security-group peer of a permission, as in AWS's UserIdGroupPair. */
export interface GroupPairInput {
  groupId?: string;
  /** Default-VPC groups of the same account may be named instead of given by id. */
  groupName?: string;
  userId?: string;
  vpcPeeringConnectionId?: string;
  description?: string;
}

/**
 * One IpPermission as callers send it (AWS's shape, camelCased). It expands to
 * one stored rule per peer.
 */
export interface PermissionInput {
  /** Name (tcp, udp, icmp, icmpv6), number as a string, or -1 for all. */
  ipProtocol: string;
  fromPort?: number;
  toPort?: number;
  ipRanges?: IpRangeInput[];
  ipv6Ranges?: Ipv6RangeInput[];
  prefixListIds?: PrefixListInput[];
  userIdGroupPairs?: GroupPairInput[];
}

/** A new shape for an existing rule, as ModifySecurityGroupRules takes it (exactly one peer). */
export interface RuleUpdateInput {
  ipProtocol: string;
  fromPort?: number;
  toPort?: number;
  cidrIpv4?: string;
  cidrIpv6?: string;
  prefixListId?: string;
  referencedGroupId?: string;
  description?: string;
}

/** Who made a call: the attribution a CloudTrail event would carry. */
export interface Caller {
  /** Access key id from the SigV4 credential scope. */
  accessKeyId: string;
  /** Client address as the server saw it. */
  sourceIp: string;
  /** User-Agent header. */
  userAgent: string;
  /** Request id of the API call, when there was one. */
  requestId?: string;
  /** API action name; in-process calls name the method they stand for. */
  action?: string;
  /** VPC endpoint the call came through (CloudTrail's vpcEndpointId), when the key is set to use one. */
  vpcEndpointId?: string;
}

/** A rule in the project's canonical form, plus the id AWS gave it. */
export type RuleEffect = Rule & { ruleId: string };

/** What one mutation did, canonically; enough to replay or attribute it. */
export type MutationEffect =
  | { kind: "group-created"; groupName: string; description: string; vpcId: string; tags: Record<string, string> }
  | { kind: "group-deleted"; groupName: string; vpcId: string; tags: Record<string, string>; rules: RuleEffect[] }
  | { kind: "rules-added"; rules: RuleEffect[] }
  /** byRuleId: the request named sgr- ids (SecurityGroupRuleIds), not the rules' content; CloudTrail records the ids. */
  | { kind: "rules-removed"; rules: RuleEffect[]; byRuleId?: boolean }
  | { kind: "rules-modified"; changes: { before: RuleEffect; after: RuleEffect }[] }
  | { kind: "rule-descriptions-changed"; changes: { rule: RuleEffect; oldDescription: string | null }[] }
  | { kind: "tags-set"; resourceId: string; tags: Record<string, string>; previous: Record<string, string | null> }
  | { kind: "tags-removed"; resourceId: string; tags: Record<string, string> };

/** One applied mutation: ground truth for tests and CloudTrail-style attribution. */
export interface MutationRecord {
  /** Monotonic sequence number within the state. */
  seq: number;
  /** ISO-8601 UTC time from the simulator's clock. */
  time: string;
  /** API action (or in-process method) that caused it. */
  action: string;
  /** Account of the group. */
  account: string;
  /** Region of the group. */
  region: string;
  /** Group concerned. */
  groupId: string;
  /** What changed. */
  effect: MutationEffect;
  /** Caller's access key id. */
  accessKeyId: string;
  /** Caller's address. */
  sourceIp: string;
  /** Caller's User-Agent. */
  userAgent: string;
  /** API request id, or null for in-process calls. */
  requestId: string | null;
  /** VPC endpoint the call came through, when there was one. */
  vpcEndpointId?: string;
}

/**
 * One API call that changed nothing because it failed (denied, malformed, a
 * duplicate rule …). CloudTrail records failed calls too, with errorCode and
 * errorMessage; the mutation log only holds effects, so these are kept here.
 */
export interface FailedCallRecord {
  /** From the same sequence as mutations: the order calls happened in. */
  seq: number;
  /** ISO-8601 UTC time from the simulator's clock. */
  time: string;
  /** API action. */
  action: string;
  /** Account the key acts in. */
  account: string;
  /** Region from the credential scope. */
  region: string;
  /** The request's Query parameters, as sent. */
  params: [string, string][];
  /** Caller's access key id. */
  accessKeyId: string;
  /** Caller's address. */
  sourceIp: string;
  /** Caller's User-Agent. */
  userAgent: string;
  /** API request id. */
  requestId: string;
  /** VPC endpoint the call came through, when there was one. */
  vpcEndpointId?: string;
  /** EC2 error code, e.g. UnauthorizedOperation (CloudTrail writes Client.UnauthorizedOperation). */
  errorCode: string;
  /** EC2 error message. */
  errorMessage: string;
  /** HTTP status the error was sent with (5xx: a Server. error in CloudTrail). */
  status: number;
}

/** One HTTP API call as the simulator saw it. */
export interface RequestRecord {
  /** ISO-8601 UTC arrival time. */
  time: string;
  /** Action parameter (empty when missing). */
  action: string;
  /** Access key id from the Authorization header, or "" when unsigned. */
  accessKeyId: string;
  /** Client address. */
  sourceIp: string;
  /** User-Agent header. */
  userAgent: string;
  /** Region from the credential scope. */
  region: string;
  /** Account the key maps to. */
  account: string;
  /** HTTP status sent; 0 when the connection was reset instead. */
  status: number;
  /** Request id sent back. */
  requestId: string;
  /** EC2 error code, when the call failed. */
  errorCode?: string;
  /** Kind of injected fault, when one applied. */
  fault?: string;
}
