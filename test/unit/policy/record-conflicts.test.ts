// Which approval records would cover a guardrail (pure): the record's entry
// and a forbidden rule must meet in direction, protocol, ports and source,
// on groups both can select; an exception covering the whole entry on every
// group the record selects lets it through. Unknown groups count as overlapping.
import { describe, expect, it } from "vitest";
import { recordConflicts } from "../../../src/policy/record-conflicts.js";
import { DEFAULT_SEVERITY_SETTINGS } from "../../../src/model/severity.js";
import { parseApprovalRecord } from "../../../src/approvals/load.js";
import type { ApprovalRecord } from "../../../src/approvals/schema.js";
import { HOUSE_RULES, guardrails } from "./build.js";

const BROAD = DEFAULT_SEVERITY_SETTINGS.broadSources;

function record(selector: Record<string, unknown>, changes: Record<string, unknown>[], target?: Record<string, string>): ApprovalRecord {
  const raw = { id: "CHG-1", reason: "r", approvedBy: "a", window: { from: "2026-03-02T09:00Z", until: "2026-03-02T18:00Z" }, ...selector, ...(target ? { target } : {}), changes };
  const r = parseApprovalRecord(raw, { kind: "cli" }, { maxWindowMs: 7 * 86_400_000 });
  if (!r.ok) throw new Error(r.errors.join("; "));
  return r.record;
}

const ids = (r: ApprovalRecord, known: Parameters<typeof recordConflicts>[3] = null) => recordConflicts(r, HOUSE_RULES, BROAD, known).map((c) => c.guardrailId);

describe("recordConflicts with the issue's house rules", () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown>, string[]]>([
    ["SSH from the world", { groupName: "bastion" }, { action: "add", protocol: "tcp", ports: 22, source: "0.0.0.0/0" }, ["no-world-admin", "no-wide-sources"]],
    ["a range containing 22 from the world", { groupName: "bastion" }, { action: "add", protocol: "tcp", ports: "20-25", source: "0.0.0.0/0" }, ["no-world-admin", "no-wide-sources"]],
    ["SSH from any source", { groupName: "bastion" }, { action: "add", protocol: "tcp", ports: 22, source: "any" }, ["no-world-admin", "no-wide-sources"]],
    ["all traffic from ::/0", { groupName: "bastion" }, { action: "add", protocol: "all", source: "::/0" }, ["no-world-admin"]],
    ["any change of SSH from the world", { groupName: "bastion" }, { action: "any", protocol: "tcp", ports: 22, source: "0.0.0.0/0" }, ["no-world-admin", "no-wide-sources"]],
    ["HTTPS from 10.0.0.0/8 (a /8)", { groupName: "app" }, { action: "add", protocol: "tcp", ports: 443, source: "10.0.0.0/8" }, ["no-wide-sources"]],
    ["HTTPS from 10.20.0.0/16", { groupName: "app" }, { action: "add", protocol: "tcp", ports: 443, source: "10.20.0.0/16" }, []],
    ["SSH from a group", { groupName: "app" }, { action: "add", protocol: "tcp", ports: 22, source: "sg-0abc" }, []],
    ["removing SSH from the world", { groupName: "bastion" }, { action: "remove", protocol: "tcp", ports: 22, source: "0.0.0.0/0" }, []],
    ["egress to the world", { groupName: "app" }, { action: "add", direction: "egress", protocol: "all", source: "0.0.0.0/0" }, []],
    ["HTTPS from the world on groups tagged public=true (the exception)", { tags: { public: "true" } }, { action: "add", protocol: "tcp", ports: 443, source: "0.0.0.0/0" }, []],
    ["HTTPS from the world on groups tagged public=true and team=x", { tags: { public: "true", team: "x" } }, { action: "add", protocol: "tcp", ports: 443, source: "0.0.0.0/0" }, []],
    ["HTTPS from the world on a group by name (tags unknown)", { groupName: "web" }, { action: "add", protocol: "tcp", ports: 443, source: "0.0.0.0/0" }, ["no-wide-sources"]],
    ["80-443 from the world on public groups is wider than the exception", { tags: { public: "true" } }, { action: "add", protocol: "tcp", ports: "80-443", source: "0.0.0.0/0" }, ["no-wide-sources"]],
  ])("%s → %j", (_name, selector, entry, expected) => {
    expect(ids(record(selector, [entry]))).toEqual(expected);
  });

  it("decides on the real group's tags when the database knows it", () => {
    const r = record({ groupName: "web" }, [{ action: "add", protocol: "tcp", ports: 443, source: "0.0.0.0/0" }]);
    expect(ids(r, { groupId: "sg-0bbb", groupName: "web", groupTags: { public: "true" } })).toEqual([]);
    expect(ids(r, { groupId: "sg-0bbb", groupName: "web", groupTags: { public: "false" } })).toEqual(["no-wide-sources"]);
  });
});

describe("recordConflicts with scoped guardrails", () => {
  const scoped = guardrails([
    { id: "prod-ssh", reason: "r", tags: { env: "prod" }, target: { account: "111111111111" }, forbid: [{ protocol: "tcp", ports: 22, source: "world" }] },
  ]);
  const ssh = { action: "add", protocol: "tcp", ports: 22, source: "0.0.0.0/0" };
  const conflicts = (r: ApprovalRecord, known: Parameters<typeof recordConflicts>[3] = null) => recordConflicts(r, scoped, BROAD, known).map((c) => c.guardrailId);
  it("does not conflict across accounts", () => {
    expect(conflicts(record({ groupName: "x" }, [ssh], { account: "222222222222" }))).toEqual([]);
    expect(conflicts(record({ groupName: "x" }, [ssh], { account: "111111111111" }))).toEqual(["prod-ssh"]);
  });
  it("does not conflict with groups whose tags differ", () => {
    expect(conflicts(record({ tags: { env: "dev" } }, [ssh]))).toEqual([]);
    expect(conflicts(record({ tags: { team: "x" } }, [ssh]))).toEqual(["prod-ssh"]);
    expect(conflicts(record({ groupName: "x" }, [ssh]), { groupId: "sg-1", groupName: "x", groupTags: { env: "dev" } })).toEqual([]);
  });
  it("says which entry meets which forbidden rule", () => {
    expect(recordConflicts(record({ groupName: "x" }, [ssh]), scoped, BROAD)).toEqual([
      { guardrailId: "prod-ssh", reason: "r", entry: "add ingress tcp/22 from 0.0.0.0/0", forbid: "tcp/22 from world" },
    ]);
  });
});
