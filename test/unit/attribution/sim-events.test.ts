// The simulator's CloudTrail events round-trip through the matcher: every
// kind of security-group call the simulator logs becomes one event in
// CloudTrail's shape that matchChange reads back to the change it made, and
// LookupEvents filters, orders and pages them as CloudTrail does.
import { describe, expect, it } from "vitest";
import type { Event } from "@aws-sdk/client-cloudtrail";
import { SimState } from "../../../src/sim/state.js";
import type { Caller } from "../../../src/sim/types.js";
import { buildTrailEvents } from "../../../src/sim/cloudtrail/events.js";
import { lookupEvents, TrailError } from "../../../src/sim/cloudtrail/lookup-events.js";
import { matchChange } from "../../../src/attribution/match.js";
import type { Change, Rule } from "../../../src/model/types.js";
import { rule } from "./builders.js";

const ACCOUNT = "123456789012";
const REGION = "us-east-1";
const T0 = Date.parse("2026-03-02T10:00:00Z"); // fixed reference instant

function setup(): { state: SimState; advance: () => void; caller: (n: number) => Caller } {
  let t = T0;
  const state = new SimState({ clock: () => new Date(t), seed: 7 });
  return {
    state,
    advance: () => void (t += 60_000),
    caller: (n) => ({ accessKeyId: `AKIATEST${String(n).padStart(12, "0")}`, sourceIp: `192.0.2.${n}`, userAgent: `agent/${n}`, requestId: `req-${n}` }),
  };
}

/** The LookupEvents result as the SDK hands it over (EventTime a Date). */
function sdkEvents(state: SimState, body: unknown = {}): Event[] {
  const trail = buildTrailEvents(state.mutations, { account: ACCOUNT, region: REGION, identityFor: () => undefined });
  const out = lookupEvents(trail, body) as { Events: Array<Omit<Event, "EventTime"> & { EventTime: number }> };
  return out.Events.map((e) => ({ ...e, EventTime: new Date(e.EventTime * 1000) }));
}


describe("simulated CloudTrail events", () => {
  it("give each call one event that matches the change it made", () => {
    const { state, advance, caller } = setup();
    const r = state.account(ACCOUNT).region(REGION, "vpc-1");
    const g = r.createGroup({ groupName: "web", description: "web tier", vpcId: "vpc-1" }, { ...caller(1), action: "CreateSecurityGroup" });
    advance();
    const [ssh] = r.authorizeIngress(g.groupId, [{ ipProtocol: "tcp", fromPort: 22, toPort: 22, ipRanges: [{ cidrIp: "0.0.0.0/0" }] }], { ...caller(2), action: "AuthorizeSecurityGroupIngress" });
    advance();
    r.modifyRules(g.groupId, [{ ruleId: ssh?.ruleId ?? "", rule: { ipProtocol: "tcp", fromPort: 2222, toPort: 2222, cidrIpv4: "0.0.0.0/0" } }], { ...caller(3), action: "ModifySecurityGroupRules" });
    advance();
    r.updateRuleDescriptions(g.groupId, false, [{ ipProtocol: "tcp", fromPort: 2222, toPort: 2222, ipRanges: [{ cidrIp: "0.0.0.0/0", description: "ops" }] }], { ...caller(4), action: "UpdateSecurityGroupRuleDescriptionsIngress" });
    advance();
    r.createTags([g.groupId], [{ key: "owner", value: "mallory" }], { ...caller(5), action: "CreateTags" });
    advance();
    r.deleteTags([g.groupId], [{ key: "owner" }], { ...caller(6), action: "DeleteTags" });
    advance();
    r.revokeEgress(g.groupId, [{ ipProtocol: "-1", ipRanges: [{ cidrIp: "0.0.0.0/0" }] }], { ...caller(7), action: "RevokeSecurityGroupEgress" });
    advance();
    r.deleteGroup({ groupId: g.groupId }, { ...caller(8), action: "DeleteSecurityGroup" });

    const events = sdkEvents(state);
    // CreateSecurityGroup logs the group and its default egress rule: still one call, one event.
    expect(events.map((e) => e.EventName)).toEqual([
      "DeleteSecurityGroup",
      "RevokeSecurityGroupEgress",
      "DeleteTags",
      "CreateTags",
      "UpdateSecurityGroupRuleDescriptionsIngress",
      "ModifySecurityGroupRules",
      "AuthorizeSecurityGroupIngress",
      "CreateSecurityGroup",
    ]);

    const ctx = { groupId: g.groupId, groupName: "web", vpcId: "vpc-1", groupTags: {} };
    const cases: Array<[Change, number]> = [
      [{ kind: "group-created", ...ctx }, 1],
      [{ kind: "rule-added", ...ctx, rule: rule({ direction: "egress", protocol: "all", fromPort: null, toPort: null }) }, 1],
      [{ kind: "rule-added", ...ctx, rule: rule({}) }, 2],
      [{ kind: "rule-added", ...ctx, rule: rule({ fromPort: 2222, toPort: 2222 }) }, 3],
      [{ kind: "rule-description-changed", ...ctx, rule: rule({ fromPort: 2222, toPort: 2222, description: "ops" }), oldDescription: null }, 4],
      [{ kind: "group-changed", ...ctx, before: { tags: {} }, after: { tags: { owner: "mallory" } } }, 5],
      [{ kind: "group-changed", ...ctx, before: { tags: { owner: "mallory" } }, after: { tags: {} } }, 6],
      [{ kind: "rule-removed", ...ctx, rule: rule({ direction: "egress", protocol: "all", fromPort: null, toPort: null }) }, 7],
      [{ kind: "group-deleted", ...ctx }, 8],
    ];
    for (const [change, n] of cases) {
      // Each change is matched within its own one-minute interval, as polls would see it.
      const at = T0 + (n - 1) * 60_000;
      const m = matchChange(change, events, { fromMs: at, toMs: at });
      expect(m, `${change.kind} by caller ${n}`).not.toBeNull();
      expect(m?.attribution).toMatchObject({
        accessKeyId: caller(n).accessKeyId,
        sourceIp: caller(n).sourceIp,
        userAgent: caller(n).userAgent,
        actorArn: `arn:aws:iam::${ACCOUNT}:user/${caller(n).accessKeyId}`,
        actorType: "IAMUser",
      });
      expect(m?.quality).toBe("exact");
    }
    const record = JSON.parse(events.find((e) => e.EventName === "ModifySecurityGroupRules")?.CloudTrailEvent ?? "{}") as Record<string, unknown>;
    expect(record.requestParameters).toEqual({
      ModifySecurityGroupRulesRequest: { GroupId: g.groupId, SecurityGroupRule: { SecurityGroupRuleId: ssh?.ruleId, SecurityGroupRule: { IpProtocol: "tcp", FromPort: 2222, ToPort: 2222, CidrIpv4: "0.0.0.0/0" } } },
    });
    expect(record).toMatchObject({ requestID: "req-3", sourceIPAddress: "192.0.2.3", userAgent: "agent/3", recipientAccountId: ACCOUNT, awsRegion: REGION });
  });

  it("filters by one lookup attribute and time, newest first, and pages with a token bound to the query", () => {
    const { state, advance, caller } = setup();
    const r = state.account(ACCOUNT).region(REGION, "vpc-1");
    const a = r.createGroup({ groupName: "a", description: "a", vpcId: "vpc-1" }, { ...caller(1), action: "CreateSecurityGroup" });
    const b = r.createGroup({ groupName: "b", description: "b", vpcId: "vpc-1" }, { ...caller(2), action: "CreateSecurityGroup" });
    for (let i = 0; i < 5; i++) {
      advance();
      r.createTags([a.groupId], [{ key: `k${i}`, value: "v" }], { ...caller(10 + i), action: "CreateTags" });
    }
    const byA = { LookupAttributes: [{ AttributeKey: "ResourceName", AttributeValue: a.groupId }] };
    expect(sdkEvents(state, byA)).toHaveLength(6);
    expect(sdkEvents(state, { LookupAttributes: [{ AttributeKey: "ResourceName", AttributeValue: b.groupId }] })).toHaveLength(1);
    expect(sdkEvents(state, { LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: "CreateTags" }] })).toHaveLength(5);
    expect(sdkEvents(state, { LookupAttributes: [{ AttributeKey: "AccessKeyId", AttributeValue: caller(12).accessKeyId }] })).toHaveLength(1);
    const window = sdkEvents(state, { ...byA, StartTime: (T0 + 2 * 60_000) / 1000, EndTime: (T0 + 3 * 60_000) / 1000 });
    expect(window.map((e) => e.EventTime?.toISOString())).toEqual(["2026-03-02T10:03:00.000Z", "2026-03-02T10:02:00.000Z"]);

    const trail = buildTrailEvents(state.mutations, { account: ACCOUNT, region: REGION, identityFor: () => undefined });
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = lookupEvents(trail, { ...byA, MaxResults: 4, ...(token ? { NextToken: token } : {}) }) as { Events: Array<{ EventId: string }>; NextToken?: string };
      seen.push(...page.Events.map((e) => e.EventId));
      token = page.NextToken;
    } while (token !== undefined);
    expect(seen).toEqual(sdkEvents(state, byA).map((e) => e.EventId));

    const first = lookupEvents(trail, { ...byA, MaxResults: 1 }) as { NextToken: string };
    expect(() => lookupEvents(trail, { MaxResults: 1, NextToken: first.NextToken })).toThrow(TrailError);
    expect(() => lookupEvents(trail, { LookupAttributes: [{ AttributeKey: "Bogus", AttributeValue: "x" }] })).toThrow(/not valid/);
    expect(lookupEvents(trail, { EventCategory: "insight" })).toEqual({ Events: [] });
  });
});
