import { describe, expect, it } from "vitest";
import { DEFAULT_SEVERITY_SETTINGS, isBroadOpen, severityOf, worstSeverity, type SeveritySettings } from "../../../src/model/severity.js";
import type { Change, ChangeKind, Rule, Severity } from "../../../src/model/types.js";
import { rule } from "./build.js";

const CTX = { groupId: "sg-1", groupName: "web", vpcId: "vpc-1", groupTags: {} };
const added = (over: Partial<Rule>): Change => ({ kind: "rule-added", ...CTX, rule: rule(over) });
const WORLD4 = { source: "0.0.0.0/0" };
const WORLD6 = { sourceKind: "ipv6" as const, source: "::/0" };

describe("severityOf with default settings", () => {
  it.each<[string, Change, Severity]>([
    ["SSH from 0.0.0.0/0", added({ fromPort: 22, toPort: 22, ...WORLD4 }), "critical"],
    ["SSH from ::/0", added({ fromPort: 22, toPort: 22, ...WORLD6 }), "critical"],
    ["RDP over UDP from the world", added({ protocol: "udp", fromPort: 3389, toPort: 3389, ...WORLD4 }), "critical"],
    ["range 20-25 contains 22", added({ fromPort: 20, toPort: 25, ...WORLD4 }), "critical"],
    ["range ending on a sensitive port", added({ fromPort: 6000, toPort: 6379, ...WORLD4 }), "critical"],
    ["range starting on a sensitive port", added({ fromPort: 27017, toPort: 28000, ...WORLD4 }), "critical"],
    ["tcp 0-65535 from the world", added({ fromPort: 0, toPort: 65535, ...WORLD4 }), "critical"],
    ["tcp without ports from the world", added({ fromPort: null, toPort: null, ...WORLD4 }), "critical"],
    ["protocol all from the world", added({ protocol: "all", fromPort: null, toPort: null, ...WORLD6 }), "critical"],
    ["HTTPS from the world", added({ fromPort: 443, toPort: 443, ...WORLD4 }), "high"],
    ["range 23-25 contains telnet (23)", added({ fromPort: 23, toPort: 25, ...WORLD4 }), "critical"],
    ["range 24-25 misses 22 and 23", added({ fromPort: 24, toPort: 25, ...WORLD4 }), "high"],
    ["ICMP from the world", added({ protocol: "icmp", fromPort: -1, toPort: -1, ...WORLD4 }), "high"],
    ["ICMP type 22 from the world is not port 22", added({ protocol: "icmp", fromPort: 22, toPort: -1, ...WORLD4 }), "high"],
    ["other protocol from the world", added({ protocol: "50", fromPort: null, toPort: null, ...WORLD4 }), "high"],
    // Broad sources rank like the world (default: IPv4 shorter than /8, IPv6 shorter than /32, any half of the space).
    ["SSH from 0.0.0.0/1 (half the internet)", added({ fromPort: 22, toPort: 22, source: "0.0.0.0/1" }), "critical"],
    ["SSH from 128.0.0.0/1 (the other half)", added({ fromPort: 22, toPort: 22, source: "128.0.0.0/1" }), "critical"],
    ["SSH from a /7", added({ fromPort: 22, toPort: 22, source: "10.0.0.0/7" }), "critical"],
    ["HTTPS from a /4", added({ fromPort: 443, toPort: 443, source: "64.0.0.0/4" }), "high"],
    ["SSH from a /8 is not broad", added({ fromPort: 22, toPort: 22, source: "11.0.0.0/8" }), "medium"],
    ["SSH from an IPv6 /31", added({ fromPort: 22, toPort: 22, sourceKind: "ipv6", source: "2001:db8::/31" }), "critical"],
    ["SSH from an IPv6 /32 is not broad", added({ fromPort: 22, toPort: 22, sourceKind: "ipv6", source: "2001:db8::/32" }), "medium"],
    ["SSH from ::/1", added({ fromPort: 22, toPort: 22, sourceKind: "ipv6", source: "::/1" }), "critical"],
    ["egress to a /1 is still egress", added({ direction: "egress", fromPort: 22, toPort: 22, source: "0.0.0.0/1" }), "low"],
    ["SSH from 10.0.0.0/8", added({ fromPort: 22, toPort: 22 }), "medium"],
    ["all traffic from a security group", added({ protocol: "all", fromPort: null, toPort: null, sourceKind: "security-group", source: "sg-2" }), "medium"],
    ["SSH from a prefix list", added({ fromPort: 22, toPort: 22, sourceKind: "prefix-list", source: "pl-1" }), "medium"],
    ["egress open to the world", added({ direction: "egress", protocol: "all", fromPort: null, toPort: null, ...WORLD4 }), "low"],
    ["egress SSH to the world", added({ direction: "egress", fromPort: 22, toPort: 22, ...WORLD4 }), "low"],
    ["removal of a world-open SSH rule", { kind: "rule-removed", ...CTX, rule: rule({ fromPort: 22, toPort: 22, ...WORLD4 }) }, "low"],
    [
      "description change on a world-open SSH rule",
      { kind: "rule-description-changed", ...CTX, rule: rule({ fromPort: 22, toPort: 22, ...WORLD4, description: "x" }), oldDescription: null },
      "low",
    ],
    ["group deleted", { kind: "group-deleted", ...CTX }, "medium"],
    ["group created", { kind: "group-created", ...CTX }, "low"],
    ["group renamed", { kind: "group-changed", ...CTX, before: { name: "a" }, after: { name: "b" } }, "low"],
  ])("%s → %s", (_name, change, expected) => {
    expect(severityOf(change, DEFAULT_SEVERITY_SETTINGS)).toBe(expected);
  });
});

describe("severityOf with custom settings", () => {
  // Every outcome distinct, so each case proves which branch was taken.
  const custom: SeveritySettings = {
    sensitivePorts: [8080],
    worldOpenSensitive: "high",
    worldOpen: "medium",
    ingressAdded: "low",
    groupDeleted: "critical",
    other: "medium",
    broadSources: { ipv4ShorterThan: 16, ipv6ShorterThan: 48 },
    notReachable: "low",
    exposureAdded: "high",
  };
  it.each<[string, Change, Severity]>([
    ["configured sensitive port", added({ fromPort: 8000, toPort: 8100, ...WORLD4 }), "high"],
    ["SSH is no longer sensitive", added({ fromPort: 22, toPort: 22, ...WORLD4 }), "medium"],
    ["all traffic stays sensitive", added({ protocol: "all", fromPort: null, toPort: null, ...WORLD4 }), "high"],
    ["private ingress from a /8 is not broad", added({ fromPort: 22, toPort: 22, source: "192.168.0.0/24" }), "low"],
    ["a /15 is broad under a /16 threshold", added({ fromPort: 8080, toPort: 8080, source: "10.0.0.0/15" }), "high"],
    ["a /16 is not", added({ fromPort: 8080, toPort: 8080, source: "10.0.0.0/16" }), "low"],
    ["an IPv6 /47 is broad under a /48 threshold", added({ fromPort: 8080, toPort: 8080, sourceKind: "ipv6", source: "2001:db8::/47" }), "high"],
    ["group deleted", { kind: "group-deleted", ...CTX }, "critical"],
    ["removal", { kind: "rule-removed", ...CTX, rule: rule() }, "medium"],
  ])("%s → %s", (_name, change, expected) => {
    expect(severityOf(change, custom)).toBe(expected);
  });

  it("treats all traffic as sensitive even with no sensitive ports", () => {
    const none = { ...DEFAULT_SEVERITY_SETTINGS, sensitivePorts: [] };
    expect(severityOf(added({ protocol: "all", fromPort: null, toPort: null, ...WORLD4 }), none)).toBe("critical");
    expect(severityOf(added({ fromPort: 0, toPort: 65535, ...WORLD4 }), none)).toBe("critical");
    expect(severityOf(added({ fromPort: 20, toPort: 25, ...WORLD4 }), none)).toBe("high");
  });

  it("rates every kind, each carrying a private tcp/443 rule", () => {
    const kinds: ChangeKind[] = ["group-created", "group-deleted", "group-changed", "rule-added", "rule-removed", "rule-description-changed"];
    expect(kinds.map((kind) => severityOf({ kind, ...CTX, rule: rule() }, DEFAULT_SEVERITY_SETTINGS))).toEqual(["low", "medium", "low", "medium", "low", "low"]);
  });
});

describe("DEFAULT_SEVERITY_SETTINGS", () => {
  it("matches the documented defaults", () => {
    expect(DEFAULT_SEVERITY_SETTINGS).toEqual({
      sensitivePorts: [22, 3389, 3306, 5432, 1433, 1521, 6379, 9200, 27017, 11211, 2375, 23, 445],
      worldOpenSensitive: "critical",
      worldOpen: "high",
      ingressAdded: "medium",
      groupDeleted: "medium",
      other: "low",
      broadSources: { ipv4ShorterThan: 8, ipv6ShorterThan: 32 },
      notReachable: "high",
      exposureAdded: "critical",
    });
  });
});

describe("isBroadOpen", () => {
  const t = DEFAULT_SEVERITY_SETTINGS.broadSources;
  it.each<[string, Partial<Rule>, boolean]>([
    ["0.0.0.0/0", WORLD4, true],
    ["::/0", WORLD6, true],
    ["0.0.0.0/1", { source: "0.0.0.0/1" }, true],
    ["128.0.0.0/1", { source: "128.0.0.0/1" }, true],
    ["a /7", { source: "0.0.0.0/7" }, true],
    ["a /8", { source: "10.0.0.0/8" }, false],
    ["IPv6 /31", { sourceKind: "ipv6", source: "2001:db8::/31" }, true],
    ["IPv6 /32", { sourceKind: "ipv6", source: "2001:db8::/32" }, false],
    ["a prefix list", { sourceKind: "prefix-list", source: "pl-1" }, false],
    ["a security group", { sourceKind: "security-group", source: "sg-1" }, false],
  ])("%s → %s", (_name, over, expected) => {
    expect(isBroadOpen(rule(over), t)).toBe(expected);
  });

  it("counts a half of the address space as broad whatever the threshold", () => {
    expect(isBroadOpen(rule({ source: "128.0.0.0/1" }), { ipv4ShorterThan: 1, ipv6ShorterThan: 1 })).toBe(true);
    expect(isBroadOpen(rule({ source: "0.0.0.0/2" }), { ipv4ShorterThan: 1, ipv6ShorterThan: 1 })).toBe(false);
  });
});

describe("worstSeverity", () => {
  it.each<[Severity[], Severity | null]>([
    [[], null],
    [["low"], "low"],
    [["low", "medium"], "medium"],
    [["high", "low", "medium"], "high"],
    [["medium", "critical", "high"], "critical"],
    [["low", "low"], "low"],
  ])("%j → %s", (list, expected) => {
    expect(worstSeverity(list)).toBe(expected);
  });
});
