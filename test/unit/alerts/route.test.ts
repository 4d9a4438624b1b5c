// The router as a table of cases: which channel gets which change, with
// routes by target, severity, group name (glob and /regex/) and tags, in
// first-match and all-match modes, and the default for what no route takes.
import { describe, expect, it } from "vitest";
import { routeAlert, DEFAULT_ROUTE, type ChannelRoute, type RouteRule } from "../../../src/alerts/route.js";
import type { AlertChange, AlertPayload, DriftAlert } from "../../../src/model/alert-payload.js";
import { compileNamePattern, namePatternProblem } from "../../../src/model/group-pattern.js";
import type { Severity } from "../../../src/model/types.js";

const target = { account: "123456789012", region: "eu-west-1", label: "prod" };

function change(id: number, groupName: string, severity: Severity, groupTags: Record<string, string> = {}): AlertChange {
  return {
    changeId: id,
    kind: "rule-added",
    severity,
    groupId: `sg-${String(id).padStart(8, "0")}`,
    groupName,
    vpcId: null,
    rule: { direction: "ingress", protocol: "tcp", fromPort: 22, toPort: 22, sourceKind: "ipv4", source: "0.0.0.0/0", sourceAccount: null, peeringId: null, description: null },
    oldDescription: null,
    before: null,
    after: null,
    approvalNote: null,
    groupTags,
  };
}

function drift(changes: AlertChange[]): DriftAlert {
  return { type: "drift", target, pollId: 7, detectedAt: "2026-03-02T10:05:00.000Z", intervalStart: null, changes };
}

function table(mode: RouteRule["mode"], rules: Array<Omit<RouteRule, "index" | "mode">>): ChannelRoute[] {
  return [
    { channel: "log", minSeverity: "low" },
    { channel: "email", minSeverity: "low", route: DEFAULT_ROUTE },
    ...rules.map((r, index) => ({ channel: `email:${r.name}`, minSeverity: "low" as Severity, route: { ...r, index, mode } })),
  ];
}

/** channel → change ids it got. */
function delivered(routes: ChannelRoute[], p: AlertPayload): Record<string, number[]> {
  return Object.fromEntries(
    routeAlert(routes, p).map((r) => [r.channel, r.payload.type === "drift" ? r.payload.changes.map((c) => c.changeId) : r.payload.type === "reminder" ? r.payload.items.map((i) => i.change.changeId) : []]),
  );
}

const payments = { name: "payments", match: { tags: { team: "payments" } } };
const edge = { name: "edge", match: { groupName: [compileNamePattern("/^bast/"), compileNamePattern("web-*")], minSeverity: "high" as Severity } };
const owned = { name: "owned", match: { tags: { Owner: "*" } } };
const catchAll = { name: "all", match: {} };

describe("routeAlert", () => {
  const changes = [
    change(1, "db", "critical", { team: "payments" }),
    change(2, "bastion", "critical"),
    change(3, "web-public", "medium"),
    change(4, "app", "low", { Owner: "alice" }),
  ];

  it.each([
    ["first", [payments, edge, owned], { log: [1, 2, 3, 4], "email:payments": [1], "email:edge": [2], "email:owned": [4], email: [3] }],
    ["first", [catchAll, payments], { log: [1, 2, 3, 4], "email:all": [1, 2, 3, 4] }],
    ["all", [catchAll, payments], { log: [1, 2, 3, 4], "email:all": [1, 2, 3, 4], "email:payments": [1] }],
    ["all", [payments, edge], { log: [1, 2, 3, 4], "email:payments": [1], "email:edge": [2], email: [3, 4] }],
    ["first", [], { log: [1, 2, 3, 4], email: [1, 2, 3, 4] }],
  ] as const)("%s with %j", (mode, rules, want) => {
    expect(delivered(table(mode, [...rules]), drift(changes))).toEqual(want);
  });

  it("filters by target label, account and region", () => {
    const routes = table("first", [
      { name: "staging", match: { targets: ["staging"] } },
      { name: "eu", match: { regions: ["eu-west-1"], accounts: ["123456789012"] } },
    ]);
    expect(delivered(routes, drift(changes))).toEqual({ log: [1, 2, 3, 4], "email:eu": [1, 2, 3, 4] });
  });

  it("routes alerts about the monitor by target only; routes that pick groups do not get them", () => {
    const routes = table("all", [payments, { name: "eu", match: { regions: ["eu-west-1"] } }]);
    const blind: AlertPayload = { type: "monitoring-blind", target, failures: 3, since: "x", lastSuccessAt: null, lastError: "e" };
    expect(routeAlert(routes, blind).map((r) => r.channel)).toEqual(["log", "email:eu"]);
    const invalid: AlertPayload = { type: "approvals-invalid", problems: [] };
    expect(routeAlert(routes, invalid).map((r) => r.channel)).toEqual(["log", "email"]);
  });

  it("routes each reminder item where its change went", () => {
    const items = changes.map((c) => ({ target, detectedAt: "t", change: c }));
    expect(delivered(table("first", [payments]), { type: "reminder", items })).toEqual({ log: [1, 2, 3, 4], "email:payments": [1], email: [2, 3, 4] });
  });

  it("a change without known tags matches no tag route (an alert queued before routes existed)", () => {
    const old = { ...change(9, "db", "high"), groupTags: undefined };
    expect(delivered(table("first", [payments]), drift([old]))).toEqual({ log: [9], email: [9] });
  });
});

describe("name patterns", () => {
  it.each([
    ["eks-*", "eks-cluster-sg-1", true],
    ["eks-*", "my-eks-1", false],
    ["k8s-??-elb", "k8s-ab-elb", true],
    ["a.b", "axb", false],
    ["/^k8s-elb-[0-9a-f]+$/", "k8s-elb-0af3", true],
    ["/elb/", "k8s-elb-x", true],
  ])("%s on %s: %s", (pattern, name, want) => {
    expect(compileNamePattern(pattern).test(name)).toBe(want);
  });

  it("names a bad regular expression and an empty pattern", () => {
    expect(namePatternProblem("/([/")).toMatch(/^is not a valid regular expression/);
    expect(namePatternProblem("")).toMatch(/empty string/);
    expect(namePatternProblem("eks-*")).toBeNull();
  });
});
