// Which rules break which guardrail (pure, table-driven): ports overlap, a
// source at least as wide as the forbidden one, all traffic breaks every
// protocol, exceptions judged by the approval matcher, selectors and targets.
import { describe, expect, it } from "vitest";
import { changeViolation, ruleViolation, type GroupContext } from "../../../src/policy/violation.js";
import { DEFAULT_SEVERITY_SETTINGS } from "../../../src/model/severity.js";
import type { Change, Rule } from "../../../src/model/types.js";
import { rule } from "../model/build.js";
import { guardrails, HOUSE_RULES } from "./build.js";

const BROAD = DEFAULT_SEVERITY_SETTINGS.broadSources;
const PLACE = { account: "123456789012", region: "us-east-1" };
const PLAIN: GroupContext = { groupId: "sg-0aaa", groupName: "bastion", groupTags: { team: "platform" } };
const PUBLIC: GroupContext = { groupId: "sg-0bbb", groupName: "web", groupTags: { public: "true" } };
const W4 = { source: "0.0.0.0/0" };

describe("the issue's house rules", () => {
  it.each<[string, Partial<Rule>, GroupContext, string | null]>([
    ["SSH from the world", { fromPort: 22, toPort: 22, ...W4 }, PLAIN, "no-world-admin"],
    ["SSH from ::/0", { fromPort: 22, toPort: 22, sourceKind: "ipv6", source: "::/0" }, PLAIN, "no-world-admin"],
    ["tcp 20-25 from the world touches 22", { fromPort: 20, toPort: 25, ...W4 }, PLAIN, "no-world-admin"],
    ["tcp without ports from the world", { fromPort: null, toPort: null, ...W4 }, PLAIN, "no-world-admin"],
    ["all traffic from the world breaks the tcp rule", { protocol: "all", fromPort: null, toPort: null, ...W4 }, PLAIN, "no-world-admin"],
    ["SSH from the world on a public group is still forbidden", { fromPort: 22, toPort: 22, ...W4 }, PUBLIC, "no-world-admin"],
    ["udp 22 from the world is not tcp 22, but the world is wider than /8", { protocol: "udp", fromPort: 22, toPort: 22, ...W4 }, PLAIN, "no-wide-sources"],
    ["SSH from 10.0.0.0/8: a /8 is \"/8 or wider\"", { fromPort: 22, toPort: 22, source: "10.0.0.0/8" }, PLAIN, "no-wide-sources"],
    ["SSH from 10.0.0.0/9", { fromPort: 22, toPort: 22, source: "10.0.0.0/9" }, PLAIN, null],
    ["HTTPS from the world on a public group is excepted", { fromPort: 443, toPort: 443, ...W4 }, PUBLIC, null],
    ["HTTP from a /4 on a public group is excepted", { fromPort: 80, toPort: 80, source: "64.0.0.0/4" }, PUBLIC, null],
    ["HTTPS from the world on a plain group is not", { fromPort: 443, toPort: 443, ...W4 }, PLAIN, "no-wide-sources"],
    ["ports 80-443 on a public group is wider than the exception", { fromPort: 80, toPort: 443, ...W4 }, PUBLIC, "no-wide-sources"],
    ["a security-group peer breaks nothing", { fromPort: 22, toPort: 22, sourceKind: "security-group", source: "sg-0ccc" }, PLAIN, null],
    ["a prefix list breaks nothing", { fromPort: 22, toPort: 22, sourceKind: "prefix-list", source: "pl-0123" }, PLAIN, null],
    ["egress to the world is not ingress", { direction: "egress", protocol: "all", fromPort: null, toPort: null, ...W4 }, PLAIN, null],
    ["ICMP from the world is no port, but the world is wide", { protocol: "icmp", fromPort: 8, toPort: -1, ...W4 }, PLAIN, "no-wide-sources"],
  ])("%s → %s", (_name, over, group, expected) => {
    expect(ruleViolation(rule(over), group, PLACE, HOUSE_RULES, BROAD)?.id ?? null).toBe(expected);
  });
});

describe("forbidden sources", () => {
  const only = (source: string) => guardrails([{ id: "g", reason: "r", forbid: [{ protocol: "tcp", ports: 22, source }] }]);
  it.each<[string, string, boolean]>([
    ["broad", "0.0.0.0/1", true],
    ["broad", "10.0.0.0/7", true],
    ["broad", "10.0.0.0/8", false],
    ["broad", "2001:db8::/31", true],
    ["world", "0.0.0.0/1", false],
    ["0.0.0.0/1", "0.0.0.0/0", true],
    ["0.0.0.0/1", "0.0.0.0/1", true],
    ["0.0.0.0/1", "128.0.0.0/1", false],
    ["ipv6 /32 or wider", "2001:db8::/32", true],
    ["ipv6 /32 or wider", "2001:db8::/33", false],
    ["ipv6 /32 or wider", "0.0.0.0/0", false],
    ["any", "10.1.2.3/32", true],
  ])("%s catches %s → %s", (source, cidr, expected) => {
    const r = rule({ fromPort: 22, toPort: 22, sourceKind: cidr.includes(":") ? "ipv6" : "ipv4", source: cidr });
    expect(ruleViolation(r, PLAIN, PLACE, only(source), BROAD) !== null).toBe(expected);
  });

  it("follows the configured broad threshold", () => {
    const r = rule({ fromPort: 22, toPort: 22, source: "10.0.0.0/12" });
    expect(ruleViolation(r, PLAIN, PLACE, only("broad"), BROAD)).toBeNull();
    expect(ruleViolation(r, PLAIN, PLACE, only("broad"), { ipv4ShorterThan: 16, ipv6ShorterThan: 32 })?.id).toBe("g");
  });
});

describe("selectors and targets", () => {
  const scoped = guardrails([
    { id: "prod-only", reason: "r", tags: { env: "prod" }, forbid: [{ protocol: "tcp", ports: 22, source: "world" }] },
    { id: "other-account", reason: "r", target: { account: "999999999999" }, forbid: [{ protocol: "any", source: "any" }] },
    { id: "eu-db", reason: "r", target: { region: "eu-west-1" }, groupName: "db", forbid: [{ protocol: "any", source: "any" }] },
  ]);
  const ssh = rule({ fromPort: 22, toPort: 22, ...W4 });
  it("applies a tag-selected guardrail only to groups with the tag", () => {
    expect(ruleViolation(ssh, { ...PLAIN, groupTags: { env: "prod" } }, PLACE, scoped, BROAD)?.id).toBe("prod-only");
    expect(ruleViolation(ssh, { ...PLAIN, groupTags: { env: "dev" } }, PLACE, scoped, BROAD)).toBeNull();
  });
  it("applies an account or region guardrail only there", () => {
    expect(ruleViolation(ssh, PLAIN, { ...PLACE, account: "999999999999" }, scoped, BROAD)?.id).toBe("other-account");
    expect(ruleViolation(ssh, { ...PLAIN, groupName: "db" }, { ...PLACE, region: "eu-west-1" }, scoped, BROAD)?.id).toBe("eu-db");
    expect(ruleViolation(ssh, { ...PLAIN, groupName: "db" }, PLACE, scoped, BROAD)).toBeNull();
  });
  it("names the first guardrail in config order", () => {
    expect(ruleViolation(ssh, PLAIN, PLACE, [...HOUSE_RULES].reverse(), BROAD)?.id).toBe("no-wide-sources");
  });
});

describe("changeViolation", () => {
  const base = { groupId: "sg-0aaa", groupName: "bastion", vpcId: "vpc-1", groupTags: {} };
  const ssh = rule({ fromPort: 22, toPort: 22, ...W4 });
  it.each<[Change["kind"], boolean]>([
    ["rule-added", true],
    ["rule-removed", false],
    ["rule-description-changed", false],
  ])("%s → %s", (kind, expected) => {
    const change: Change = { kind, ...base, rule: ssh, ...(kind === "rule-description-changed" ? { oldDescription: null } : {}) };
    expect(changeViolation(change, PLACE, HOUSE_RULES, BROAD) !== null).toBe(expected);
  });
  it("carries the guardrail's id and reason", () => {
    expect(changeViolation({ kind: "rule-added", ...base, rule: ssh }, PLACE, HOUSE_RULES, BROAD)).toEqual({
      id: "no-world-admin",
      reason: "SSH, RDP and databases are never open to the internet",
    });
  });
});
