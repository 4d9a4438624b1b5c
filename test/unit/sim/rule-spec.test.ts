import { describe, expect, it } from "vitest";
import { SimError } from "../../../src/sim/errors.js";
import { checkDescription, checkIpv4Cidr, checkIpv6Cidr, expandPermissions, storedPorts, storedProtocol, toRuleEffect, type PeerResolver } from "../../../src/sim/rule-spec.js";

const peers: PeerResolver = {
  ownerId: "123456789012",
  groupIdByName: (name) => (name === "web" ? "sg-0000000000000000a" : (() => { throw new SimError("InvalidGroup.NotFound", name); })()),
  assertGroupExists: (id) => {
    if (id !== "sg-0000000000000000a") throw new SimError("InvalidGroup.NotFound", id);
  },
};

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return e instanceof SimError ? e.code : "not-a-SimError";
  }
  return undefined;
};

describe("storedProtocol", () => {
  it.each([
    ["tcp", "tcp"], ["TCP", "tcp"], ["6", "tcp"], ["17", "udp"], ["1", "icmp"], ["58", "icmpv6"],
    ["-1", "-1"], ["all", "-1"], ["50", "50"], ["047", "47"],
  ])("%s → %s", (input, stored) => expect(storedProtocol(input)).toBe(stored));

  it.each(["256", "sctp-ish", ""])("rejects %j", (input) => expect(codeOf(() => storedProtocol(input))).toBe("InvalidParameterValue"));
});

describe("storedPorts", () => {
  it("tcp/udp need both ports in 0..65535, from <= to", () => {
    expect(storedPorts("tcp", 20, 25)).toEqual({ fromPort: 20, toPort: 25 });
    expect(codeOf(() => storedPorts("tcp", 22))).toBe("InvalidParameterValue");
    expect(codeOf(() => storedPorts("udp", 10, 5))).toBe("InvalidParameterValue");
    expect(codeOf(() => storedPorts("tcp", 0, 70000))).toBe("InvalidParameterValue");
  });
  it("icmp ports are type/code with -1 meaning any; missing means any", () => {
    expect(storedPorts("icmp", 8, -1)).toEqual({ fromPort: 8, toPort: -1 });
    expect(storedPorts("icmpv6")).toEqual({ fromPort: -1, toPort: -1 });
    expect(codeOf(() => storedPorts("icmp", -1, 4))).toBe("InvalidParameterValue");
  });
  it("all and other protocol numbers carry no ports", () => {
    expect(storedPorts("-1", 1, 2)).toEqual({ fromPort: null, toPort: null });
    expect(storedPorts("50")).toEqual({ fromPort: null, toPort: null });
  });
});

describe("CIDRs and descriptions", () => {
  it.each(["0.0.0.0/0", "10.1.2.3/32", "192.168.0.0/16"])("accepts IPv4 %s", (c) => expect(checkIpv4Cidr(c)).toBe(c));
  it.each(["10.0.0.0", "256.0.0.0/8", "10.0.0.0/33", "::/0"])("rejects IPv4 %s", (c) => expect(codeOf(() => checkIpv4Cidr(c))).toBe("InvalidParameterValue"));
  it.each(["::/0", "2001:db8::/32", "2001:db8:0:0:0:0:0:1/128"])("accepts IPv6 %s", (c) => expect(checkIpv6Cidr(c)).toBe(c));
  it.each(["2001:db8::1::/64", "::/129", "10.0.0.0/8", "gggg::/16"])("rejects IPv6 %s", (c) => expect(codeOf(() => checkIpv6Cidr(c))).toBe("InvalidParameterValue"));
  it("descriptions use AWS's character set", () => {
    expect(checkDescription("HTTPS from anywhere (v6) & more: [ok]")).toBeDefined();
    expect(codeOf(() => checkDescription("<script>"))).toBe("InvalidParameterValue");
    expect(codeOf(() => checkDescription("x".repeat(256)))).toBe("InvalidParameterValue");
  });
});

describe("expandPermissions", () => {
  it("expands one permission into one rule per peer", () => {
    const specs = expandPermissions(
      [
        {
          ipProtocol: "6",
          fromPort: 443,
          toPort: 443,
          ipRanges: [{ cidrIp: "0.0.0.0/0", description: "world" }],
          ipv6Ranges: [{ cidrIpv6: "::/0" }],
          prefixListIds: [{ prefixListId: "pl-63a5400a" }],
          userIdGroupPairs: [{ groupName: "web" }, { groupId: "sg-0ffffffffffffffff", userId: "210987654321" }],
        },
      ],
      false,
      peers,
    );
    expect(specs.map((s) => s.peer)).toEqual([
      { kind: "ipv4", cidr: "0.0.0.0/0" },
      { kind: "ipv6", cidr: "::/0" },
      { kind: "prefix-list", prefixListId: "pl-63a5400a" },
      { kind: "security-group", groupId: "sg-0000000000000000a", userId: "123456789012" },
      { kind: "security-group", groupId: "sg-0ffffffffffffffff", userId: "210987654321" },
    ]);
    expect(specs.every((s) => s.protocol === "tcp")).toBe(true);
    expect(specs[0]?.description).toBe("world");
  });

  it("same-account references must exist; foreign ones cannot be checked", () => {
    expect(codeOf(() => expandPermissions([{ ipProtocol: "-1", userIdGroupPairs: [{ groupId: "sg-0bbbbbbbbbbbbbbbb" }] }], false, peers))).toBe(
      "InvalidGroup.NotFound",
    );
    expect(codeOf(() => expandPermissions([{ ipProtocol: "-1", userIdGroupPairs: [{ groupId: "bad" }] }], false, peers))).toBe(
      "InvalidGroupId.Malformed",
    );
  });

  it("a permission without peers is refused", () => {
    expect(codeOf(() => expandPermissions([{ ipProtocol: "tcp", fromPort: 1, toPort: 1 }], false, peers))).toBe("InvalidParameterValue");
    expect(codeOf(() => expandPermissions([], false, peers))).toBe("MissingParameter");
  });
});

describe("toRuleEffect", () => {
  it("speaks the project's canonical rule form", () => {
    expect(
      toRuleEffect(
        {
          ruleId: "sgr-0",
          isEgress: true,
          protocol: "-1",
          fromPort: null,
          toPort: null,
          peer: { kind: "security-group", groupId: "sg-1", userId: "210987654321", vpcPeeringConnectionId: "pcx-1" },
          tags: [],
        },
        "123456789012",
      ),
    ).toEqual({
      ruleId: "sgr-0",
      direction: "egress",
      protocol: "all",
      fromPort: null,
      toPort: null,
      sourceKind: "security-group",
      source: "sg-1",
      sourceAccount: "210987654321",
      peeringId: "pcx-1",
      description: null,
    });
  });
});
