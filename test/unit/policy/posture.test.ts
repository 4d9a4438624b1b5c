// Posture of current state: which rules a baseline mail and `sgwatch report`
// name, with what severity and why. Table cases, one per kind of finding and
// each kind of rule that must stay out.
import { describe, expect, it } from "vitest";
import { postureFindings, type PostureReason } from "../../../src/policy/posture.js";
import { DEFAULT_SEVERITY_SETTINGS } from "../../../src/model/severity.js";
import { unattached, type GroupExposure } from "../../../src/model/attachment.js";
import type { GroupState, Rule, Severity } from "../../../src/model/types.js";
import { HOUSE_RULES } from "./build.js";

function rule(p: Partial<Rule>): Rule {
  return { direction: "ingress", protocol: "tcp", fromPort: 22, toPort: 22, sourceKind: "ipv4", source: "0.0.0.0/0", sourceAccount: null, peeringId: null, description: null, ...p };
}
function group(id: string, rules: Rule[], tags: Record<string, string> = {}): GroupState {
  return { groupId: id, name: `name-${id}`, description: "", vpcId: "vpc-1", ownerId: "111111111111", tags, rules };
}
const PUBLIC: GroupExposure = { interfaces: 1, publicInterfaces: 1, publicExamples: [{ interfaceId: "eni-1", instanceId: "i-1", kind: "instance", publicIp: "203.0.113.7" }], asOf: "2026-01-01T00:00:00Z" };
const PRIVATE: GroupExposure = { interfaces: 1, publicInterfaces: 0, publicExamples: [], asOf: "2026-01-01T00:00:00Z" };
const place = { account: "111111111111", region: "us-east-1" };

interface Case {
  name: string;
  rule: Rule;
  exposure?: GroupExposure;
  guardrails?: boolean;
  tags?: Record<string, string>;
  want: { severity: Severity; reasons: PostureReason[] } | null;
}

const cases: Case[] = [
  { name: "ssh from the world, interfaces never read", rule: rule({}), want: { severity: "critical", reasons: ["world-open-sensitive"] } },
  { name: "ssh from the world on a public group", rule: rule({}), exposure: PUBLIC, want: { severity: "critical", reasons: ["world-open-sensitive", "world-open-public"] } },
  { name: "ssh from the world on an unattached group: not reachable now", rule: rule({}), exposure: unattached("2026-01-01T00:00:00Z"), want: { severity: "high", reasons: ["world-open-sensitive"] } },
  { name: "ssh from 0.0.0.0/1 ranks like the world", rule: rule({ source: "0.0.0.0/1" }), want: { severity: "critical", reasons: ["broad-open-sensitive"] } },
  { name: "all traffic from ::/0", rule: rule({ protocol: "all", fromPort: null, toPort: null, sourceKind: "ipv6", source: "::/0" }), want: { severity: "critical", reasons: ["world-open-sensitive"] } },
  { name: "port range containing 22", rule: rule({ fromPort: 20, toPort: 25 }), want: { severity: "critical", reasons: ["world-open-sensitive"] } },
  { name: "https from the world on a private group: fine", rule: rule({ fromPort: 443, toPort: 443 }), exposure: PRIVATE, want: null },
  { name: "https from the world with no interfaces read: fine", rule: rule({ fromPort: 443, toPort: 443 }), want: null },
  { name: "https from the world on a public group", rule: rule({ fromPort: 443, toPort: 443 }), exposure: PUBLIC, want: { severity: "high", reasons: ["world-open-public"] } },
  { name: "ssh from 0.0.0.0/1 on an unattached group: not reachable now, like the world", rule: rule({ source: "0.0.0.0/1" }), exposure: unattached("2026-01-01T00:00:00Z"), want: { severity: "high", reasons: ["broad-open-sensitive"] } },
  { name: "https from 0.0.0.0/1 on a public group: reachable like the world", rule: rule({ fromPort: 443, toPort: 443, source: "0.0.0.0/1" }), exposure: PUBLIC, want: { severity: "high", reasons: ["broad-open-public"] } },
  { name: "https from 128.0.0.0/1 on a private group: fine", rule: rule({ fromPort: 443, toPort: 443, source: "128.0.0.0/1" }), exposure: PRIVATE, want: null },
  { name: "ssh from a /24: fine", rule: rule({ source: "10.1.2.0/24" }), want: null },
  { name: "egress to the world: fine", rule: rule({ direction: "egress", protocol: "all", fromPort: null, toPort: null }), want: null },
  { name: "ssh from a security group: fine", rule: rule({ sourceKind: "security-group", source: "sg-9" }), want: null },
  { name: "guardrail: postgres from the world", rule: rule({ fromPort: 5432, toPort: 5432 }), guardrails: true, exposure: unattached("2026-01-01T00:00:00Z"), want: { severity: "critical", reasons: ["guardrail", "world-open-sensitive"] } },
  { name: "guardrail: http from a /8 on an untagged group", rule: rule({ fromPort: 80, toPort: 80, source: "10.0.0.0/8" }), guardrails: true, want: { severity: "critical", reasons: ["guardrail"] } },
  { name: "guardrail exception: http from the world on public=true", rule: rule({ fromPort: 80, toPort: 80 }), guardrails: true, tags: { public: "true" }, want: null },
];

describe("postureFindings", () => {
  for (const c of cases) {
    it(c.name, () => {
      const g = group("sg-1", [c.rule], c.tags);
      const got = postureFindings({
        groups: [g],
        place,
        guardrails: c.guardrails ? HOUSE_RULES : [],
        severity: DEFAULT_SEVERITY_SETTINGS,
        ...(c.exposure ? { exposure: () => c.exposure } : {}),
      });
      if (c.want === null) return expect(got).toEqual([]);
      expect(got.map((f) => ({ severity: f.severity, reasons: f.reasons }))).toEqual([c.want]);
      expect(got[0]?.guardrail?.id ?? null).toEqual(c.guardrails ? expect.any(String) : null);
    });
  }

  it("orders worst first, then by group id", () => {
    const got = postureFindings({
      groups: [group("sg-b", [rule({})]), group("sg-a", [rule({ fromPort: 443, toPort: 443 }), rule({ fromPort: 3389, toPort: 3389 })])],
      place,
      guardrails: [],
      severity: DEFAULT_SEVERITY_SETTINGS,
      exposure: () => PUBLIC,
    });
    expect(got.map((f) => `${f.groupId} ${f.rule.fromPort} ${f.severity}`)).toEqual(["sg-a 3389 critical", "sg-b 22 critical", "sg-a 443 high"]);
  });

  it("puts guardrail violations first within a severity", () => {
    const got = postureFindings({
      groups: [group("sg-a", [rule({ fromPort: 3389, toPort: 3389 })]), group("sg-b", [rule({ fromPort: 22, toPort: 22 })])],
      place,
      guardrails: HOUSE_RULES,
      severity: DEFAULT_SEVERITY_SETTINGS,
    });
    expect(got.map((f) => `${f.groupId} ${f.guardrail?.id ?? "-"}`)).toEqual(["sg-a no-world-admin", "sg-b no-world-admin"]);
    const mixed = postureFindings({
      groups: [group("sg-a", [rule({ fromPort: 6379, toPort: 6379 })]), group("sg-b", [rule({ fromPort: 22, toPort: 22 })])],
      place,
      // Only no-world-admin: the redis rule breaks no guardrail.
      guardrails: HOUSE_RULES.slice(0, 1),
      severity: DEFAULT_SEVERITY_SETTINGS,
    });
    expect(mixed.map((f) => `${f.groupId} ${f.guardrail?.id ?? "-"}`)).toEqual(["sg-b no-world-admin", "sg-a -"]);
  });
});
