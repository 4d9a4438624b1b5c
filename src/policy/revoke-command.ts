// The AWS CLI command that removes one canonical rule, for alerts about rules
// that must not exist. Pure. The command is pasted into a shell by someone
// under pressure, so it must be exact (the permission JSON AWS expects for
// each kind of peer) and must carry nothing a group's editor could have
// smuggled in: every value is checked against the shape AWS gives it, and a
// rule with anything else gets no command at all.

import type { Rule } from "../model/types.js";

/** Where the group is: the command names the region; the account is for the profile hint. */
export interface RevokePlace {
  /** The target's region. */
  region: string;
  /** The target's account. */
  account: string;
}

// Ids and CIDRs as AWS spells them; nothing that could close the single quotes.
const SAFE = {
  groupId: /^sg-[0-9a-f]{1,32}$/,
  region: /^[a-z]{2}(-[a-z]+)+-\d+$/,
  cidr4: /^[0-9.]{7,15}\/\d{1,2}$/,
  cidr6: /^[0-9a-fA-F:.]{2,45}\/\d{1,3}$/,
  prefixList: /^pl-[0-9a-f]{1,32}$/,
  account: /^\d{12}$/,
  peering: /^pcx-[0-9a-f]{1,32}$/,
};

const PROTOCOL_NUMBER: Record<string, string> = { all: "-1" };

/** The ip-permissions JSON of one rule, or null when some value is not what AWS would return. */
export function ipPermissionJson(rule: Rule): string | null {
  const perm: Record<string, unknown> = { IpProtocol: PROTOCOL_NUMBER[rule.protocol] ?? rule.protocol };
  if (!/^(-1|tcp|udp|icmp|icmpv6|\d{1,3})$/.test(String(perm.IpProtocol))) return null;
  // Ports only where AWS has them: tcp/udp ranges, ICMP type and code (-1 = any).
  if (rule.protocol !== "all" && rule.fromPort !== null && rule.toPort !== null) {
    perm.FromPort = rule.fromPort;
    perm.ToPort = rule.toPort;
  }
  switch (rule.sourceKind) {
    case "ipv4":
      if (!SAFE.cidr4.test(rule.source)) return null;
      perm.IpRanges = [{ CidrIp: rule.source }];
      break;
    case "ipv6":
      if (!SAFE.cidr6.test(rule.source)) return null;
      perm.Ipv6Ranges = [{ CidrIpv6: rule.source }];
      break;
    case "prefix-list":
      if (!SAFE.prefixList.test(rule.source)) return null;
      perm.PrefixListIds = [{ PrefixListId: rule.source }];
      break;
    case "security-group": {
      if (!SAFE.groupId.test(rule.source)) return null;
      const pair: Record<string, string> = { GroupId: rule.source };
      if (rule.sourceAccount !== null) {
        if (!SAFE.account.test(rule.sourceAccount)) return null;
        pair.UserId = rule.sourceAccount;
      }
      if (rule.peeringId !== null) {
        if (!SAFE.peering.test(rule.peeringId)) return null;
        pair.VpcPeeringConnectionId = rule.peeringId;
      }
      perm.UserIdGroupPairs = [pair];
      break;
    }
  }
  return JSON.stringify([perm]);
}

/**
 * `aws ec2 revoke-security-group-ingress --region R --group-id sg-… --ip-permissions '[…]'`
 * (egress for egress rules), or null when the rule or group cannot be spelled safely.
 */
export function revokeCommand(groupId: string, rule: Rule, place: RevokePlace): string | null {
  if (!SAFE.groupId.test(groupId) || !SAFE.region.test(place.region)) return null;
  const json = ipPermissionJson(rule);
  if (json === null) return null;
  const verb = rule.direction === "egress" ? "revoke-security-group-egress" : "revoke-security-group-ingress";
  return `aws ec2 ${verb} --region ${place.region} --group-id ${groupId} --ip-permissions '${json}'`;
}

/** The line to print under the command: whose credentials it needs. */
export function revokeHint(place: RevokePlace): string {
  return `run it with credentials for account ${place.account}; add --profile NAME for a named profile`;
}
