// The in-process mutation API: the same code path the HTTP actions use, so
// atomicity, AWS's errors and the mutation log are asserted here once.

import { describe, expect, it } from "vitest";
import { SimError } from "../../../src/sim/errors.js";
import { seedDemoAccount } from "../../../src/sim/seed-demo.js";
import { SimState } from "../../../src/sim/state.js";
import type { Caller } from "../../../src/sim/types.js";

// 2026-11-28T10:00:00Z, a fixed instant so log times are exact.
const T0 = new Date("2026-11-28T10:00:00.000Z");

function fresh() {
  const state = new SimState({ seed: 1, clock: () => T0 });
  return { state, region: state.account("123456789012").region("us-east-1") };
}

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return e instanceof SimError ? e.code : String(e);
  }
  return undefined;
};

const intruder: Caller = { accessKeyId: "AKIASTOLEN", sourceIp: "198.51.100.7", userAgent: "curl/8", requestId: "req-1" };

describe("RegionState", () => {
  it("ids look like AWS's and are reproducible from the seed", () => {
    const a = fresh().region.createGroup({ groupName: "a", description: "a" });
    const b = fresh().region.createGroup({ groupName: "a", description: "a" });
    expect(a.groupId).toMatch(/^sg-[0-9a-f]{17}$/);
    expect(a.rules[0]?.ruleId).toMatch(/^sgr-[0-9a-f]{17}$/);
    expect(a.groupId).toBe(b.groupId);
  });

  it("validation errors leave the state untouched", () => {
    const { state, region } = fresh();
    const g = region.createGroup({ groupName: "g", description: "g" });
    const before = JSON.stringify(state.toJSON());
    const logged = state.mutations.length;
    expect(
      code(() =>
        region.authorizeIngress(g.groupId, [
          { ipProtocol: "tcp", fromPort: 1, toPort: 1, ipRanges: [{ cidrIp: "10.0.0.0/8" }] },
          { ipProtocol: "tcp", fromPort: 2, toPort: 2, ipRanges: [{ cidrIp: "nope" }] },
        ]),
      ),
    ).toBe("InvalidParameterValue");
    expect(code(() => region.createGroup({ groupName: "sg-x", description: "x" }))).toBe("InvalidParameterValue");
    expect(code(() => region.createGroup({ groupName: "default", description: "x" }))).toBe("InvalidGroup.Reserved");
    expect(code(() => region.revokeRuleIds(g.groupId, false, ["sgr-00000000000000000"]))).toBe("InvalidSecurityGroupRuleId.NotFound");
    expect(JSON.stringify(state.toJSON())).toBe(before);
    expect(state.mutations.length).toBe(logged);
  });

  it("logs each mutation canonically, with the caller's attribution", () => {
    const { state, region } = fresh();
    const g = region.createGroup({ groupName: "g", description: "g", tags: [{ key: "env", value: "prod" }] }, intruder);
    const [rule] = region.authorizeIngress(g.groupId, [{ ipProtocol: "tcp", fromPort: 22, toPort: 22, ipRanges: [{ cidrIp: "0.0.0.0/0" }] }], intruder);
    region.updateRuleDescriptionsById(g.groupId, false, [{ ruleId: rule?.ruleId as string, description: "temp" }], intruder);
    region.modifyRules(g.groupId, [{ ruleId: rule?.ruleId as string, rule: { ipProtocol: "tcp", fromPort: 2222, toPort: 2222, cidrIpv4: "0.0.0.0/0" } }], intruder);
    region.createTags([g.groupId], [{ key: "env", value: "dev" }], intruder);
    region.deleteTags([g.groupId], [{ key: "env" }], intruder);
    region.revokeRuleIds(g.groupId, false, [rule?.ruleId as string], intruder);
    region.deleteGroup({ groupId: g.groupId }, intruder);

    expect(state.mutations.map((m) => [m.action, m.effect.kind])).toEqual([
      ["CreateSecurityGroup", "group-created"],
      ["CreateSecurityGroup", "rules-added"],
      ["AuthorizeSecurityGroupIngress", "rules-added"],
      ["UpdateSecurityGroupRuleDescriptionsIngress", "rule-descriptions-changed"],
      ["ModifySecurityGroupRules", "rules-modified"],
      ["CreateTags", "tags-set"],
      ["DeleteTags", "tags-removed"],
      ["RevokeSecurityGroupIngress", "rules-removed"],
      ["DeleteSecurityGroup", "group-deleted"],
    ]);
    for (const m of state.mutations) {
      expect(m).toMatchObject({
        time: "2026-11-28T10:00:00.000Z",
        account: "123456789012",
        region: "us-east-1",
        groupId: g.groupId,
        accessKeyId: "AKIASTOLEN",
        sourceIp: "198.51.100.7",
        userAgent: "curl/8",
        requestId: "req-1",
      });
    }
    expect(state.mutations[1]?.effect).toEqual({
      kind: "rules-added",
      rules: [expect.objectContaining({ direction: "egress", protocol: "all", fromPort: null, source: "0.0.0.0/0" })],
    });
    expect(state.mutations[4]?.effect).toMatchObject({
      kind: "rules-modified",
      changes: [{ before: { fromPort: 22, description: "temp" }, after: { fromPort: 2222, description: null } }],
    });
    expect(state.mutations[5]?.effect).toEqual({ kind: "tags-set", resourceId: g.groupId, tags: { env: "dev" }, previous: { env: "prod" } });
    expect(state.mutations.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("description updates that change nothing log nothing", () => {
    const { state, region } = fresh();
    const g = region.createGroup({ groupName: "g", description: "g" });
    const n = state.mutations.length;
    region.updateRuleDescriptions(g.groupId, true, [{ ipProtocol: "-1", ipRanges: [{ cidrIp: "0.0.0.0/0" }] }]);
    expect(state.mutations.length).toBe(n);
  });

  it("the demo account is referenced the way the docs describe", () => {
    const { state } = fresh();
    const demo = seedDemoAccount(state);
    const r = state.account(demo.account).region(demo.region);
    const app = r.getGroup(demo.groups.app);
    const db = r.getGroup(demo.groups.db);
    expect(app.rules.some((x) => x.peer.kind === "security-group" && x.peer.groupId === demo.groups.web && x.fromPort === 8080)).toBe(true);
    expect(db.rules.some((x) => x.peer.kind === "security-group" && x.peer.groupId === demo.groups.app && x.fromPort === 5432)).toBe(true);
    const all = [...r.groups.values()].flatMap((g) => g.rules);
    expect(all.some((x) => x.peer.kind === "ipv6")).toBe(true);
    expect(all.some((x) => x.peer.kind === "prefix-list")).toBe(true);
    expect(all.some((x) => x.protocol === "icmp")).toBe(true);
    expect(r.getGroup(demo.groups.web).tags.map((t) => t.key)).toEqual(["Name", "env", "team"]);
    expect(code(() => r.deleteGroup({ groupId: demo.groups.default }))).toBe("CannotDelete");
    expect(code(() => r.deleteGroup({ groupId: demo.groups.app }))).toBe("DependencyViolation");
  });

  it("a group referenced from another account in the same region cannot be deleted", () => {
    const { state, region } = fresh();
    const target = region.createGroup({ groupName: "shared", description: "shared" });
    const other = state.account("210987654321").region("us-east-1");
    const theirs = other.createGroup({ groupName: "theirs", description: "theirs" });
    other.authorizeIngress(theirs.groupId, [
      { ipProtocol: "tcp", fromPort: 443, toPort: 443, userIdGroupPairs: [{ groupId: target.groupId, userId: "123456789012" }] },
    ]);
    expect(code(() => region.deleteGroup({ groupId: target.groupId }))).toBe("DependencyViolation");
    expect(code(() => state.account("123456789012").region("eu-west-1").getGroup(target.groupId))).toBe("InvalidGroup.NotFound");
  });
});
