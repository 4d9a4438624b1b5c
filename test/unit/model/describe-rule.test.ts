import { describe, expect, it } from "vitest";
import { describeRule, formatPorts } from "../../../src/model/describe-rule.js";
import type { Rule } from "../../../src/model/types.js";
import { rule } from "./build.js";

const ALL = { protocol: "all", fromPort: null, toPort: null };

describe("describeRule", () => {
  it.each<[Partial<Rule>, string]>([
    [{ fromPort: 22, toPort: 22, source: "0.0.0.0/0" }, "TCP 22 from 0.0.0.0/0"],
    [{ fromPort: 8000, toPort: 8080 }, "TCP 8000-8080 from 10.0.0.0/8"],
    [{ fromPort: null, toPort: null }, "TCP all ports from 10.0.0.0/8"],
    [{ ...ALL, direction: "egress", source: "0.0.0.0/0" }, "all traffic to 0.0.0.0/0"],
    [{ ...ALL, sourceKind: "ipv6", source: "::/0" }, "all traffic from ::/0"],
    [{ protocol: "icmp", fromPort: 8, toPort: -1 }, "ICMP type 8 code any from 10.0.0.0/8"],
    [{ protocol: "icmp", fromPort: 3, toPort: 4 }, "ICMP type 3 code 4 from 10.0.0.0/8"],
    [{ protocol: "icmp", fromPort: -1, toPort: -1 }, "ICMP all types from 10.0.0.0/8"],
    [{ protocol: "icmpv6", fromPort: 128, toPort: 0 }, "ICMPv6 type 128 code 0 from 10.0.0.0/8"],
    [{ protocol: "udp", fromPort: 53, toPort: 53, sourceKind: "prefix-list", source: "pl-0abc" }, "UDP 53 from pl-0abc"],
    [{ protocol: "50", fromPort: null, toPort: null }, "protocol 50 from 10.0.0.0/8"],
    [{ ...ALL, sourceKind: "security-group", source: "sg-0ab", sourceAccount: "111122223333" }, "all traffic from sg-0ab (account 111122223333)"],
    [{ ...ALL, sourceKind: "security-group", source: "sg-0ab" }, "all traffic from sg-0ab"],
    [
      { ...ALL, sourceKind: "security-group", source: "sg-0ab", sourceAccount: "111122223333", peeringId: "pcx-1" },
      "all traffic from sg-0ab (account 111122223333, via pcx-1)",
    ],
    [{ fromPort: 443, toPort: 443, description: "ignored here" }, "TCP 443 from 10.0.0.0/8"],
  ])("%j → %s", (over, text) => {
    expect(describeRule(rule(over))).toBe(text);
  });
});

describe("formatPorts", () => {
  it.each<[Partial<Rule>, string]>([
    [{ fromPort: 22, toPort: 22 }, "22"],
    [{ fromPort: 20, toPort: 25 }, "20-25"],
    [{ fromPort: null, toPort: null }, "all"],
    [ALL, "all"],
    [{ protocol: "icmp", fromPort: 8, toPort: -1 }, "type 8/code -1"],
    [{ protocol: "icmpv6", fromPort: -1, toPort: -1 }, "type -1/code -1"],
  ])("%j → %s", (over, text) => {
    expect(formatPorts(rule(over))).toBe(text);
  });
});
