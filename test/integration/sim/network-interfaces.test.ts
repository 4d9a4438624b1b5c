// The simulator's DescribeNetworkInterfaces through the real AWS SDK over
// HTTP: the SDK parses our XML into the fields sgwatch reads (public address,
// attachment, InterfaceType, groups), the group-id filter answers "what uses
// this group", pagination hands out every interface once, and interfaces are
// made and changed through the admin endpoint as another process would.
// A mismatch between our XML and the SDK's parser fails here.
import { DeleteSecurityGroupCommand, DescribeNetworkInterfacesCommand, paginateDescribeNetworkInterfaces, type NetworkInterface } from "@aws-sdk/client-ec2";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSimHarness, MONITOR, type SimHarness } from "../../support/sim-harness.js";
import { DEMO_BASTION_PUBLIC_IP, DEMO_WEB_PUBLIC_IP } from "../../../src/sim/seed-demo.js";
import { readAttachments } from "../../../src/model/attachment.js";
import { SimState } from "../../../src/sim/state.js";

let h: SimHarness;

beforeEach(async () => {
  h = await startSimHarness();
});
afterEach(async () => {
  await h.close();
});

async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${h.endpoint}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function all(): Promise<NetworkInterface[]> {
  const out: NetworkInterface[] = [];
  for await (const page of paginateDescribeNetworkInterfaces({ client: h.client(MONITOR), pageSize: 5 }, {})) out.push(...(page.NetworkInterfaces ?? []));
  return out;
}

describe("DescribeNetworkInterfaces (simulator, real SDK)", () => {
  it("reports the demo's public bastion instance in the shape the SDK parses", async () => {
    const out = await h.client(MONITOR).send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: "group-id", Values: [h.demo.groups.bastion] }] }));
    const [ni] = out.NetworkInterfaces ?? [];
    expect(out.NetworkInterfaces).toHaveLength(1);
    expect(ni).toMatchObject({
      NetworkInterfaceId: h.demo.interfaces.bastion,
      InterfaceType: "interface",
      OwnerId: h.demo.account,
      VpcId: h.demo.vpcId,
      Status: "in-use",
      Association: { PublicIp: DEMO_BASTION_PUBLIC_IP },
      Attachment: { InstanceId: h.demo.interfaces.bastionInstance, Status: "attached", DeviceIndex: 0 },
      Groups: [{ GroupId: h.demo.groups.bastion, GroupName: "bastion" }],
    });
    expect(ni?.PrivateIpAddresses?.[0]?.Association?.PublicIp).toBe(DEMO_BASTION_PUBLIC_IP);
    expect(readAttachments(out.NetworkInterfaces ?? [])).toEqual([
      { interfaceId: h.demo.interfaces.bastion, groupId: h.demo.groups.bastion, kind: "instance", interfaceType: "interface", instanceId: h.demo.interfaces.bastionInstance, publicIp: DEMO_BASTION_PUBLIC_IP, description: "" },
    ]);
  });

  it("classifies every kind the simulator makes as sgwatch names it", async () => {
    const kinds = ["load-balancer", "lambda", "rds", "nat", "endpoint", "other"];
    for (const kind of kinds) expect((await admin("POST", "/__sim/network-interfaces", { kind, groupIds: [h.demo.groups.default] })).status).toBe(201);
    const out = await h.client(MONITOR).send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: "group-id", Values: [h.demo.groups.default] }] }));
    expect(readAttachments(out.NetworkInterfaces ?? []).map((a) => a.kind).sort()).toEqual([...kinds].sort());
  });

  it("pages with MaxResults and NextToken, every interface exactly once", async () => {
    for (let i = 0; i < 11; i++) await admin("POST", "/__sim/network-interfaces", { kind: "instance", groupIds: [h.demo.groups.app] });
    const seen = await all();
    const ids = seen.map((n) => n.NetworkInterfaceId);
    expect(ids).toHaveLength(4 + 11);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("filters by group-id, instance and public address; an unknown filter is an error", async () => {
    const c = h.client(MONITOR);
    const byGroup = await c.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: "group-id", Values: [h.demo.groups.web, h.demo.groups.app] }] }));
    expect(byGroup.NetworkInterfaces?.map((n) => n.NetworkInterfaceId).sort()).toEqual([h.demo.interfaces.web, h.demo.interfaces.app].sort());
    const byIp = await c.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: "association.public-ip", Values: [DEMO_WEB_PUBLIC_IP] }] }));
    expect(byIp.NetworkInterfaces?.map((n) => n.NetworkInterfaceId)).toEqual([h.demo.interfaces.web]);
    await expect(c.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: "no-such-filter", Values: ["x"] }] }))).rejects.toMatchObject({ name: "InvalidParameterValue" });
  });

  it("admin endpoint: attach groups, drop the public address, delete; bad input is answered 400 naming the field", async () => {
    const made = await admin("POST", "/__sim/network-interfaces", { kind: "instance", groupIds: [h.demo.groups.db], publicIp: "198.51.100.99" });
    const id = made.json.interfaceId as string;
    expect(made.json).toMatchObject({ kind: "instance", publicIp: "198.51.100.99", groupIds: [h.demo.groups.db] });
    // A group an interface uses cannot be deleted, as on AWS.
    await expect(h.client().send(new DeleteSecurityGroupCommand({ GroupId: h.demo.groups.db }))).rejects.toMatchObject({ name: "DependencyViolation" });
    expect((await admin("POST", `/__sim/network-interfaces/${id}`, { groupIds: [h.demo.groups.db, h.demo.groups.app], publicIp: null })).status).toBe(200);
    const now = (await all()).find((n) => n.NetworkInterfaceId === id);
    expect(now?.Association).toBeUndefined();
    expect(now?.Groups?.map((g) => g.GroupId)).toEqual([h.demo.groups.db, h.demo.groups.app]);
    expect((await admin("DELETE", `/__sim/network-interfaces/${id}`)).status).toBe(200);
    expect((await all()).some((n) => n.NetworkInterfaceId === id)).toBe(false);

    expect(await admin("POST", "/__sim/network-interfaces", { kind: "satellite", groupIds: [h.demo.groups.db] })).toMatchObject({ status: 400, json: { error: expect.stringContaining("kind must be one of") } });
    expect(await admin("POST", "/__sim/network-interfaces", { kind: "instance", groupIds: ["sg-00000000000000000"] })).toMatchObject({ status: 400, json: { error: expect.stringContaining("sg-00000000000000000") } });
    expect(await admin("POST", "/__sim/network-interfaces", { kind: "instance", groupIds: [h.demo.groups.db], publicIp: "not-an-ip" })).toMatchObject({ status: 400, json: { error: expect.stringContaining("publicIp") } });
  });

  it("state files keep interfaces (toJSON → fromJSON), and a hand-written one may name just kind and groups", () => {
    const json = h.sim.state.toJSON();
    const back = SimState.fromJSON(JSON.parse(JSON.stringify(json)));
    const region = back.account(h.demo.account).region("us-east-1");
    expect([...region.interfaces.keys()].sort()).toEqual([h.demo.interfaces.bastion, h.demo.interfaces.web, h.demo.interfaces.app, h.demo.interfaces.db].sort());
    expect(region.interfaces.get(h.demo.interfaces.bastion)?.publicIp).toBe(DEMO_BASTION_PUBLIC_IP);
    const hand = structuredClone(json);
    const r = hand.accounts[h.demo.account]?.["us-east-1"];
    if (!r) throw new Error("demo region missing");
    r.interfaces = [{ kind: "nat", groupIds: [h.demo.groups.app] } as never];
    expect([...SimState.fromJSON(hand).account(h.demo.account).region("us-east-1").interfaces.values()].map((n) => n.kind)).toEqual(["nat"]);
    r.interfaces = [{ kind: "nat" } as never];
    expect(() => SimState.fromJSON(hand)).toThrow(/interfaces\[0\]: groupIds/);
  });
});
