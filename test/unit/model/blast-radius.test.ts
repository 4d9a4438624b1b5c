// Blast radius, the pure parts: reading raw interfaces (kinds, public
// addresses, malformed input), interval diffs, severity by attachment,
// exposure-added changes, and the words every channel uses.
import type { NetworkInterface } from "@aws-sdk/client-ec2";
import { describe, expect, it } from "vitest";
import { diffAttachments, exposureByGroup, interfaceKind, readAttachments, unattached, type Attachment } from "../../../src/model/attachment.js";
import { blastSeverity } from "../../../src/model/blast.js";
import { exposureChanges } from "../../../src/model/exposure-change.js";
import { DEFAULT_SEVERITY_SETTINGS, severityOf } from "../../../src/model/severity.js";
import type { Change, GroupState, Rule } from "../../../src/model/types.js";
import { exposureText } from "../../../src/alerts/render/words.js";
import { rule } from "./build.js";

const S = DEFAULT_SEVERITY_SETTINGS;
const CTX = { groupId: "sg-1", groupName: "db", vpcId: "vpc-1", groupTags: {} };
const added = (over: Partial<Rule>): Change => ({ kind: "rule-added", ...CTX, rule: rule(over) });
const att = (over: Partial<Attachment>): Attachment => ({ interfaceId: "eni-1", groupId: "sg-1", kind: "instance", interfaceType: "interface", instanceId: "i-1", publicIp: null, description: "", ...over });

describe("interfaceKind", () => {
  it.each<[string, NetworkInterface, string]>([
    ["an instance's interface", { InterfaceType: "interface", Attachment: { InstanceId: "i-1" } }, "instance"],
    ["Lambda by type", { InterfaceType: "lambda" }, "lambda"],
    ["Lambda by description", { InterfaceType: "interface", Description: "AWS Lambda VPC ENI-fn" }, "lambda"],
    ["NAT (nat_gateway)", { InterfaceType: "nat_gateway" as never }, "nat"],
    ["NAT (natGateway)", { InterfaceType: "natGateway" }, "nat"],
    ["interface endpoint", { InterfaceType: "vpc_endpoint" }, "endpoint"],
    ["network load balancer", { InterfaceType: "network_load_balancer" }, "load-balancer"],
    ["application load balancer (plain interface by amazon-elb)", { InterfaceType: "interface", RequesterId: "amazon-elb", Description: "ELB app/x/1" }, "load-balancer"],
    ["RDS", { InterfaceType: "interface", RequesterId: "amazon-rds", Description: "RDSNetworkInterface" }, "rds"],
    ["an unattached plain interface", { InterfaceType: "interface" }, "other"],
  ])("%s", (_what, ni, kind) => {
    expect(interfaceKind(ni)).toBe(kind);
  });
});

describe("readAttachments", () => {
  it("one attachment per (interface, group); public IPv4 from the association or a secondary address; IPv6 unless internet traffic is denied", () => {
    const list = readAttachments([
      { NetworkInterfaceId: "eni-a", Groups: [{ GroupId: "sg-2" }, { GroupId: "sg-1" }], Association: { PublicIp: "198.51.100.1" }, Attachment: { InstanceId: "i-a" } },
      { NetworkInterfaceId: "eni-b", Groups: [{ GroupId: "sg-1" }], PrivateIpAddresses: [{ PrivateIpAddress: "10.0.0.2" }, { Association: { PublicIp: "198.51.100.2" } }] },
      { NetworkInterfaceId: "eni-c", Groups: [{ GroupId: "sg-1" }], Ipv6Addresses: [{ Ipv6Address: "2001:db8::1" }] },
      { NetworkInterfaceId: "eni-d", Groups: [{ GroupId: "sg-1" }], Ipv6Addresses: [{ Ipv6Address: "2001:db8::2" }], DenyAllIgwTraffic: true },
    ]);
    expect(list.map((a) => [a.groupId, a.interfaceId, a.publicIp])).toEqual([
      ["sg-1", "eni-a", "198.51.100.1"],
      ["sg-1", "eni-b", "198.51.100.2"],
      ["sg-1", "eni-c", "2001:db8::1"],
      ["sg-1", "eni-d", null],
      ["sg-2", "eni-a", "198.51.100.1"],
    ]);
  });

  it("fails on an interface or group without a usable id, rather than dropping it", () => {
    expect(() => readAttachments([{ Groups: [{ GroupId: "sg-1" }] }])).toThrow(/NetworkInterfaces\[0\]\.NetworkInterfaceId/);
    expect(() => readAttachments([{ NetworkInterfaceId: "eni-1", Groups: [{ GroupId: "sg 1\n" }] }])).toThrow(/eni-1: Groups\[0\]\.GroupId/);
  });
});

describe("diffAttachments", () => {
  it("closes what went, opens what came, and closes+opens an attachment whose public address changed", () => {
    const before = [att({ interfaceId: "eni-1" }), att({ interfaceId: "eni-2" }), att({ interfaceId: "eni-3", publicIp: "198.51.100.3" })];
    const after = [att({ interfaceId: "eni-1" }), att({ interfaceId: "eni-3", publicIp: "198.51.100.4" }), att({ interfaceId: "eni-4" })];
    const d = diffAttachments(before, after);
    expect(d.closed.map((a) => a.interfaceId)).toEqual(["eni-2", "eni-3"]);
    expect(d.opened.map((a) => [a.interfaceId, a.publicIp])).toEqual([
      ["eni-3", "198.51.100.4"],
      ["eni-4", null],
    ]);
  });
});

describe("blastSeverity (default policy)", () => {
  const ssh = added({ fromPort: 22, toPort: 22, source: "0.0.0.0/0" });
  const https = added({ fromPort: 443, toPort: 443, source: "0.0.0.0/0" });
  const pub = exposureByGroup([att({ publicIp: "198.51.100.7" })], "t").get("sg-1");
  const priv = exposureByGroup([att({})], "t").get("sg-1");
  it.each<[string, Change, Parameters<typeof blastSeverity>[2], string, boolean]>([
    ["world-open SSH on a group with a public interface stays critical", ssh, pub, "critical", false],
    ["world-open SSH on a group attached to nothing is high, not reachable now", ssh, unattached("t"), "high", true],
    ["world-open SSH on a group with private interfaces only stays critical", ssh, priv, "critical", false],
    ["interfaces never read: unknown is not safe, stays critical", ssh, undefined, "critical", false],
    ["world-open HTTPS on a group attached to nothing keeps its own severity", https, unattached("t"), "high", false],
    // A broad source counts like the world for blast radius as it does for severity.
    ["SSH from 0.0.0.0/1 on a group attached to nothing is high, not reachable now", added({ fromPort: 22, toPort: 22, source: "0.0.0.0/1" }), unattached("t"), "high", true],
    ["SSH from a /6 on a group with a public interface stays critical", added({ fromPort: 22, toPort: 22, source: "4.0.0.0/6" }), pub, "critical", false],
    ["SSH from a /8 (not broad by default) is medium wherever it is", added({ fromPort: 22, toPort: 22, source: "10.0.0.0/8" }), unattached("t"), "medium", false],
  ])("%s", (_what, change, exposure, severity, notReachable) => {
    expect(blastSeverity(change, severityOf(change, S), exposure, S)).toEqual({ severity, notReachable });
  });

  it("is configurable: notReachable: medium", () => {
    expect(blastSeverity(ssh, "critical", unattached("t"), { ...S, notReachable: "medium" })).toEqual({ severity: "medium", notReachable: true });
  });
});

describe("exposureChanges", () => {
  const group = (rules: Rule[]): GroupState => ({ groupId: "sg-1", name: "db", description: "", vpcId: "vpc-1", ownerId: "1", tags: {}, rules });
  const world = rule({ fromPort: 22, toPort: 22, source: "0.0.0.0/0" });
  const office = rule({ fromPort: 22, toPort: 22, source: "203.0.113.0/24" });
  const pubEni = att({ interfaceId: "eni-9", instanceId: "i-9", publicIp: "198.51.100.9" });

  it("a world-open group newly used by a public interface: one change per world-open rule, severity from the rule", () => {
    const state = new Map([["sg-1", group([office, world])]]);
    const changes = exposureChanges(state, state, [], [pubEni], S.broadSources);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ kind: "exposure-added", groupId: "sg-1", rule: world, exposedVia: { interfaceId: "eni-9", instanceId: "i-9", publicIp: "198.51.100.9", kind: "instance" } });
    expect(severityOf(changes[0] as Change, S)).toBe("critical");
  });

  it("nothing when the interface was already public, when the group has no world-open rule, or when the rule was added in this poll", () => {
    const state = new Map([["sg-1", group([world])]]);
    expect(exposureChanges(state, state, [att({ interfaceId: "eni-9", publicIp: "198.51.100.1" })], [pubEni], S.broadSources)).toEqual([]);
    const closed = new Map([["sg-1", group([office])]]);
    expect(exposureChanges(closed, closed, [], [pubEni], S.broadSources)).toEqual([]);
    expect(exposureChanges(closed, state, [], [pubEni], S.broadSources)).toEqual([]);
  });

  it("a broad source counts like the world: 0.0.0.0/1 newly reachable is an exposure; a /8 is not by default, is with a /9 threshold", () => {
    const half = rule({ fromPort: 22, toPort: 22, source: "0.0.0.0/1" });
    const slash8 = rule({ fromPort: 22, toPort: 22, source: "10.0.0.0/8" });
    const state = new Map([["sg-1", group([half, slash8])]]);
    expect(exposureChanges(state, state, [], [pubEni], S.broadSources).map((c) => c.rule?.source)).toEqual(["0.0.0.0/1"]);
    expect(exposureChanges(state, state, [], [pubEni], { ipv4ShorterThan: 9, ipv6ShorterThan: 32 }).map((c) => c.rule?.source)).toEqual(["0.0.0.0/1", "10.0.0.0/8"]);
  });

  it("a private interface is no exposure; a private one that gains a public address is", () => {
    const state = new Map([["sg-1", group([world])]]);
    expect(exposureChanges(state, state, [], [att({ interfaceId: "eni-9" })], S.broadSources)).toEqual([]);
    expect(exposureChanges(state, state, [att({ interfaceId: "eni-9" })], [pubEni], S.broadSources)).toHaveLength(1);
  });
});

describe("exposureText", () => {
  const c = { groupId: "sg-0b", groupName: "bastion" };
  it("names the public interfaces, counts the rest, says when nothing is reachable", () => {
    const e = exposureByGroup([att({ groupId: "sg-0b", interfaceId: "eni-1", instanceId: "i-0ab", publicIp: "203.0.113.7" }), att({ groupId: "sg-0b", interfaceId: "eni-2" })], "t").get("sg-0b");
    expect(exposureText({ ...c, exposure: e ?? null })).toBe("bastion (sg-0b) is attached to 2 network interfaces, 1 with a public IP (i-0ab, 203.0.113.7)");
    expect(exposureText({ ...c, exposure: unattached("t"), notReachable: true })).toBe("bastion (sg-0b) is attached to nothing — not reachable now");
    expect(exposureText({ ...c, exposure: null })).toBeNull();
  });

  it("a load balancer is named by interface and kind; hostile names are made printable", () => {
    const e = exposureByGroup([att({ groupId: "sg-0b", interfaceId: "eni-lb", kind: "load-balancer", instanceId: null, publicIp: "198.51.100.20" })], "t").get("sg-0b");
    expect(exposureText({ groupId: "sg-0b", groupName: "web\nFAKE: all clear", exposure: e ?? null })).toBe(
      "web\\nFAKE: all clear (sg-0b) is attached to 1 network interface, 1 with a public IP (eni-lb (load-balancer), 198.51.100.20)",
    );
  });
});
