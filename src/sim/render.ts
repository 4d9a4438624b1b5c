// XML renderings of groups and rules, in the element order and grouping AWS uses.

import { itemList, text, wrap } from "./xml.js";
import type { SimGroup, SimRule, SimTag } from "./types.js";

/** arn:aws:ec2:<region>:<account>:security-group/<id>. */
export function groupArn(region: string, group: SimGroup): string {
  return `arn:aws:ec2:${region}:${group.ownerId}:security-group/${group.groupId}`;
}

/** arn:aws:ec2:<region>:<account>:security-group-rule/<id>. */
export function ruleArn(region: string, ownerId: string, ruleId: string): string {
  return `arn:aws:ec2:${region}:${ownerId}:security-group-rule/${ruleId}`;
}

/** `<name><item><key/><value/></item>…</name>`. */
export function tagSetXml(tags: readonly SimTag[], name = "tagSet"): string {
  return itemList(
    name,
    tags.map((t) => text("key", t.key) + text("value", t.value)),
  );
}

/** One `securityGroupInfo` item of DescribeSecurityGroups. */
export function securityGroupXml(region: string, g: SimGroup): string {
  const ingress = g.rules.filter((r) => !r.isEgress);
  const egress = g.rules.filter((r) => r.isEgress);
  return (
    text("ownerId", g.ownerId) +
    text("groupId", g.groupId) +
    text("groupName", g.groupName) +
    text("groupDescription", g.description) +
    text("vpcId", g.vpcId) +
    ipPermissionsXml("ipPermissions", ingress) +
    ipPermissionsXml("ipPermissionsEgress", egress) +
    // AWS leaves tagSet out entirely for an untagged group.
    (g.tags.length > 0 ? tagSetXml(g.tags) : "") +
    text("securityGroupArn", groupArn(region, g))
  );
}

/**
 * Rules packed as AWS packs them: one IpPermission per (protocol, fromPort,
 * toPort), holding every peer of that tuple, in order of first appearance.
 */
export function ipPermissionsXml(name: string, rules: readonly SimRule[]): string {
  const buckets = new Map<string, SimRule[]>();
  for (const r of rules) {
    const key = `${r.protocol}|${r.fromPort ?? ""}|${r.toPort ?? ""}`;
    const b = buckets.get(key);
    if (b) b.push(r);
    else buckets.set(key, [r]);
  }
  const items = [...buckets.values()].map((bucket) => {
    const first = bucket[0] as SimRule;
    const groups: string[] = [];
    const v4: string[] = [];
    const v6: string[] = [];
    const pls: string[] = [];
    for (const r of bucket) {
      const d = text("description", r.description);
      const p = r.peer;
      switch (p.kind) {
        case "ipv4":
          v4.push(text("cidrIp", p.cidr) + d);
          break;
        case "ipv6":
          v6.push(text("cidrIpv6", p.cidr) + d);
          break;
        case "prefix-list":
          pls.push(text("prefixListId", p.prefixListId) + d);
          break;
        case "security-group":
          groups.push(
            d +
              text("userId", p.userId) +
              text("groupId", p.groupId) +
              text("vpcPeeringConnectionId", p.vpcPeeringConnectionId) +
              (p.vpcPeeringConnectionId !== undefined ? text("peeringStatus", "active") : ""),
          );
          break;
      }
    }
    return (
      text("ipProtocol", first.protocol) +
      // Ports are omitted where they do not apply (-1 and other protocol numbers).
      text("fromPort", first.fromPort) +
      text("toPort", first.toPort) +
      itemList("groups", groups) +
      itemList("ipRanges", v4) +
      itemList("ipv6Ranges", v6) +
      itemList("prefixListIds", pls)
    );
  });
  return itemList(name, items);
}

/** Ports as the rule-level APIs report them: -1/-1 where ports do not apply. */
function rulePorts(r: SimRule): string {
  return text("fromPort", r.fromPort ?? -1) + text("toPort", r.toPort ?? -1);
}

function rulePeerXml(r: SimRule): string {
  const p = r.peer;
  switch (p.kind) {
    case "ipv4":
      return text("cidrIpv4", p.cidr);
    case "ipv6":
      return text("cidrIpv6", p.cidr);
    case "prefix-list":
      return text("prefixListId", p.prefixListId);
    case "security-group":
      return wrap(
        "referencedGroupInfo",
        text("groupId", p.groupId) + text("userId", p.userId) + text("vpcPeeringConnectionId", p.vpcPeeringConnectionId),
      );
  }
}

/** One SecurityGroupRule item (DescribeSecurityGroupRules, Authorize*'s securityGroupRuleSet). */
export function securityGroupRuleXml(region: string, group: SimGroup, r: SimRule): string {
  return (
    text("securityGroupRuleId", r.ruleId) +
    text("groupId", group.groupId) +
    text("groupOwnerId", group.ownerId) +
    text("isEgress", r.isEgress) +
    text("ipProtocol", r.protocol) +
    rulePorts(r) +
    rulePeerXml(r) +
    text("description", r.description) +
    tagSetXml(r.tags) +
    text("securityGroupRuleArn", ruleArn(region, group.ownerId, r.ruleId))
  );
}

/** One RevokedSecurityGroupRule item of Revoke*'s revokedSecurityGroupRuleSet. */
export function revokedRuleXml(group: SimGroup, r: SimRule): string {
  const p = r.peer;
  return (
    text("securityGroupRuleId", r.ruleId) +
    text("groupId", group.groupId) +
    text("isEgress", r.isEgress) +
    text("ipProtocol", r.protocol) +
    rulePorts(r) +
    (p.kind === "ipv4" ? text("cidrIpv4", p.cidr) : "") +
    (p.kind === "ipv6" ? text("cidrIpv6", p.cidr) : "") +
    (p.kind === "prefix-list" ? text("prefixListId", p.prefixListId) : "") +
    (p.kind === "security-group" ? text("referencedGroupId", p.groupId) : "") +
    text("description", r.description)
  );
}
