import type { IpPermission, SecurityGroup } from "@aws-sdk/client-ec2";
import { describe, expect, it } from "vitest";
import { GroupNormalizer, NormalizeError, normalizeGroup, normalizeGroups } from "../../../src/model/normalize.js";
import type { Rule } from "../../../src/model/types.js";
import { OWNER, rawGroup, rule } from "./build.js";

/** Rules of a group with one ingress permission. */
function rulesOf(p: IpPermission, over: Partial<SecurityGroup> = {}): Rule[] {
  return normalizeGroup(rawGroup({ IpPermissions: [p], ...over })).rules;
}

const TCP22 = { IpProtocol: "tcp", FromPort: 22, ToPort: 22 };

describe("normalizeGroup: sources", () => {
  it.each<[string, IpPermission, Partial<Rule>]>([
    ["ipv4", { ...TCP22, IpRanges: [{ CidrIp: "10.0.0.0/8" }] }, { sourceKind: "ipv4", source: "10.0.0.0/8" }],
    ["ipv6", { ...TCP22, Ipv6Ranges: [{ CidrIpv6: "2001:db8::/32" }] }, { sourceKind: "ipv6", source: "2001:db8::/32" }],
    ["prefix list", { ...TCP22, PrefixListIds: [{ PrefixListId: "pl-0abc" }] }, { sourceKind: "prefix-list", source: "pl-0abc" }],
    ["same-account group without UserId", { ...TCP22, UserIdGroupPairs: [{ GroupId: "sg-0peer" }] }, { sourceKind: "security-group", source: "sg-0peer" }],
    ["same-account group with UserId", { ...TCP22, UserIdGroupPairs: [{ GroupId: "sg-0peer", UserId: OWNER }] }, { sourceKind: "security-group", source: "sg-0peer" }],
    [
      "foreign-account group",
      { ...TCP22, UserIdGroupPairs: [{ GroupId: "sg-0peer", UserId: "222222222222" }] },
      { sourceKind: "security-group", source: "sg-0peer", sourceAccount: "222222222222" },
    ],
    [
      "group across peering",
      { ...TCP22, UserIdGroupPairs: [{ GroupId: "sg-0peer", UserId: "222222222222", VpcPeeringConnectionId: "pcx-1" }] },
      { sourceKind: "security-group", source: "sg-0peer", sourceAccount: "222222222222", peeringId: "pcx-1" },
    ],
  ])("%s", (_name, permission, expected) => {
    expect(rulesOf(permission)).toEqual([rule({ fromPort: 22, toPort: 22, ...expected })]);
  });

  it("unpacks one permission into one rule per range, sorted by key", () => {
    const rules = rulesOf({
      ...TCP22,
      IpRanges: [{ CidrIp: "192.168.0.0/16" }, { CidrIp: "10.0.0.0/8" }],
      PrefixListIds: [{ PrefixListId: "pl-1" }],
      UserIdGroupPairs: [{ GroupId: "sg-2" }],
      Ipv6Ranges: [{ CidrIpv6: "::/0" }],
    });
    expect(rules.map((r) => r.source)).toEqual(["10.0.0.0/8", "192.168.0.0/16", "::/0", "pl-1", "sg-2"]);
  });

  it("keeps ingress and egress apart", () => {
    const g = normalizeGroup(
      rawGroup({
        IpPermissions: [{ IpProtocol: "-1", IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
        IpPermissionsEgress: [{ IpProtocol: "-1", IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
      }),
    );
    expect(g.rules.map((r) => r.direction)).toEqual(["egress", "ingress"]);
  });
});

describe("normalizeGroup: protocols and ports", () => {
  it.each<[string, IpPermission, Pick<Rule, "protocol" | "fromPort" | "toPort">]>([
    ["tcp name", { IpProtocol: "tcp", FromPort: 80, ToPort: 80 }, { protocol: "tcp", fromPort: 80, toPort: 80 }],
    ["tcp upper case", { IpProtocol: "TCP", FromPort: 80, ToPort: 80 }, { protocol: "tcp", fromPort: 80, toPort: 80 }],
    ["tcp number", { IpProtocol: "6", FromPort: 80, ToPort: 80 }, { protocol: "tcp", fromPort: 80, toPort: 80 }],
    ["udp number", { IpProtocol: "17", FromPort: 53, ToPort: 53 }, { protocol: "udp", fromPort: 53, toPort: 53 }],
    ["tcp range", { IpProtocol: "tcp", FromPort: 8000, ToPort: 8080 }, { protocol: "tcp", fromPort: 8000, toPort: 8080 }],
    ["tcp ports omitted", { IpProtocol: "tcp" }, { protocol: "tcp", fromPort: null, toPort: null }],
    ["all as -1", { IpProtocol: "-1" }, { protocol: "all", fromPort: null, toPort: null }],
    ["all ignores ports", { IpProtocol: "-1", FromPort: -1, ToPort: -1 }, { protocol: "all", fromPort: null, toPort: null }],
    ["icmp echo", { IpProtocol: "icmp", FromPort: 8, ToPort: -1 }, { protocol: "icmp", fromPort: 8, toPort: -1 }],
    ["icmp number", { IpProtocol: "1", FromPort: 3, ToPort: 4 }, { protocol: "icmp", fromPort: 3, toPort: 4 }],
    ["icmp any", { IpProtocol: "icmp", FromPort: -1, ToPort: -1 }, { protocol: "icmp", fromPort: -1, toPort: -1 }],
    ["icmp omitted ports mean any", { IpProtocol: "icmp" }, { protocol: "icmp", fromPort: -1, toPort: -1 }],
    ["icmpv6 number", { IpProtocol: "58", FromPort: 128, ToPort: -1 }, { protocol: "icmpv6", fromPort: 128, toPort: -1 }],
    ["other number keeps number", { IpProtocol: "50" }, { protocol: "50", fromPort: null, toPort: null }],
    ["other number ignores ports", { IpProtocol: "47", FromPort: 1, ToPort: 2 }, { protocol: "47", fromPort: null, toPort: null }],
    ["leading zeros", { IpProtocol: "006", FromPort: 1, ToPort: 1 }, { protocol: "tcp", fromPort: 1, toPort: 1 }],
  ])("%s", (_name, p, expected) => {
    const [only, ...rest] = rulesOf({ ...p, IpRanges: [{ CidrIp: "10.0.0.0/8" }] });
    expect(rest).toEqual([]);
    expect(only).toMatchObject(expected);
  });
});

describe("normalizeGroup: CIDR spellings and descriptions", () => {
  it.each([
    ["2001:DB8::/32", "2001:db8::/32"],
    ["2001:db8:0::/32", "2001:db8::/32"],
    ["2001:0db8:0000:0000:0000:0000:0000:0000/32", "2001:db8::/32"],
    ["::/0", "::/0"],
  ])("IPv6 %s reads as %s", (spelled, canonical) => {
    expect(rulesOf({ ...TCP22, Ipv6Ranges: [{ CidrIpv6: spelled }] })[0]?.source).toBe(canonical);
  });

  it.each([
    ["10.1.2.3/8", "10.0.0.0/8"],
    [" 10.0.0.0/8 ", "10.0.0.0/8"],
    ["0.0.0.0/0", "0.0.0.0/0"],
  ])("IPv4 %j reads as %s", (spelled, canonical) => {
    expect(rulesOf({ ...TCP22, IpRanges: [{ CidrIp: spelled }] })[0]?.source).toBe(canonical);
  });

  it.each([
    ["empty description", "", null],
    ["absent description", undefined, null],
    ["text", "office VPN", "office VPN"],
  ])("%s", (_name, text, expected) => {
    expect(rulesOf({ ...TCP22, IpRanges: [{ CidrIp: "10.0.0.0/8", Description: text }] })[0]?.description).toBe(expected);
  });
});

describe("normalizeGroup: duplicates collapse", () => {
  it.each<[string, IpPermission[]]>([
    ["two spellings of one IPv6 range", [{ ...TCP22, Ipv6Ranges: [{ CidrIpv6: "2001:DB8::/32" }, { CidrIpv6: "2001:db8:0::/32" }] }]],
    ["same range in two permissions", [{ ...TCP22, IpRanges: [{ CidrIp: "10.0.0.0/8" }] }, { IpProtocol: "6", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "10.0.0.0/8" }] }]],
    ["same-account peer with and without UserId", [{ ...TCP22, UserIdGroupPairs: [{ GroupId: "sg-1" }, { GroupId: "sg-1", UserId: OWNER }] }]],
  ])("%s", (_name, perms) => {
    expect(normalizeGroup(rawGroup({ IpPermissions: perms })).rules).toHaveLength(1);
  });

  it.each<[string, (string | undefined)[], string | null]>([
    ["keeps the non-null description whichever comes first", [undefined, "b"], "b"],
    ["keeps the non-null description (other order)", ["b", ""], "b"],
    ["picks the smallest of two descriptions", ["b", "a"], "a"],
    ["picks the smallest of two descriptions (other order)", ["a", "b"], "a"],
  ])("%s", (_name, descriptions, expected) => {
    const ranges = descriptions.map((Description) => ({ CidrIp: "10.0.0.0/8", Description }));
    expect(rulesOf({ ...TCP22, IpRanges: ranges })).toEqual([rule({ fromPort: 22, toPort: 22, description: expected })]);
  });
});

describe("normalizeGroup: group fields", () => {
  it("reads identity, tags and missing optional arrays", () => {
    const g = normalizeGroup(rawGroup({ Tags: [{ Key: "team", Value: "pay" }, { Key: "env", Value: "" }] }));
    expect(g).toEqual({
      groupId: "sg-0abc",
      name: "web",
      description: "web tier",
      vpcId: "vpc-1",
      ownerId: OWNER,
      tags: { env: "", team: "pay" },
      rules: [],
    });
  });

  it("reads a group without VpcId as vpcId null", () => {
    expect(normalizeGroup(rawGroup({ VpcId: undefined })).vpcId).toBeNull();
  });

  it("keeps a __proto__ tag key as a plain tag without touching the prototype", () => {
    const g = normalizeGroup(rawGroup({ Tags: [{ Key: "__proto__", Value: "x" }] }));
    expect(Object.keys(g.tags)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(g.tags)).toBe(Object.prototype);
  });
});

describe("normalizeGroups", () => {
  it("sorts by groupId whatever the input order", () => {
    const ids = normalizeGroups([rawGroup({ GroupId: "sg-2" }), rawGroup({ GroupId: "sg-1" }), rawGroup({ GroupId: "sg-3" })]).map((g) => g.groupId);
    expect(ids).toEqual(["sg-1", "sg-2", "sg-3"]);
  });

  it("keeps one copy of a group listed twice identically", () => {
    expect(normalizeGroups([rawGroup(), rawGroup()])).toHaveLength(1);
  });

  it("rejects a group listed twice with different content", () => {
    expect(() => normalizeGroups([rawGroup(), rawGroup({ GroupName: "other" })])).toThrow("sg-0abc: SecurityGroups[1] repeats the group with different content");
  });

  it("names the position of a group without GroupId", () => {
    expect(() => normalizeGroups([rawGroup({ GroupId: "sg-1" }), rawGroup({ GroupId: undefined })])).toThrow("SecurityGroups[1]: GroupId is missing");
  });
});

describe("normalizeGroup: malformed input throws NormalizeError naming group and field", () => {
  const perm = (p: Partial<IpPermission>): Partial<SecurityGroup> => ({ IpPermissions: [{ ...TCP22, IpRanges: [{ CidrIp: "10.0.0.0/8" }] }, { ...TCP22, IpRanges: [{ CidrIp: "10.0.0.0/8" }] }, p] });
  it.each<[string, Partial<SecurityGroup>, string]>([
    ["no GroupId", { GroupId: undefined }, "(group without GroupId): GroupId is missing"],
    ["empty GroupId", { GroupId: "" }, "(group without GroupId): GroupId is missing"],
    ["GroupId with a newline", { GroupId: "sg-1\nFAKE LOG LINE" }, '(invalid GroupId "sg-1\\nFAKE LOG LINE"): GroupId is not a valid id'],
    ["GroupId with a pipe", { GroupId: "sg-1|x" }, "GroupId is not a valid id"],
    ["no OwnerId", { OwnerId: undefined }, "sg-0abc: OwnerId is missing"],
    ["no GroupName", { GroupName: undefined }, "sg-0abc: GroupName is missing"],
    ["no IpProtocol", perm({ IpRanges: [{ CidrIp: "10.0.0.0/8" }] }), "sg-0abc: IpPermissions[2].IpProtocol is missing"],
    ["empty IpProtocol", perm({ IpProtocol: "" }), "sg-0abc: IpPermissions[2].IpProtocol is missing"],
    ["protocol out of range", perm({ IpProtocol: "256" }), "sg-0abc: IpPermissions[2].IpProtocol is not a protocol"],
    ["protocol garbage", perm({ IpProtocol: "tcp; drop" }), "sg-0abc: IpPermissions[2].IpProtocol is not a protocol"],
    ["port above 65535", perm({ IpProtocol: "tcp", FromPort: 1, ToPort: 70000 }), "sg-0abc: IpPermissions[2].ToPort is not an integer in 0..65535"],
    ["negative tcp port", perm({ IpProtocol: "tcp", FromPort: -1, ToPort: -1 }), "sg-0abc: IpPermissions[2].FromPort is not an integer in 0..65535"],
    ["fractional port", perm({ IpProtocol: "udp", FromPort: 1.5, ToPort: 2 }), "sg-0abc: IpPermissions[2].FromPort is not an integer in 0..65535"],
    ["NaN port", perm({ IpProtocol: "udp", FromPort: Number.NaN, ToPort: 2 }), "sg-0abc: IpPermissions[2].FromPort is not an integer"],
    ["FromPort without ToPort", perm({ IpProtocol: "tcp", FromPort: 22 }), "sg-0abc: IpPermissions[2].ToPort is missing"],
    ["reversed range", perm({ IpProtocol: "tcp", FromPort: 25, ToPort: 20 }), "sg-0abc: IpPermissions[2].FromPort is greater than ToPort (25 > 20)"],
    ["icmp type too large", perm({ IpProtocol: "icmp", FromPort: 300, ToPort: -1 }), "sg-0abc: IpPermissions[2].FromPort is not an integer in -1..255"],
    ["range without CidrIp", { IpPermissions: [{ ...TCP22, IpRanges: [{ Description: "x" }] }] }, "sg-0abc: IpPermissions[0].IpRanges[0].CidrIp is missing"],
    ["invalid CidrIp", { IpPermissions: [{ ...TCP22, IpRanges: [{ CidrIp: "10.0.0.300/8" }] }] }, "sg-0abc: IpPermissions[0].IpRanges[0].CidrIp is not an IPv4 CIDR"],
    ["IPv6 in CidrIp", { IpPermissions: [{ ...TCP22, IpRanges: [{ CidrIp: "::/0" }] }] }, "sg-0abc: IpPermissions[0].IpRanges[0].CidrIp is not an IPv4 CIDR"],
    ["IPv4 in CidrIpv6", { IpPermissions: [{ ...TCP22, Ipv6Ranges: [{ CidrIpv6: "0.0.0.0/0" }] }] }, "sg-0abc: IpPermissions[0].Ipv6Ranges[0].CidrIpv6 is not an IPv6 CIDR"],
    ["CIDR without prefix", { IpPermissions: [{ ...TCP22, IpRanges: [{ CidrIp: "10.0.0.1" }] }] }, "sg-0abc: IpPermissions[0].IpRanges[0].CidrIp is not an IPv4 CIDR"],
    ["prefix list without id", { IpPermissions: [{ ...TCP22, PrefixListIds: [{}] }] }, "sg-0abc: IpPermissions[0].PrefixListIds[0].PrefixListId is missing"],
    ["group pair without GroupId", { IpPermissions: [{ ...TCP22, UserIdGroupPairs: [{ UserId: OWNER }] }] }, "sg-0abc: IpPermissions[0].UserIdGroupPairs[0].GroupId is missing"],
    ["egress without protocol", { IpPermissionsEgress: [{ IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }, "sg-0abc: IpPermissionsEgress[0].IpProtocol is missing"],
    ["tag without key", { Tags: [{ Value: "x" }] }, "sg-0abc: Tags[0].Key is missing"],
    ["tag key twice with two values", { Tags: [{ Key: "a", Value: "1" }, { Key: "a", Value: "2" }] }, 'sg-0abc: Tags[1].Key repeats "a" with another value'],
  ])("%s", (_name, over, message) => {
    const attempt = (): unknown => normalizeGroup(rawGroup(over));
    expect(attempt).toThrow(NormalizeError);
    expect(attempt).toThrow(message);
  });

  it("carries the group id and the field on the error", () => {
    try {
      normalizeGroup(rawGroup({ IpPermissions: [{ FromPort: 1 }] }));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(NormalizeError);
      expect(e).toMatchObject({ groupId: "sg-0abc", field: "IpPermissions[0].IpProtocol", name: "NormalizeError" });
    }
  });

  it("rejects values of the wrong runtime type (hostile deserialisation)", () => {
    const hostile = { ...rawGroup(), IpPermissions: "nope" } as unknown as SecurityGroup;
    expect(() => normalizeGroup(hostile)).toThrow("sg-0abc: IpPermissions is not a list");
    const numericName = { ...rawGroup(), GroupName: 7 } as unknown as SecurityGroup;
    expect(() => normalizeGroup(numericName)).toThrow("sg-0abc: GroupName is not a string");
  });
});

describe("normalizeGroup: order independence", () => {
  it("gives the same state whatever the order of permissions, ranges and tags", () => {
    const a: IpPermission = { ...TCP22, IpRanges: [{ CidrIp: "10.0.0.0/8" }, { CidrIp: "192.168.0.0/16", Description: "lan" }] };
    const b: IpPermission = { IpProtocol: "udp", FromPort: 53, ToPort: 53, PrefixListIds: [{ PrefixListId: "pl-1" }] };
    const one = normalizeGroup(rawGroup({ IpPermissions: [a, b], Tags: [{ Key: "a", Value: "1" }, { Key: "b", Value: "2" }] }));
    const reversedRanges = { ...a, IpRanges: [...(a.IpRanges ?? [])].reverse() };
    const two = normalizeGroup(rawGroup({ IpPermissions: [b, reversedRanges], Tags: [{ Key: "b", Value: "2" }, { Key: "a", Value: "1" }] }));
    expect(two).toEqual(one);
    expect(JSON.stringify(two)).toBe(JSON.stringify(one));
  });
});

describe("GroupNormalizer with the previous poll's fingerprints", () => {
  const a = rawGroup({ GroupId: "sg-0a", GroupName: "a", IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "10.0.0.0/8" }] }] });
  const b = rawGroup({ GroupId: "sg-0b", GroupName: "b" });

  it("reuses the canonical object of a raw group that did not change, and re-reads one that did", () => {
    const first = new GroupNormalizer(new Map());
    first.add([a, b]);
    const [a1, b1] = first.result();
    const second = new GroupNormalizer(first.fingerprints());
    const b2raw = { ...b, GroupName: "b-renamed" };
    second.add([structuredClone(a), b2raw]);
    const [a2, b2] = second.result();
    expect(a2).toBe(a1); // same object: the differ skips it at once
    expect(b2).not.toBe(b1);
    expect(b2?.name).toBe("b-renamed");
    expect(second.result()).toEqual(normalizeGroups([a, b2raw]));
  });

  it("without previous fingerprints computes none and normalises everything", () => {
    const n = new GroupNormalizer();
    n.add([a]);
    expect([...n.fingerprints().values()].map((f) => f.fingerprint)).toEqual([""]);
    expect(n.result()).toEqual(normalizeGroups([a]));
  });

  it("rejects a group repeated across pages with different content", () => {
    const n = new GroupNormalizer(new Map());
    n.add([a]);
    expect(() => n.add([{ ...a, GroupName: "other" }])).toThrow(NormalizeError);
  });
});
