// Proves that the real @aws-sdk/client-ec2 works against the simulator
// unchanged, for every action: requests it serializes are understood, and
// the responses deserialize to what AWS would give for the same state.

import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteSecurityGroupCommand,
  DeleteTagsCommand,
  DescribeRegionsCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  ModifySecurityGroupRulesCommand,
  paginateDescribeSecurityGroupRules,
  paginateDescribeSecurityGroups,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  UpdateSecurityGroupRuleDescriptionsEgressCommand,
  UpdateSecurityGroupRuleDescriptionsIngressCommand,
  type EC2Client,
  type SecurityGroup,
} from "@aws-sdk/client-ec2";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../../src/sim/server.js";
import { seedDemoAccount } from "../../../src/sim/seed-demo.js";
import { ec2Client } from "./sdk-client.js";

let sim: Simulator;
let ec2: EC2Client;

beforeEach(async () => {
  sim = await startSimulator({ regions: ["us-east-1", "eu-west-1", "ap-southeast-2"] });
  ec2 = ec2Client(sim.endpoint);
});

afterEach(async () => {
  ec2.destroy();
  expect(sim.unexpectedErrors).toEqual([]);
  await sim.close();
});

async function createGroup(name: string, vpcId?: string): Promise<string> {
  const out = await ec2.send(new CreateSecurityGroupCommand({ GroupName: name, Description: `group ${name}`, VpcId: vpcId }));
  return out.GroupId as string;
}

async function describeOne(groupId: string): Promise<SecurityGroup> {
  const out = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
  expect(out.SecurityGroups).toHaveLength(1);
  return out.SecurityGroups?.[0] as SecurityGroup;
}

describe("CreateSecurityGroup / DescribeSecurityGroups", () => {
  it("creates a group with an AWS-style id, ARN, tags and the default egress rule", async () => {
    const out = await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: "web",
        Description: "web tier & friends",
        VpcId: "vpc-0123456789abcdef0",
        TagSpecifications: [{ ResourceType: "security-group", Tags: [{ Key: "Name", Value: "<web> & 'co'" }] }],
      }),
    );
    expect(out.GroupId).toMatch(/^sg-[0-9a-f]{17}$/);
    expect(out.SecurityGroupArn).toBe(`arn:aws:ec2:us-east-1:123456789012:security-group/${out.GroupId}`);
    expect(out.Tags).toEqual([{ Key: "Name", Value: "<web> & 'co'" }]);

    const g = await describeOne(out.GroupId as string);
    expect(g).toMatchObject({
      GroupId: out.GroupId,
      GroupName: "web",
      Description: "web tier & friends",
      VpcId: "vpc-0123456789abcdef0",
      OwnerId: "123456789012",
      Tags: [{ Key: "Name", Value: "<web> & 'co'" }],
      IpPermissions: [],
      SecurityGroupArn: out.SecurityGroupArn,
    });
    // Protocol -1 carries no ports, as on AWS.
    expect(g.IpPermissionsEgress).toEqual([
      { IpProtocol: "-1", IpRanges: [{ CidrIp: "0.0.0.0/0" }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] },
    ]);
  });

  it("rejects a duplicate name in the same VPC but not in another", async () => {
    await createGroup("dup", "vpc-0000000000000000a");
    await expect(createGroup("dup", "vpc-0000000000000000a")).rejects.toMatchObject({
      name: "InvalidGroup.Duplicate",
      $metadata: { httpStatusCode: 400 },
    });
    await expect(createGroup("dup", "vpc-0000000000000000b")).resolves.toMatch(/^sg-/);
  });

  it("packs rules into one IpPermission per (protocol, ports) as AWS does", async () => {
    const sg = await createGroup("packed");
    const peer = await createGroup("peer");
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: sg,
        IpPermissions: [
          { IpProtocol: "tcp", FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: "10.0.0.0/8", Description: "internal" }] },
          { IpProtocol: "6", FromPort: 443, ToPort: 443, Ipv6Ranges: [{ CidrIpv6: "2001:db8::/32" }] },
          { IpProtocol: "tcp", FromPort: 443, ToPort: 443, PrefixListIds: [{ PrefixListId: "pl-63a5400a", Description: "s3" }] },
          { IpProtocol: "tcp", FromPort: 443, ToPort: 443, UserIdGroupPairs: [{ GroupId: peer, Description: "peer" }] },
          { IpProtocol: "17", FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: "10.0.0.2/32" }] },
          { IpProtocol: "1", FromPort: 8, ToPort: -1, IpRanges: [{ CidrIp: "10.0.0.0/8" }] },
          { IpProtocol: "58", FromPort: -1, ToPort: -1, Ipv6Ranges: [{ CidrIpv6: "::/0" }] },
          { IpProtocol: "50", IpRanges: [{ CidrIp: "192.0.2.0/24" }] },
          {
            IpProtocol: "tcp",
            FromPort: 5432,
            ToPort: 5432,
            UserIdGroupPairs: [{ GroupId: "sg-0fedcba98765432ff", UserId: "210987654321", VpcPeeringConnectionId: "pcx-0123abcd" }],
          },
        ],
      }),
    );
    const g = await describeOne(sg);
    expect(g.IpPermissions).toEqual([
      {
        IpProtocol: "tcp",
        FromPort: 443,
        ToPort: 443,
        IpRanges: [{ CidrIp: "10.0.0.0/8", Description: "internal" }],
        Ipv6Ranges: [{ CidrIpv6: "2001:db8::/32" }],
        PrefixListIds: [{ PrefixListId: "pl-63a5400a", Description: "s3" }],
        UserIdGroupPairs: [{ GroupId: peer, UserId: "123456789012", Description: "peer" }],
      },
      { IpProtocol: "udp", FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: "10.0.0.2/32" }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] },
      { IpProtocol: "icmp", FromPort: 8, ToPort: -1, IpRanges: [{ CidrIp: "10.0.0.0/8" }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] },
      { IpProtocol: "icmpv6", FromPort: -1, ToPort: -1, IpRanges: [], Ipv6Ranges: [{ CidrIpv6: "::/0" }], PrefixListIds: [], UserIdGroupPairs: [] },
      { IpProtocol: "50", IpRanges: [{ CidrIp: "192.0.2.0/24" }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] },
      {
        IpProtocol: "tcp",
        FromPort: 5432,
        ToPort: 5432,
        IpRanges: [],
        Ipv6Ranges: [],
        PrefixListIds: [],
        UserIdGroupPairs: [
          { GroupId: "sg-0fedcba98765432ff", UserId: "210987654321", VpcPeeringConnectionId: "pcx-0123abcd", PeeringStatus: "active" },
        ],
      },
    ]);
  });

  it("paginates 23 groups at MaxResults 5: every group arrives exactly once", async () => {
    const created: string[] = [];
    for (let i = 0; i < 23; i++) created.push(await createGroup(`g${i}`));
    const seen: string[] = [];
    let pages = 0;
    for await (const page of paginateDescribeSecurityGroups({ client: ec2, pageSize: 5 }, {})) {
      pages++;
      expect((page.SecurityGroups ?? []).length).toBeLessThanOrEqual(5);
      for (const g of page.SecurityGroups ?? []) seen.push(g.GroupId as string);
    }
    expect(pages).toBe(5);
    expect(seen).toHaveLength(23);
    expect(new Set(seen)).toEqual(new Set(created));
    const calls = sim.requests.filter((r) => r.action === "DescribeSecurityGroups");
    expect(calls).toHaveLength(5);
  });

  it("a group deleted between pages neither repeats nor hides the others", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await createGroup(`p${i}`));
    const first = await ec2.send(new DescribeSecurityGroupsCommand({ MaxResults: 5 }));
    const firstIds = (first.SecurityGroups ?? []).map((g) => g.GroupId as string);
    const lastOfFirst = firstIds[firstIds.length - 1] as string;
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId: lastOfFirst }));
    const rest: string[] = [];
    let token = first.NextToken;
    while (token) {
      const page = await ec2.send(new DescribeSecurityGroupsCommand({ MaxResults: 5, NextToken: token }));
      rest.push(...(page.SecurityGroups ?? []).map((g) => g.GroupId as string));
      token = page.NextToken;
    }
    expect(new Set([...firstIds, ...rest]).size).toBe(12);
    expect(rest).toHaveLength(7);
  });

  it("filters on group-id, group-name, vpc-id and tag:Key with wildcards", async () => {
    const a = await createGroup("alpha", "vpc-000000000000000a1");
    const b = await createGroup("beta", "vpc-000000000000000b2");
    await ec2.send(new CreateTagsCommand({ Resources: [b], Tags: [{ Key: "env", Value: "prod" }] }));
    const ids = async (filters: { Name: string; Values: string[] }[]) =>
      ((await ec2.send(new DescribeSecurityGroupsCommand({ Filters: filters }))).SecurityGroups ?? []).map((g) => g.GroupId);
    expect(await ids([{ Name: "group-id", Values: [a] }])).toEqual([a]);
    expect(await ids([{ Name: "group-name", Values: ["be*"] }])).toEqual([b]);
    expect(await ids([{ Name: "vpc-id", Values: ["vpc-000000000000000a1"] }])).toEqual([a]);
    expect(await ids([{ Name: "tag:env", Values: ["prod"] }])).toEqual([b]);
    expect(await ids([{ Name: "group-name", Values: ["alpha", "beta"] }, { Name: "vpc-id", Values: ["vpc-000000000000000b2"] }])).toEqual([b]);
    await expect(ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: "bogus", Values: ["x"] }] }))).rejects.toMatchObject({
      name: "InvalidParameterValue",
    });
  });

  it("GroupName.N looks in the default VPC", async () => {
    const id = await createGroup("in-default");
    const out = await ec2.send(new DescribeSecurityGroupsCommand({ GroupNames: ["in-default"] }));
    expect(out.SecurityGroups?.map((g) => g.GroupId)).toEqual([id]);
  });
});

describe("rule mutations", () => {
  it("authorize returns the new rules; a duplicate is refused atomically", async () => {
    const sg = await createGroup("r");
    const out = await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: sg,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "203.0.113.0/24", Description: "office" }] }],
      }),
    );
    expect(out.Return).toBe(true);
    expect(out.SecurityGroupRules).toEqual([
      expect.objectContaining({
        SecurityGroupRuleId: expect.stringMatching(/^sgr-[0-9a-f]{17}$/),
        GroupId: sg,
        GroupOwnerId: "123456789012",
        IsEgress: false,
        IpProtocol: "tcp",
        FromPort: 22,
        ToPort: 22,
        CidrIpv4: "203.0.113.0/24",
        Description: "office",
      }),
    ]);
    const dup = ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: sg,
        IpPermissions: [
          { IpProtocol: "tcp", FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: "0.0.0.0/0" }] },
          { IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "203.0.113.0/24", Description: "other text" }] },
        ],
      }),
    );
    await expect(dup).rejects.toMatchObject({ name: "InvalidPermission.Duplicate", $metadata: { httpStatusCode: 400 } });
    // The non-duplicate half was not applied either.
    expect((await describeOne(sg)).IpPermissions).toHaveLength(1);
  });

  it("revoke by content and by rule id; a missing rule is InvalidPermission.NotFound", async () => {
    const sg = await createGroup("rv");
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: sg,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "10.0.0.0/8" }, { CidrIp: "192.168.0.0/16" }] }],
      }),
    );
    const revoked = await ec2.send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: sg,
        IpPermissions: [{ IpProtocol: "6", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "10.0.0.0/8" }] }],
      }),
    );
    expect(revoked.Return).toBe(true);
    expect(revoked.RevokedSecurityGroupRules?.[0]).toMatchObject({ CidrIpv4: "10.0.0.0/8", IsEgress: false });
    await expect(
      ec2.send(
        new RevokeSecurityGroupIngressCommand({
          GroupId: sg,
          IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "10.0.0.0/8" }] }],
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidPermission.NotFound" });

    const egress = (await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: "group-id", Values: [sg] }] })))
      .SecurityGroupRules?.find((r) => r.IsEgress);
    await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: sg, SecurityGroupRuleIds: [egress?.SecurityGroupRuleId as string] }));
    const g = await describeOne(sg);
    expect(g.IpPermissionsEgress).toEqual([]);
    expect(g.IpPermissions?.[0]?.IpRanges).toEqual([{ CidrIp: "192.168.0.0/16" }]);
  });

  it("authorize/revoke egress with a group reference", async () => {
    const sg = await createGroup("eg");
    const target = await createGroup("target");
    const perm = { IpProtocol: "tcp", FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: target }] };
    await ec2.send(new AuthorizeSecurityGroupEgressCommand({ GroupId: sg, IpPermissions: [perm] }));
    expect((await describeOne(sg)).IpPermissionsEgress).toHaveLength(2);
    await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: sg, IpPermissions: [perm] }));
    expect((await describeOne(sg)).IpPermissionsEgress).toHaveLength(1);
  });

  it("DescribeSecurityGroupRules by id, by group, paginated", async () => {
    const sg = await createGroup("rules");
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: sg,
        IpPermissions: Array.from({ length: 11 }, (_, i) => ({
          IpProtocol: "tcp",
          FromPort: 1000 + i,
          ToPort: 1000 + i,
          IpRanges: [{ CidrIp: "10.0.0.0/8" }],
        })),
      }),
    );
    const all: string[] = [];
    for await (const page of paginateDescribeSecurityGroupRules(
      { client: ec2, pageSize: 5 },
      { Filters: [{ Name: "group-id", Values: [sg] }] },
    )) {
      all.push(...(page.SecurityGroupRules ?? []).map((r) => r.SecurityGroupRuleId as string));
    }
    expect(new Set(all).size).toBe(12);
    const one = await ec2.send(new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: [all[3] as string] }));
    expect(one.SecurityGroupRules?.map((r) => r.SecurityGroupRuleId)).toEqual([all[3]]);
    const egress = (await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: "group-id", Values: [sg] }] })))
      .SecurityGroupRules?.find((r) => r.IsEgress);
    // The rule-level API reports -1/-1 for all-traffic rules.
    expect(egress).toMatchObject({ IpProtocol: "-1", FromPort: -1, ToPort: -1, CidrIpv4: "0.0.0.0/0" });
  });

  it("ModifySecurityGroupRules replaces a rule in place, keeping its id", async () => {
    const sg = await createGroup("mod");
    const added = await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: sg,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "10.0.0.0/8" }] }],
      }),
    );
    const ruleId = added.SecurityGroupRules?.[0]?.SecurityGroupRuleId as string;
    const out = await ec2.send(
      new ModifySecurityGroupRulesCommand({
        GroupId: sg,
        SecurityGroupRules: [
          { SecurityGroupRuleId: ruleId, SecurityGroupRule: { IpProtocol: "tcp", FromPort: 2222, ToPort: 2222, CidrIpv4: "0.0.0.0/0", Description: "oops" } },
        ],
      }),
    );
    expect(out.Return).toBe(true);
    const rule = (await ec2.send(new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: [ruleId] }))).SecurityGroupRules?.[0];
    expect(rule).toMatchObject({ FromPort: 2222, ToPort: 2222, CidrIpv4: "0.0.0.0/0", Description: "oops" });
  });

  it("UpdateSecurityGroupRuleDescriptionsIngress/Egress by content and by id", async () => {
    const sg = await createGroup("desc");
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: sg,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: "0.0.0.0/0", Description: "old" }] }],
      }),
    );
    await ec2.send(
      new UpdateSecurityGroupRuleDescriptionsIngressCommand({
        GroupId: sg,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: "0.0.0.0/0", Description: "new" }] }],
      }),
    );
    expect((await describeOne(sg)).IpPermissions?.[0]?.IpRanges).toEqual([{ CidrIp: "0.0.0.0/0", Description: "new" }]);
    const egress = (await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: "group-id", Values: [sg] }] })))
      .SecurityGroupRules?.find((r) => r.IsEgress);
    await ec2.send(
      new UpdateSecurityGroupRuleDescriptionsEgressCommand({
        GroupId: sg,
        SecurityGroupRuleDescriptions: [{ SecurityGroupRuleId: egress?.SecurityGroupRuleId, Description: "all out" }],
      }),
    );
    expect((await describeOne(sg)).IpPermissionsEgress?.[0]?.IpRanges).toEqual([{ CidrIp: "0.0.0.0/0", Description: "all out" }]);
    await expect(
      ec2.send(
        new UpdateSecurityGroupRuleDescriptionsIngressCommand({
          GroupId: sg,
          IpPermissions: [{ IpProtocol: "tcp", FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: "0.0.0.0/0", Description: "x" }] }],
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidPermission.NotFound" });
  });
});

describe("tags and deletion", () => {
  it("CreateTags overwrites, DeleteTags removes by key or key+value", async () => {
    const sg = await createGroup("tags");
    await ec2.send(new CreateTagsCommand({ Resources: [sg], Tags: [{ Key: "env", Value: "dev" }, { Key: "team", Value: "a" }] }));
    await ec2.send(new CreateTagsCommand({ Resources: [sg], Tags: [{ Key: "env", Value: "prod" }] }));
    expect((await describeOne(sg)).Tags).toEqual([{ Key: "env", Value: "prod" }, { Key: "team", Value: "a" }]);
    await ec2.send(new DeleteTagsCommand({ Resources: [sg], Tags: [{ Key: "team", Value: "not-a" }] }));
    expect((await describeOne(sg)).Tags).toHaveLength(2);
    await ec2.send(new DeleteTagsCommand({ Resources: [sg], Tags: [{ Key: "team" }] }));
    expect((await describeOne(sg)).Tags).toEqual([{ Key: "env", Value: "prod" }]);
    await expect(ec2.send(new CreateTagsCommand({ Resources: ["sg-00000000000000000"], Tags: [{ Key: "a", Value: "b" }] }))).rejects.toMatchObject({
      name: "InvalidGroup.NotFound",
    });
  });

  it("DeleteSecurityGroup: by id or name; referenced groups are a DependencyViolation", async () => {
    const demo = seedDemoAccount(sim.state);
    const r = ec2Client(sim.endpoint);
    await expect(r.send(new DeleteSecurityGroupCommand({ GroupId: demo.groups.web }))).rejects.toMatchObject({
      name: "DependencyViolation",
      $metadata: { httpStatusCode: 400 },
    });
    // A group a network interface uses is in use too, as on AWS; free once the interface is gone.
    await expect(r.send(new DeleteSecurityGroupCommand({ GroupId: demo.groups.db }))).rejects.toMatchObject({ name: "DependencyViolation" });
    sim.state.account(demo.account).region(demo.region).interfaces.delete(demo.interfaces.db);
    const out = await r.send(new DeleteSecurityGroupCommand({ GroupId: demo.groups.db }));
    expect(out).toMatchObject({ Return: true, GroupId: demo.groups.db });
    await expect(r.send(new DeleteSecurityGroupCommand({ GroupId: demo.groups.db }))).rejects.toMatchObject({ name: "InvalidGroup.NotFound" });
    const byName = await createGroup("named");
    await r.send(new DeleteSecurityGroupCommand({ GroupName: "named" }));
    await expect(describeOne(byName)).rejects.toMatchObject({ name: "InvalidGroup.NotFound" });
    r.destroy();
  });
});

describe("regions and accounts", () => {
  it("DescribeRegions returns the configured list", async () => {
    const out = await ec2.send(new DescribeRegionsCommand({}));
    expect(out.Regions).toEqual([
      { RegionName: "us-east-1", Endpoint: "ec2.us-east-1.amazonaws.com", OptInStatus: "opt-in-not-required" },
      { RegionName: "eu-west-1", Endpoint: "ec2.eu-west-1.amazonaws.com", OptInStatus: "opt-in-not-required" },
      { RegionName: "ap-southeast-2", Endpoint: "ec2.ap-southeast-2.amazonaws.com", OptInStatus: "opt-in-not-required" },
    ]);
    const one = await ec2.send(new DescribeRegionsCommand({ RegionNames: ["eu-west-1"] }));
    expect(one.Regions?.map((r) => r.RegionName)).toEqual(["eu-west-1"]);
  });

  it("state is per region: the client's region decides what it sees", async () => {
    const eu = ec2Client(sim.endpoint, { region: "eu-west-1" });
    const euGroup = (await eu.send(new CreateSecurityGroupCommand({ GroupName: "eu-only", Description: "eu" }))).GroupId as string;
    const usGroup = await createGroup("us-only");
    const names = async (c: EC2Client) => ((await c.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups ?? []).map((g) => g.GroupName);
    expect(await names(eu)).toEqual(["eu-only"]);
    expect(await names(ec2)).toEqual(["us-only"]);
    await expect(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [euGroup] }))).rejects.toMatchObject({ name: "InvalidGroup.NotFound" });
    const euArn = (await eu.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups?.[0]?.SecurityGroupArn;
    expect(euArn).toBe(`arn:aws:ec2:eu-west-1:123456789012:security-group/${euGroup}`);
    expect(sim.requests.filter((r) => r.region === "eu-west-1").length).toBeGreaterThan(0);
    expect(usGroup).not.toBe(euGroup);
    eu.destroy();
  });

  it("access keys map to accounts; unmapped keys fall back to 123456789012", async () => {
    sim.mapAccessKey("AKIAOTHERACCOUNT0001", "210987654321");
    const other = ec2Client(sim.endpoint, { accessKeyId: "AKIAOTHERACCOUNT0001" });
    await other.send(new CreateSecurityGroupCommand({ GroupName: "theirs", Description: "other account" }));
    const theirs = await other.send(new DescribeSecurityGroupsCommand({}));
    expect(theirs.SecurityGroups?.map((g) => g.OwnerId)).toEqual(["210987654321"]);
    expect((await ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups).toEqual([]);
    const req = sim.requests.find((r) => r.accessKeyId === "AKIAOTHERACCOUNT0001");
    expect(req).toMatchObject({ account: "210987654321", region: "us-east-1", status: 200 });
    other.destroy();
  });
});

describe("request and mutation logs", () => {
  it("records every request with caller attribution; describe calls are read-only", async () => {
    const sg = await createGroup("logged");
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: sg,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 3389, ToPort: 3389, IpRanges: [{ CidrIp: "0.0.0.0/0", Description: "rdp" }] }],
      }),
    );
    const before = sim.mutations.length;
    await ec2.send(new DescribeSecurityGroupsCommand({}));
    await ec2.send(new DescribeSecurityGroupRulesCommand({}));
    expect(sim.mutations.length).toBe(before);

    const create = sim.requests[0];
    expect(create).toMatchObject({
      action: "CreateSecurityGroup",
      accessKeyId: "AKIASIMTEST000000001",
      sourceIp: expect.stringMatching(/127\.0\.0\.1/),
      userAgent: expect.stringContaining("aws-sdk-js"),
      region: "us-east-1",
      account: "123456789012",
      status: 200,
    });
    const auth = sim.mutations.find((m) => m.action === "AuthorizeSecurityGroupIngress");
    expect(auth).toMatchObject({
      account: "123456789012",
      region: "us-east-1",
      groupId: sg,
      accessKeyId: "AKIASIMTEST000000001",
      userAgent: expect.stringContaining("aws-sdk-js"),
      requestId: sim.requests[1]?.requestId,
      effect: {
        kind: "rules-added",
        rules: [
          {
            ruleId: expect.stringMatching(/^sgr-/),
            direction: "ingress",
            protocol: "tcp",
            fromPort: 3389,
            toPort: 3389,
            sourceKind: "ipv4",
            source: "0.0.0.0/0",
            sourceAccount: null,
            peeringId: null,
            description: "rdp",
          },
        ],
      },
    });
    expect(sim.mutations.map((m) => m.effect.kind)).toEqual(["group-created", "rules-added", "rules-added"]);
  });
});
