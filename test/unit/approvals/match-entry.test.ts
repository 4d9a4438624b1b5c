// Entry coverage: one record, one entry, one rule change at a time. Each row
// changes one field of the default (tcp/443 from 10.0.0.0/16 vs an added
// tcp/443 rule from 10.0.1.0/24) so a failing row names the rule that broke.

import { describe, expect, it } from "vitest";
import { matchChange } from "../../../src/approvals/match.js";
import type { Change, ChangeKind, Rule } from "../../../src/model/types.js";
import { change, ctx, recordWith, rule } from "./builders.js";

const base = { action: "add", protocol: "tcp", ports: 443, source: "10.0.0.0/16" };

function judge(entry: Record<string, unknown>, ruleOver: Partial<Rule>, changeOver: Partial<Change> = {}) {
  return matchChange(change({ rule: rule(ruleOver), ...changeOver }), ctx(), [recordWith({ ...base, ...entry })]).status;
}

describe("ports", () => {
  it.each([
    ["same single port", { ports: 443 }, { fromPort: 443, toPort: 443 }, "approved"],
    ["inside a range", { ports: "400-500" }, { fromPort: 443, toPort: 443 }, "approved"],
    ["sub-range touching both ends", { ports: "400-500" }, { fromPort: 400, toPort: 500 }, "approved"],
    ["range sticking out at the top", { ports: 443 }, { fromPort: 443, toPort: 444 }, "unapproved"],
    ["range sticking out at the bottom", { ports: "400-500" }, { fromPort: 399, toPort: 450 }, "unapproved"],
    ["another port", { ports: 443 }, { fromPort: 80, toPort: 80 }, "unapproved"],
    ["approved all covers the full range", { ports: "all" }, { fromPort: 0, toPort: 65535 }, "approved"],
    ["approved all covers omitted ports", { ports: "all" }, { fromPort: null, toPort: null }, "approved"],
    ["omitted observed ports need approved all", { ports: "0-65535" }, { fromPort: null, toPort: null }, "unapproved"],
  ])("%s", (_name, entry, r, expected) => {
    expect(judge(entry, r)).toBe(expected);
  });
});

describe("protocol and direction", () => {
  it.each<[string, Record<string, unknown>, Partial<Rule>, string]>([
    ["tcp entry, udp rule", { protocol: "tcp" }, { protocol: "udp" }, "unapproved"],
    ["any protocol covers udp", { protocol: "any", ports: "all" }, { protocol: "udp", fromPort: 53, toPort: 53 }, "approved"],
    ["any protocol with a port range still checks ports", { protocol: "any", ports: 443 }, { protocol: "udp", fromPort: 53, toPort: 53 }, "unapproved"],
    ["tcp entry does not cover protocol all", { protocol: "tcp", ports: "all" }, { protocol: "all", fromPort: null, toPort: null }, "unapproved"],
    ["all entry covers protocol all", { protocol: "all", ports: undefined }, { protocol: "all", fromPort: null, toPort: null }, "approved"],
    ["number entry 6 means tcp", { protocol: 6 }, {}, "approved"],
    ["other protocol numbers match exactly", { protocol: 50, ports: undefined }, { protocol: "50", fromPort: null, toPort: null }, "approved"],
    ["other protocol numbers differ", { protocol: 51, ports: undefined }, { protocol: "50", fromPort: null, toPort: null }, "unapproved"],
    ["egress entry, ingress rule", { direction: "egress" }, {}, "unapproved"],
    ["egress entry, egress rule", { direction: "egress" }, { direction: "egress" }, "approved"],
    ["default direction is ingress, not egress", {}, { direction: "egress" }, "unapproved"],
  ])("%s", (_name, entry, r, expected) => {
    expect(judge(entry, r)).toBe(expected);
  });
});

describe("ICMP: ports are types", () => {
  const icmp = (type: number, code: number): Partial<Rule> => ({ protocol: "icmp", fromPort: type, toPort: code });
  it.each([
    ["no ports means every type", { protocol: "icmp", ports: undefined }, icmp(8, 0), "approved"],
    ["no ports covers any type (-1)", { protocol: "icmp", ports: undefined }, icmp(-1, -1), "approved"],
    ["type 8 covers echo with any code", { protocol: "icmp", ports: 8 }, icmp(8, 0), "approved"],
    ["type 8 does not cover every type", { protocol: "icmp", ports: 8 }, icmp(-1, -1), "unapproved"],
    ["type 8 does not cover type 3", { protocol: "icmp", ports: 8 }, icmp(3, 4), "unapproved"],
    ["icmp does not cover icmpv6", { protocol: "icmp", ports: undefined }, { ...icmp(8, 0), protocol: "icmpv6", sourceKind: "ipv6" as const, source: "::/0" }, "unapproved"],
  ])("%s", (_name, entry, r, expected) => {
    expect(judge(entry, r)).toBe(expected);
  });
});

describe("source", () => {
  const v4 = (source: string): Partial<Rule> => ({ sourceKind: "ipv4", source });
  const v6 = (source: string): Partial<Rule> => ({ sourceKind: "ipv6", source });
  it.each<[string, string, Partial<Rule>, string]>([
    ["narrower CIDR is covered", "10.0.0.0/16", v4("10.0.1.0/24"), "approved"],
    ["same CIDR is covered", "10.0.0.0/16", v4("10.0.0.0/16"), "approved"],
    ["same CIDR spelt with host bits is covered", "10.0.0.0/16", v4("10.0.9.9/16"), "approved"],
    ["single host inside", "10.0.0.0/16", v4("10.0.255.255/32"), "approved"],
    ["wider CIDR is not", "10.0.0.0/16", v4("10.0.0.0/8"), "unapproved"],
    ["sibling CIDR is not", "10.0.0.0/16", v4("10.1.0.0/16"), "unapproved"],
    ["IPv4 world does not cover IPv6 world", "0.0.0.0/0", v6("::/0"), "unapproved"],
    ["IPv6 narrower", "2001:db8::/32", v6("2001:DB8:1::/48"), "approved"],
    ["IPv6 wider", "2001:db8::/32", v6("2001:db8::/16"), "unapproved"],
    ["any covers IPv6 world", "any", v6("::/0"), "approved"],
    ["any covers a prefix list", "any", { sourceKind: "prefix-list", source: "pl-0123" }, "approved"],
    ["prefix list exact", "pl-0123", { sourceKind: "prefix-list", source: "pl-0123" }, "approved"],
    ["another prefix list", "pl-0123", { sourceKind: "prefix-list", source: "pl-0456" }, "unapproved"],
    ["security group exact", "sg-0bbb", { sourceKind: "security-group", source: "sg-0bbb", sourceAccount: "222222222222" }, "approved"],
    ["another security group", "sg-0bbb", { sourceKind: "security-group", source: "sg-0ccc" }, "unapproved"],
    ["a CIDR does not cover a prefix list", "0.0.0.0/0", { sourceKind: "prefix-list", source: "pl-0123" }, "unapproved"],
    ["kinds must agree even when the ids look alike", "sg-0bbb", { sourceKind: "prefix-list", source: "sg-0bbb" }, "unapproved"],
    ["a group does not cover a CIDR", "sg-0bbb", v4("10.0.0.1/32"), "unapproved"],
  ])("%s", (_name, source, r, expected) => {
    expect(judge({ source }, r)).toBe(expected);
  });
});

describe("action ↔ change kind", () => {
  const tagsChanged: Partial<Change> = { before: { tags: { env: "dev" } }, after: { tags: { env: "prod" } } };
  const kinds: ChangeKind[] = ["rule-added", "rule-removed", "rule-description-changed", "group-created", "group-deleted", "group-changed"];
  const covers: Record<string, ChangeKind[]> = {
    add: ["rule-added"],
    remove: ["rule-removed"],
    "modify-description": ["rule-description-changed"],
    "create-group": ["group-created"],
    "delete-group": ["group-deleted"],
    "modify-tags": ["group-changed"],
    any: kinds,
  };
  const rows = Object.entries(covers).flatMap(([action, yes]) =>
    kinds.map((kind) => [action, kind, yes.includes(kind) ? "approved" : "unapproved"] as const),
  );
  it.each(rows)("%s × %s → %s", (action, kind, expected) => {
    const isGroupAction = ["create-group", "delete-group", "modify-tags"].includes(action);
    const entry = isGroupAction ? { action, protocol: undefined, ports: undefined, source: undefined } : { action };
    const over: Partial<Change> = kind.startsWith("rule-") ? { kind } : { kind, rule: undefined, ...(kind === "group-changed" ? tagsChanged : {}) };
    expect(judge(entry, {}, over)).toBe(expected);
  });

  it("modify-tags does not cover a name change", () => {
    const over: Partial<Change> = { kind: "group-changed", rule: undefined, before: { name: "a", tags: {} }, after: { name: "b", tags: { x: "1" } } };
    expect(judge({ action: "modify-tags", protocol: undefined, ports: undefined, source: undefined }, {}, over)).toBe("unapproved");
    expect(judge({ action: "any" }, {}, over)).toBe("approved");
  });

  it("an any entry still restricts rule changes by its rule fields", () => {
    expect(judge({ action: "any" }, { fromPort: 22, toPort: 22 }, { kind: "rule-removed" })).toBe("unapproved");
  });
});
