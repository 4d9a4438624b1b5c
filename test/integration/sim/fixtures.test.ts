// Proves the simulator's responses have the structure of AWS's documented
// example responses: each fixture in test/fixtures/ec2 is served by a tiny
// HTTP server to the real SDK, the simulator is put in equivalent state, and
// both SDK-deserialized objects must have the same key paths and types. A
// renamed element, a missing list wrapper or a wrong error envelope fails here.

import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteSecurityGroupCommand,
  DescribeRegionsCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  ModifySecurityGroupRulesCommand,
  RevokeSecurityGroupIngressCommand,
  type EC2Client,
} from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RegionState } from "../../../src/sim/region-state.js";
import { startSimulator, type Simulator } from "../../../src/sim/server.js";
import { ec2Client, sdkError, shapeOf } from "./sdk-client.js";

const FIXTURES = new URL("../../fixtures/ec2/", import.meta.url);

let fixtureServer: Server;
let fixtureEndpoint = "";
let fixtureBody = "";
let fixtureStatus = 200;
let sim: Simulator;
let simClient: EC2Client;
let fixtureClient: EC2Client;
let region: RegionState;

beforeAll(async () => {
  fixtureServer = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(fixtureStatus, { "content-type": "text/xml;charset=UTF-8" });
      res.end(fixtureBody);
    });
  });
  await new Promise<void>((r) => fixtureServer.listen(0, "127.0.0.1", r));
  fixtureEndpoint = `http://127.0.0.1:${(fixtureServer.address() as AddressInfo).port}`;
  fixtureClient = ec2Client(fixtureEndpoint);
});

afterAll(async () => {
  fixtureClient.destroy();
  fixtureServer.closeAllConnections();
  await new Promise<void>((r) => fixtureServer.close(() => r()));
});

beforeEach(async () => {
  if (sim) {
    simClient.destroy();
    await sim.close();
  }
  sim = await startSimulator({ regions: ["us-east-1", "eu-west-1"] });
  simClient = ec2Client(sim.endpoint);
  region = sim.state.account("123456789012").region("us-east-1");
});

afterAll(async () => {
  simClient.destroy();
  await sim.close();
});

function fixture(name: string, status = 200): void {
  fixtureBody = readFileSync(new URL(name, FIXTURES), "utf8");
  fixtureStatus = status;
}

type Send = (c: EC2Client) => Promise<unknown>;

async function expectSameShape(file: string, send: Send): Promise<void> {
  fixture(file);
  const expected = await send(fixtureClient);
  const actual = await send(simClient);
  // Guards against a fixture the SDK silently read as empty.
  expect(shapeOf(expected).length).toBeGreaterThan(file === "create-tags.xml" ? 0 : 1);
  expect(shapeOf(actual)).toEqual(shapeOf(expected));
}

describe("simulator responses match the documented response shapes", () => {
  it("DescribeSecurityGroups (basic example)", async () => {
    const g = region.createGroup({ groupName: "SSHAccess", description: "Security group for SSH access" });
    region.authorizeIngress(g.groupId, [{ ipProtocol: "tcp", fromPort: 22, toPort: 22, ipRanges: [{ cidrIp: "0.0.0.0/0" }], ipv6Ranges: [{ cidrIpv6: "::/0" }] }]);
    region.authorizeEgress(g.groupId, [{ ipProtocol: "-1", ipv6Ranges: [{ cidrIpv6: "::/0" }] }]);
    await expectSameShape("describe-security-groups.xml", (c) => c.send(new DescribeSecurityGroupsCommand({})));
  });

  it("DescribeSecurityGroups (references, ICMP, prefix list, tags, nextToken)", async () => {
    const web = region.createGroup({ groupName: "web", description: "web" });
    const app = region.createGroup({ groupName: "app", description: "Application servers", tags: [{ key: "Name", value: "app" }] });
    region.createGroup({ groupName: "zz-later", description: "forces a second page" });
    for (let i = 0; i < 5; i++) region.createGroup({ groupName: `filler${i}`, description: "filler" });
    region.authorizeIngress(app.groupId, [
      { ipProtocol: "tcp", fromPort: 8080, toPort: 8080, userIdGroupPairs: [{ groupId: web.groupId, description: "from web tier" }] },
      { ipProtocol: "icmp", fromPort: 8, toPort: -1, ipRanges: [{ cidrIp: "10.0.0.0/8", description: "ping from the VPC" }] },
    ]);
    const egress = app.rules.find((r) => r.isEgress);
    region.revokeRuleIds(app.groupId, true, [egress?.ruleId as string]);
    region.authorizeEgress(app.groupId, [
      { ipProtocol: "tcp", fromPort: 443, toPort: 443, prefixListIds: [{ prefixListId: "pl-63a5400a", description: "S3 via gateway endpoint" }] },
    ]);
    fixture("describe-security-groups-full.xml");
    const expected = await fixtureClient.send(new DescribeSecurityGroupsCommand({}));
    const actual = await simClient.send(new DescribeSecurityGroupsCommand({ GroupIds: [app.groupId] }));
    expect(shapeOf(expected.SecurityGroups)).toContain("[].IpPermissions[].UserIdGroupPairs[].GroupId:string");
    expect(shapeOf(actual.SecurityGroups)).toEqual(shapeOf(expected.SecurityGroups));
    const paged = await simClient.send(new DescribeSecurityGroupsCommand({ MaxResults: 5 }));
    expect(typeof paged.NextToken).toBe(typeof expected.NextToken);
  });

  it("DescribeSecurityGroupRules", async () => {
    const g = region.createGroup({ groupName: "r", description: "r" });
    region.authorizeIngress(g.groupId, [{ ipProtocol: "tcp", fromPort: 22, toPort: 22, ipRanges: [{ cidrIp: "203.0.113.0/24", description: "office VPN" }] }]);
    const [ingress] = g.rules.filter((r) => !r.isEgress);
    await expectSameShape("describe-security-group-rules.xml", (c) =>
      c.send(new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: [ingress?.ruleId as string] })),
    );
  });

  it("CreateSecurityGroup", async () => {
    await expectSameShape("create-security-group.xml", (c) => c.send(new CreateSecurityGroupCommand({ GroupName: "n", Description: "d" })));
  });

  it("DeleteSecurityGroup", async () => {
    const g = region.createGroup({ groupName: "gone", description: "d" });
    await expectSameShape("delete-security-group.xml", (c) => c.send(new DeleteSecurityGroupCommand({ GroupId: g.groupId })));
  });

  it("AuthorizeSecurityGroupIngress", async () => {
    const g = region.createGroup({ groupName: "a", description: "a" });
    await expectSameShape("authorize-security-group-ingress.xml", (c) =>
      c.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: g.groupId,
          IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "203.0.113.0/24" }] }],
        }),
      ),
    );
  });

  it("RevokeSecurityGroupIngress", async () => {
    const g = region.createGroup({ groupName: "v", description: "v" });
    region.authorizeIngress(g.groupId, [{ ipProtocol: "tcp", fromPort: 22, toPort: 22, ipRanges: [{ cidrIp: "203.0.113.0/24" }] }]);
    await expectSameShape("revoke-security-group-ingress.xml", (c) =>
      c.send(
        new RevokeSecurityGroupIngressCommand({
          GroupId: g.groupId,
          IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "203.0.113.0/24" }] }],
        }),
      ),
    );
  });

  it("ModifySecurityGroupRules", async () => {
    const g = region.createGroup({ groupName: "m", description: "m" });
    const [rule] = region.authorizeIngress(g.groupId, [{ ipProtocol: "tcp", fromPort: 22, toPort: 22, ipRanges: [{ cidrIp: "10.0.0.0/8" }] }]);
    await expectSameShape("modify-security-group-rules.xml", (c) =>
      c.send(
        new ModifySecurityGroupRulesCommand({
          GroupId: g.groupId,
          SecurityGroupRules: [{ SecurityGroupRuleId: rule?.ruleId, SecurityGroupRule: { IpProtocol: "tcp", FromPort: 23, ToPort: 23, CidrIpv4: "10.0.0.0/8" } }],
        }),
      ),
    );
  });

  it("CreateTags", async () => {
    const g = region.createGroup({ groupName: "t", description: "t" });
    await expectSameShape("create-tags.xml", (c) => c.send(new CreateTagsCommand({ Resources: [g.groupId], Tags: [{ Key: "k", Value: "v" }] })));
  });

  it("DescribeRegions", async () => {
    fixture("describe-regions.xml");
    const expected = await fixtureClient.send(new DescribeRegionsCommand({}));
    const actual = await simClient.send(new DescribeRegionsCommand({}));
    expect(actual.Regions).toEqual(expected.Regions);
  });

  it("error envelope: same SDK error name, fault, status and fields", async () => {
    fixture("error-invalid-group-not-found.xml", 400);
    const expected = await sdkError(fixtureClient.send(new DescribeSecurityGroupsCommand({ GroupIds: ["sg-1a2b3c4d5e6f70819"] })));
    const actual = await sdkError(simClient.send(new DescribeSecurityGroupsCommand({ GroupIds: ["sg-1a2b3c4d5e6f70819"] })));
    expect(actual.name).toBe(expected.name);
    expect(actual.$fault).toBe(expected.$fault);
    expect(actual.$metadata?.httpStatusCode).toBe(expected.$metadata?.httpStatusCode);
    expect(actual.message).toBe(expected.message);
    expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  });
});
