// The revoke command offered for a rule that must go: the permission JSON AWS
// expects for every kind of peer and protocol, the egress verb for egress,
// and no command at all when a value could break out of the quotes.
import { describe, expect, it } from "vitest";
import { ipPermissionJson, revokeCommand } from "../../../src/policy/revoke-command.js";
import type { Rule } from "../../../src/model/types.js";
import { rule } from "../model/build.js";

const PLACE = { region: "eu-west-1", account: "123456789012" };

describe("ipPermissionJson", () => {
  it.each<[string, Partial<Rule>, unknown]>([
    ["tcp from IPv4", { fromPort: 22, toPort: 22, source: "0.0.0.0/0" }, { IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
    ["udp range from IPv6", { protocol: "udp", fromPort: 53, toPort: 60, sourceKind: "ipv6", source: "::/0" }, { IpProtocol: "udp", FromPort: 53, ToPort: 60, Ipv6Ranges: [{ CidrIpv6: "::/0" }] }],
    ["all traffic", { protocol: "all", fromPort: null, toPort: null, source: "10.0.0.0/8" }, { IpProtocol: "-1", IpRanges: [{ CidrIp: "10.0.0.0/8" }] }],
    ["icmp any type", { protocol: "icmp", fromPort: -1, toPort: -1, source: "0.0.0.0/0" }, { IpProtocol: "icmp", FromPort: -1, ToPort: -1, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
    ["other protocol", { protocol: "50", fromPort: null, toPort: null, source: "0.0.0.0/0" }, { IpProtocol: "50", IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
    ["prefix list", { sourceKind: "prefix-list", source: "pl-0123abcd" }, { IpProtocol: "tcp", FromPort: 443, ToPort: 443, PrefixListIds: [{ PrefixListId: "pl-0123abcd" }] }],
    ["security group", { sourceKind: "security-group", source: "sg-0abc" }, { IpProtocol: "tcp", FromPort: 443, ToPort: 443, UserIdGroupPairs: [{ GroupId: "sg-0abc" }] }],
    [
      "another account's group across peering",
      { sourceKind: "security-group", source: "sg-0abc", sourceAccount: "210987654321", peeringId: "pcx-0def" },
      { IpProtocol: "tcp", FromPort: 443, ToPort: 443, UserIdGroupPairs: [{ GroupId: "sg-0abc", UserId: "210987654321", VpcPeeringConnectionId: "pcx-0def" }] },
    ],
  ])("%s", (_name, over, expected) => {
    expect(JSON.parse(ipPermissionJson(rule(over)) ?? "null")).toEqual([expected]);
  });
});

describe("revokeCommand", () => {
  it("names the verb, region, group and permission", () => {
    expect(revokeCommand("sg-0abc", rule({ fromPort: 22, toPort: 22, source: "0.0.0.0/0" }), PLACE)).toBe(
      `aws ec2 revoke-security-group-ingress --region eu-west-1 --group-id sg-0abc --ip-permissions '[{"IpProtocol":"tcp","FromPort":22,"ToPort":22,"IpRanges":[{"CidrIp":"0.0.0.0/0"}]}]'`,
    );
  });
  it("uses the egress verb for egress rules", () => {
    expect(revokeCommand("sg-0abc", rule({ direction: "egress", protocol: "all", fromPort: null, toPort: null, source: "0.0.0.0/0" }), PLACE)).toBe(
      `aws ec2 revoke-security-group-egress --region eu-west-1 --group-id sg-0abc --ip-permissions '[{"IpProtocol":"-1","IpRanges":[{"CidrIp":"0.0.0.0/0"}]}]'`,
    );
  });
  it.each<[string, string, Partial<Rule>]>([
    ["a quote in a peer id", "sg-0abc", { sourceKind: "security-group", source: "sg-0abc'; rm -rf ~; '" }],
    ["a quote in a prefix list", "sg-0abc", { sourceKind: "prefix-list", source: "pl-1'" }],
    ["a strange group id", "sg-0abc $(id)", {}],
    ["a strange CIDR", "sg-0abc", { source: "0.0.0.0/0'" }],
  ])("offers nothing for %s", (_name, groupId, over) => {
    expect(revokeCommand(groupId, rule(over), PLACE)).toBeNull();
  });
});
