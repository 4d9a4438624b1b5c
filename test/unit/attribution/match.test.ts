// Table tests of the pure matcher: CloudTrail events in the shapes CloudTrail
// records for EC2 (lowerCamelCase, {items: [...]}, {} for empty lists, the
// legacy flat authorize form, ModifySecurityGroupRules in PascalCase) against
// detected changes in the canonical model.
import { describe, expect, it } from "vitest";
import type { Event } from "@aws-sdk/client-cloudtrail";
import { matchChange, parseCandidates, toAttribution, type MatchQuality } from "../../../src/attribution/match.js";
import type { Change, Rule } from "../../../src/model/types.js";
import { rule } from "./builders.js";

const ACCOUNT = "111122223333";
const OTHER_ACCOUNT = "444455556666";
const SG = "sg-0a1b2c3d4e5f60718";
const PEER = "sg-0fedcba9876543210";
const T0 = Date.parse("2026-03-02T10:00:00Z"); // fixed reference instant

interface Caller {
  arn: string;
  type: string;
  key: string;
  ip: string;
  agent: string;
  userName?: string;
}

const ALICE: Caller = { arn: `arn:aws:iam::${ACCOUNT}:user/alice`, type: "IAMUser", key: "AKIAALICE0000000001", ip: "198.51.100.7", agent: "aws-cli/2.15.30", userName: "alice" };
const BOB: Caller = { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ci-deploy/build-42`, type: "AssumedRole", key: "ASIABOB000000000001", ip: "203.0.113.9", agent: "terraform/1.9.5" };

let ids = 0;
/** A LookupEvents result around a CloudTrail record. */
function ev(
  eventName: string,
  requestParameters: unknown,
  responseElements: unknown = { requestId: "r", _return: true },
  opts: { who?: Caller; atMin?: number; errorCode?: string; source?: string; groups?: string[] } = {},
): Event {
  const who = opts.who ?? ALICE;
  const time = new Date(T0 + (opts.atMin ?? 1) * 60_000);
  const eventId = `00000000-0000-4000-a000-${String(++ids).padStart(12, "0")}`;
  const record = {
    eventVersion: "1.09",
    userIdentity: {
      type: who.type,
      principalId: "AIDAEXAMPLE",
      arn: who.arn,
      accountId: ACCOUNT,
      accessKeyId: who.key,
      ...(who.userName ? { userName: who.userName } : {}),
    },
    eventTime: time.toISOString().replace(".000Z", "Z"),
    eventSource: opts.source ?? "ec2.amazonaws.com",
    eventName,
    awsRegion: "eu-west-1",
    sourceIPAddress: who.ip,
    userAgent: who.agent,
    ...(opts.errorCode ? { errorCode: opts.errorCode, errorMessage: "You are not authorized to perform this operation." } : {}),
    requestParameters,
    responseElements: opts.errorCode ? null : responseElements,
    requestID: "req",
    eventID: eventId,
    readOnly: false,
    eventType: "AwsApiCall",
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: "Management",
  };
  return {
    EventId: eventId,
    EventName: eventName,
    ReadOnly: "false",
    AccessKeyId: who.key,
    EventTime: time,
    EventSource: record.eventSource,
    Username: who.userName ?? who.arn.split("/").pop(),
    Resources: (opts.groups ?? [SG]).map((g) => ({ ResourceType: "AWS::EC2::SecurityGroup", ResourceName: g })),
    CloudTrailEvent: JSON.stringify(record),
  };
}


const CTX = { groupId: SG, groupName: "web", vpcId: "vpc-1", groupTags: {} };
const added = (r: Partial<Rule> = {}): Change => ({ kind: "rule-added", ...CTX, rule: rule(r) });
const removed = (r: Partial<Rule> = {}): Change => ({ kind: "rule-removed", ...CTX, rule: rule(r) });
const described = (r: Partial<Rule>, old: string | null = null): Change => ({ kind: "rule-description-changed", ...CTX, rule: rule(r), oldDescription: old });

/** One recorded IpPermission. */
function perm(p: { proto?: string | number; from?: number; to?: number; v4?: string[]; v6?: string[]; pl?: string[]; groups?: Array<{ groupId: string; userId?: string }>; desc?: string }): unknown {
  const list = <T>(xs: T[] | undefined): unknown => (xs && xs.length > 0 ? { items: xs } : {});
  const d = p.desc !== undefined ? { description: p.desc } : {};
  return {
    ipProtocol: p.proto ?? "tcp",
    ...(p.from !== undefined ? { fromPort: p.from } : {}),
    ...(p.to !== undefined ? { toPort: p.to } : {}),
    groups: list(p.groups?.map((g) => ({ ...g, ...d }))),
    ipRanges: list(p.v4?.map((cidrIp) => ({ cidrIp, ...d }))),
    ipv6Ranges: list(p.v6?.map((cidrIpv6) => ({ cidrIpv6, ...d }))),
    prefixListIds: list(p.pl?.map((prefixListId) => ({ prefixListId, ...d }))),
  };
}

const ssh = perm({ from: 22, to: 22, v4: ["0.0.0.0/0"] });

type Case = [name: string, change: Change, events: Event[], quality: MatchQuality | null];

describe("matchChange: one event per case", () => {
  it.each<Case>([
    // AuthorizeSecurityGroupIngress / Egress
    ["authorize ingress, ipPermissions items", added(), [ev("AuthorizeSecurityGroupIngress", { groupId: SG, ipPermissions: { items: [ssh] } })], "exact"],
    [
      "authorize: protocol number and a CIDR with host bits, canonicalised",
      added({ source: "10.0.0.0/8", fromPort: 443, toPort: 443 }),
      [ev("AuthorizeSecurityGroupIngress", { groupId: SG, ipPermissions: { items: [perm({ proto: "6", from: 443, to: 443, v4: ["10.1.2.3/8"] })] } })],
      "exact",
    ],
    [
      "authorize: IPv6 spelled long, canonicalised",
      added({ sourceKind: "ipv6", source: "2001:db8::/32" }),
      [ev("AuthorizeSecurityGroupIngress", { groupId: SG, ipPermissions: { items: [perm({ from: 22, to: 22, v6: ["2001:0DB8:0000::/32"] })] } })],
      "exact",
    ],
    [
      "authorize: legacy flat form (cidrIp, ipProtocol, ports; ipPermissions {})",
      added(),
      [ev("AuthorizeSecurityGroupIngress", { groupId: SG, ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIp: "0.0.0.0/0", ipPermissions: {} })],
      "exact",
    ],
    [
      "authorize by group name: the rule and group come from securityGroupRuleSet",
      added(),
      [
        ev(
          "AuthorizeSecurityGroupIngress",
          { groupName: "web", ipPermissions: { items: [ssh] } },
          { requestId: "r", _return: true, securityGroupRuleSet: { items: [{ groupOwnerId: ACCOUNT, groupId: SG, securityGroupRuleId: "sgr-1", isEgress: false, ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: "0.0.0.0/0" }] } },
          { groups: [] },
        ),
      ],
      "exact",
    ],
    ["authorize egress does not explain an ingress rule", added(), [ev("AuthorizeSecurityGroupEgress", { groupId: SG, ipPermissions: { items: [ssh] } })], null],
    [
      "authorize egress, all traffic (-1, no ports)",
      added({ direction: "egress", protocol: "all", fromPort: null, toPort: null }),
      [ev("AuthorizeSecurityGroupEgress", { groupId: SG, ipPermissions: { items: [perm({ proto: "-1", v4: ["0.0.0.0/0"] })] } })],
      "exact",
    ],
    [
      "authorize icmp without ports: any type and code",
      added({ protocol: "icmp", fromPort: -1, toPort: -1 }),
      [ev("AuthorizeSecurityGroupIngress", { groupId: SG, ipPermissions: { items: [perm({ proto: "icmp", v4: ["0.0.0.0/0"] })] } })],
      "exact",
    ],
    ["authorize of another port does not explain it", added(), [ev("AuthorizeSecurityGroupIngress", { groupId: SG, ipPermissions: { items: [perm({ from: 23, to: 23, v4: ["0.0.0.0/0"] })] } })], null],
    [
      "authorize: same-account peer (userId = owner) is not a foreign peer",
      added({ sourceKind: "security-group", source: PEER }),
      [ev("AuthorizeSecurityGroupIngress", { groupId: SG, ipPermissions: { items: [perm({ from: 22, to: 22, groups: [{ groupId: PEER, userId: ACCOUNT }] })] } })],
      "exact",
    ],
    [
      "authorize: a foreign peer keeps its account",
      added({ sourceKind: "security-group", source: PEER, sourceAccount: OTHER_ACCOUNT }),
      [ev("AuthorizeSecurityGroupIngress", { groupId: SG, ipPermissions: { items: [perm({ from: 22, to: 22, groups: [{ groupId: PEER, userId: OTHER_ACCOUNT }] })] } })],
      "exact",
    ],
    [
      "authorize: prefix list",
      added({ direction: "egress", fromPort: 443, toPort: 443, sourceKind: "prefix-list", source: "pl-63a5400a" }),
      [ev("AuthorizeSecurityGroupEgress", { groupId: SG, ipPermissions: { items: [perm({ from: 443, to: 443, pl: ["pl-63a5400a"] })] } })],
      "exact",
    ],
    ["a failed call changed nothing", added(), [ev("AuthorizeSecurityGroupIngress", { groupId: SG, ipPermissions: { items: [ssh] } }, null, { errorCode: "Client.UnauthorizedOperation" })], null],
    ["a call on another group", added(), [ev("AuthorizeSecurityGroupIngress", { groupId: PEER, ipPermissions: { items: [ssh] } }, undefined, { groups: [PEER] })], null],
    ["not an EC2 event", added(), [ev("AuthorizeSecurityGroupIngress", { groupId: SG, ipPermissions: { items: [ssh] } }, undefined, { source: "iam.amazonaws.com" })], null],
    ["not a security-group call", added(), [ev("RunInstances", { groupId: SG })], null],

    // RevokeSecurityGroupIngress / Egress
    ["revoke by content", removed(), [ev("RevokeSecurityGroupIngress", { groupId: SG, ipPermissions: { items: [ssh] } })], "exact"],
    [
      "revoke by sgr- id, rules in revokedSecurityGroupRuleSet",
      removed(),
      [
        ev(
          "RevokeSecurityGroupIngress",
          { groupId: SG, securityGroupRuleIds: { items: [{ securityGroupRuleId: "sgr-1" }] } },
          { requestId: "r", _return: true, revokedSecurityGroupRuleSet: { items: [{ groupId: SG, securityGroupRuleId: "sgr-1", isEgress: false, ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: "0.0.0.0/0" }] } },
        ),
      ],
      "exact",
    ],
    ["revoke by sgr- id only: which rule is unknown", removed(), [ev("RevokeSecurityGroupIngress", { groupId: SG, securityGroupRuleIds: { items: [{ securityGroupRuleId: "sgr-1" }] } })], "possible"],
    ["revoke does not explain an addition", added(), [ev("RevokeSecurityGroupIngress", { groupId: SG, ipPermissions: { items: [ssh] } })], null],

    // CreateSecurityGroup / DeleteSecurityGroup
    [
      "create group: group id from the response",
      { kind: "group-created", ...CTX },
      [ev("CreateSecurityGroup", { groupName: "web", groupDescription: "web tier", vpcId: "vpc-1" }, { requestId: "r", _return: true, groupId: SG }, { groups: ["vpc-1"] })],
      "exact",
    ],
    [
      "create group: the default egress rule it is born with",
      added({ direction: "egress", protocol: "all", fromPort: null, toPort: null }),
      [ev("CreateSecurityGroup", { groupName: "web", groupDescription: "web tier", vpcId: "vpc-1" }, { requestId: "r", _return: true, groupId: SG })],
      "exact",
    ],
    ["create group does not explain an ingress rule", added(), [ev("CreateSecurityGroup", { groupName: "web", groupDescription: "d", vpcId: "vpc-1" }, { requestId: "r", _return: true, groupId: SG })], null],
    ["delete group", { kind: "group-deleted", ...CTX }, [ev("DeleteSecurityGroup", { groupId: SG })], "exact"],
    ["delete group removes its rules", removed(), [ev("DeleteSecurityGroup", { groupId: SG })], "likely"],

    // ModifySecurityGroupRules (PascalCase; no direction in the event)
    [
      "modify: the rule's new content",
      added({ fromPort: 2222, toPort: 2222 }),
      [
        ev(
          "ModifySecurityGroupRules",
          { ModifySecurityGroupRulesRequest: { GroupId: SG, SecurityGroupRule: { SecurityGroupRuleId: "sgr-1", SecurityGroupRule: { IpProtocol: "tcp", FromPort: 2222, ToPort: 2222, CidrIpv4: "0.0.0.0/0" } } } },
          { ModifySecurityGroupRulesResponse: { requestId: "r", return: true } },
        ),
      ],
      "exact",
    ],
    [
      "modify: several rules as a list, egress content matches an egress change",
      added({ direction: "egress", fromPort: 443, toPort: 443, sourceKind: "security-group", source: PEER }),
      [
        ev("ModifySecurityGroupRules", {
          ModifySecurityGroupRulesRequest: {
            GroupId: SG,
            SecurityGroupRule: [
              { SecurityGroupRuleId: "sgr-1", SecurityGroupRule: { IpProtocol: "tcp", FromPort: 80, ToPort: 80, CidrIpv4: "10.0.0.0/8" } },
              { SecurityGroupRuleId: "sgr-2", SecurityGroupRule: { IpProtocol: "tcp", FromPort: 443, ToPort: 443, ReferencedGroupId: PEER } },
            ],
          },
        }),
      ],
      "exact",
    ],
    [
      "modify: the rule it replaced is not in the event",
      removed(),
      [ev("ModifySecurityGroupRules", { ModifySecurityGroupRulesRequest: { GroupId: SG, SecurityGroupRule: { SecurityGroupRuleId: "sgr-1", SecurityGroupRule: { IpProtocol: "tcp", FromPort: 2222, ToPort: 2222, CidrIpv4: "0.0.0.0/0" } } } })],
      "possible",
    ],
    [
      "modify: a description change",
      described({ description: "ops" }),
      [ev("ModifySecurityGroupRules", { ModifySecurityGroupRulesRequest: { GroupId: SG, SecurityGroupRule: { SecurityGroupRuleId: "sgr-1", SecurityGroupRule: { IpProtocol: "tcp", FromPort: 22, ToPort: 22, CidrIpv4: "0.0.0.0/0", Description: "ops" } } } })],
      "exact",
    ],

    // UpdateSecurityGroupRuleDescriptionsIngress / Egress
    [
      "update description",
      described({ description: "office VPN" }),
      [ev("UpdateSecurityGroupRuleDescriptionsIngress", { groupId: SG, ipPermissions: { items: [perm({ from: 22, to: 22, v4: ["0.0.0.0/0"], desc: "office VPN" })] } })],
      "exact",
    ],
    [
      "update description to a value changed again since",
      described({ description: "office VPN" }),
      [ev("UpdateSecurityGroupRuleDescriptionsIngress", { groupId: SG, ipPermissions: { items: [perm({ from: 22, to: 22, v4: ["0.0.0.0/0"], desc: "older" })] } })],
      "likely",
    ],
    [
      "update description by sgr- id only",
      described({ description: "x" }),
      [ev("UpdateSecurityGroupRuleDescriptionsIngress", { groupId: SG, securityGroupRuleDescriptions: { items: [{ securityGroupRuleId: "sgr-1", description: "x" }] } })],
      "possible",
    ],
    [
      "update egress description does not explain an ingress rule",
      described({ description: "x" }),
      [ev("UpdateSecurityGroupRuleDescriptionsEgress", { groupId: SG, ipPermissions: { items: [perm({ from: 22, to: 22, v4: ["0.0.0.0/0"], desc: "x" })] } })],
      null,
    ],

    // CreateTags / DeleteTags
    [
      "create tags",
      { kind: "group-changed", ...CTX, before: { tags: { env: "prod" } }, after: { tags: { env: "prod", owner: "mallory" } } },
      [ev("CreateTags", { resourcesSet: { items: [{ resourceId: SG }] }, tagSet: { items: [{ key: "owner", value: "mallory" }] } }, undefined, { groups: [] })],
      "exact",
    ],
    [
      "create tags with another value than now",
      { kind: "group-changed", ...CTX, before: { tags: {} }, after: { tags: { owner: "eve" } } },
      [ev("CreateTags", { resourcesSet: { items: [{ resourceId: SG }] }, tagSet: { items: [{ key: "owner", value: "mallory" }] } })],
      "possible",
    ],
    [
      "delete tags",
      { kind: "group-changed", ...CTX, before: { tags: { env: "prod", owner: "x" } }, after: { tags: { env: "prod" } } },
      [ev("DeleteTags", { resourcesSet: { items: [{ resourceId: SG }] }, tagSet: { items: [{ key: "owner" }] } })],
      "exact",
    ],
    [
      "tags on another resource",
      { kind: "group-changed", ...CTX, before: { tags: {} }, after: { tags: { owner: "x" } } },
      [ev("CreateTags", { resourcesSet: { items: [{ resourceId: "i-0123" }] }, tagSet: { items: [{ key: "owner", value: "x" }] } }, undefined, { groups: ["i-0123"] })],
      null,
    ],
  ])("%s", (_name, change, events, quality) => {
    const m = matchChange(change, events);
    if (quality === null) expect(m).toBeNull();
    else {
      expect(m?.quality).toBe(quality);
      expect(m?.event).toBe(events[0]);
    }
  });
});

describe("matchChange: choosing among events", () => {
  it("tells two callers on the same group apart by the rule each touched", () => {
    const events = [
      ev("AuthorizeSecurityGroupIngress", { groupId: SG, ipPermissions: { items: [perm({ from: 443, to: 443, v4: ["10.0.0.0/8"] })] } }, undefined, { who: ALICE, atMin: 1 }),
      ev("AuthorizeSecurityGroupIngress", { groupId: SG, ipPermissions: { items: [ssh] } }, undefined, { who: BOB, atMin: 2 }),
      ev("CreateTags", { resourcesSet: { items: [{ resourceId: SG }] }, tagSet: { items: [{ key: "owner", value: "bob" }] } }, undefined, { who: BOB, atMin: 3 }),
    ];
    const candidates = parseCandidates(events);
    expect(matchChange(added({ fromPort: 443, toPort: 443, source: "10.0.0.0/8" }), candidates)?.attribution).toMatchObject({ actorArn: ALICE.arn, accessKeyId: ALICE.key, sourceIp: ALICE.ip, userAgent: ALICE.agent });
    expect(matchChange(added(), candidates)?.attribution).toMatchObject({ actorArn: BOB.arn, accessKeyId: BOB.key, sourceIp: BOB.ip, userAgent: BOB.agent, actorName: "build-42" });
    expect(matchChange({ kind: "group-changed", ...CTX, before: { tags: {} }, after: { tags: { owner: "bob" } } }, candidates)?.attribution.actorArn).toBe(BOB.arn);
  });

  it("takes the latest of equally good events: added, revoked, added again", () => {
    const events = [
      ev("AuthorizeSecurityGroupIngress", { groupId: SG, ipPermissions: { items: [ssh] } }, undefined, { who: ALICE, atMin: 1 }),
      ev("RevokeSecurityGroupIngress", { groupId: SG, ipPermissions: { items: [ssh] } }, undefined, { who: ALICE, atMin: 2 }),
      ev("AuthorizeSecurityGroupIngress", { groupId: SG, ipPermissions: { items: [ssh] } }, undefined, { who: BOB, atMin: 3 }),
    ];
    expect(matchChange(added(), events)?.attribution.actorArn).toBe(BOB.arn);
  });

  it("prefers an exact event to a later vaguer one", () => {
    const events = [
      ev("RevokeSecurityGroupIngress", { groupId: SG, ipPermissions: { items: [ssh] } }, undefined, { who: ALICE, atMin: 1 }),
      ev("RevokeSecurityGroupIngress", { groupId: SG, securityGroupRuleIds: { items: [{ securityGroupRuleId: "sgr-9" }] } }, undefined, { who: BOB, atMin: 2 }),
    ];
    expect(matchChange(removed(), events)).toMatchObject({ quality: "exact", attribution: { actorArn: ALICE.arn } });
  });

  it("looks only inside the window", () => {
    const events = [ev("AuthorizeSecurityGroupIngress", { groupId: SG, ipPermissions: { items: [ssh] } }, undefined, { atMin: 10 })];
    expect(matchChange(added(), events, { fromMs: T0, toMs: T0 + 5 * 60_000 })).toBeNull();
    expect(matchChange(added(), events, { fromMs: T0, toMs: T0 + 10 * 60_000 })).not.toBeNull();
  });

  it("reads each event once, dropping duplicates and foreign events", () => {
    const e = ev("AuthorizeSecurityGroupIngress", { groupId: SG, ipPermissions: { items: [ssh] } });
    expect(parseCandidates([e, e, ev("ConsoleLogin", {}), { EventName: "CreateTags" }])).toHaveLength(1);
  });
});

describe("toAttribution", () => {
  it("reads an IAM user", () => {
    const e = ev("CreateTags", {}, undefined, { who: ALICE, atMin: 7 });
    expect(toAttribution(e)).toEqual({
      eventId: e.EventId,
      eventName: "CreateTags",
      eventTime: "2026-03-02T10:07:00.000Z",
      actorArn: ALICE.arn,
      actorType: "IAMUser",
      actorName: "alice",
      accessKeyId: ALICE.key,
      sourceIp: ALICE.ip,
      userAgent: ALICE.agent,
    });
  });

  it("names an assumed role by its session", () => {
    expect(toAttribution(ev("CreateTags", {}, undefined, { who: BOB }))).toMatchObject({ actorType: "AssumedRole", actorName: "build-42", actorArn: BOB.arn });
  });

  it("falls back to the LookupEvents fields when the record is missing or broken", () => {
    const t = new Date(T0);
    expect(toAttribution({ EventId: "e1", EventName: "CreateTags", EventTime: t, Username: "carol", AccessKeyId: "AKIA1", CloudTrailEvent: "{not json" })).toEqual({
      eventId: "e1",
      eventName: "CreateTags",
      eventTime: "2026-03-02T10:00:00.000Z",
      actorArn: null,
      actorType: null,
      actorName: "carol",
      accessKeyId: "AKIA1",
      sourceIp: null,
      userAgent: null,
    });
  });
});
