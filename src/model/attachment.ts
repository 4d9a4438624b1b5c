// Blast radius (pure): which network interfaces use each security group, of
// what kind, and whether they have a public address. One Attachment per
// (interface, group) pair, so "what did sg-X expose at time T" is a lookup of
// intervals like rules are. Raw DescribeNetworkInterfaces output is untrusted:
// an item without an interface id cannot be kept, and fails the poll rather
// than reading as "attached to nothing".
import { hash } from "node:crypto";
import type { NetworkInterface } from "@aws-sdk/client-ec2";

/** What a network interface belongs to, as people name it. */
export type InterfaceKind = "instance" | "load-balancer" | "lambda" | "rds" | "nat" | "endpoint" | "other";

/** One security group's use by one network interface, as observed at one poll. */
export interface Attachment {
  /** eni-… id. */
  interfaceId: string;
  /** The security group the interface uses. */
  groupId: string;
  /** What the interface belongs to. */
  kind: InterfaceKind;
  /** EC2's own InterfaceType (interface, lambda, nat_gateway, …), or null when absent. */
  interfaceType: string | null;
  /** The instance it is attached to (i-…), or null. */
  instanceId: string | null;
  /** Its public IPv4 (or, without one, a globally routable IPv6) address, or null: reachable from the internet only with one. */
  publicIp: string | null;
  /** The interface's description (untrusted text). */
  description: string;
}

/** Raised when an interface cannot be read trustworthily; the poll fails. */
export class InterfaceReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InterfaceReadError";
  }
}

const ID = /^[\x21-\x7b\x7d\x7e]{1,255}$/;

/**
 * The kind of an interface. AWS marks some by InterfaceType; services that
 * create plain "interface" ENIs (RDS, classic and application load balancers)
 * are known by their requester and description.
 */
export function interfaceKind(ni: Pick<NetworkInterface, "InterfaceType" | "RequesterId" | "Description" | "Attachment">): InterfaceKind {
  // Wider than the SDK's enum: EC2 adds types, and older ones spell NAT as nat_gateway.
  const type: string = ni.InterfaceType ?? "";
  const desc = ni.Description ?? "";
  const requester = ni.RequesterId ?? "";
  if (type === "lambda" || desc.startsWith("AWS Lambda VPC ENI")) return "lambda";
  if (type === "nat_gateway" || type === "natGateway" || desc.startsWith("Interface for NAT Gateway")) return "nat";
  if (type === "vpc_endpoint" || type === "gateway_load_balancer_endpoint" || desc.startsWith("VPC Endpoint Interface")) return "endpoint";
  if (type.endsWith("load_balancer") || desc.startsWith("ELB ") || requester === "amazon-elb") return "load-balancer";
  if (desc === "RDSNetworkInterface" || requester === "amazon-rds") return "rds";
  if (ni.Attachment?.InstanceId) return "instance";
  return "other";
}

/** The interface's public address: its IPv4 association, or any secondary address's, or an IPv6 address the internet can reach. */
export function publicAddress(ni: NetworkInterface): string | null {
  const v4 = ni.Association?.PublicIp ?? ni.PrivateIpAddresses?.find((p) => p.Association?.PublicIp)?.Association?.PublicIp;
  if (v4) return v4;
  // An IPv6 address is globally routable unless the interface denies internet gateway traffic.
  if (ni.DenyAllIgwTraffic !== true) {
    const v6 = ni.Ipv6Address ?? ni.Ipv6Addresses?.find((a) => a.Ipv6Address)?.Ipv6Address;
    if (v6) return v6;
  }
  return null;
}

/** Raw interfaces ─► one Attachment per (interface, group), sorted by group then interface. */
export function readAttachments(raw: readonly NetworkInterface[]): Attachment[] {
  const out: Attachment[] = [];
  raw.forEach((ni, i) => {
    const id = ni.NetworkInterfaceId;
    if (typeof id !== "string" || !ID.test(id)) throw new InterfaceReadError(`NetworkInterfaces[${i}].NetworkInterfaceId is missing or not an id`);
    const kind = interfaceKind(ni);
    const publicIp = publicAddress(ni);
    for (const [j, g] of (ni.Groups ?? []).entries()) {
      if (typeof g.GroupId !== "string" || !ID.test(g.GroupId)) throw new InterfaceReadError(`${id}: Groups[${j}].GroupId is missing or not an id`);
      out.push({
        interfaceId: id,
        groupId: g.GroupId,
        kind,
        interfaceType: ni.InterfaceType ?? null,
        instanceId: ni.Attachment?.InstanceId ?? null,
        publicIp,
        description: ni.Description ?? "",
      });
    }
  });
  return sortAttachments(out);
}

/**
 * SHA-1 of a read list of attachments (readAttachments: sorted, every field
 * in one order), so a fetch worker can say "the same as the list you hold"
 * without sending the list across threads.
 */
export function attachmentsDigest(list: readonly Attachment[]): string {
  return hash("sha1", JSON.stringify(list), "base64");
}

/** The identity of an attachment interval: interface and group. */
export function attachmentKey(a: Pick<Attachment, "interfaceId" | "groupId">): string {
  return `${a.groupId}|${a.interfaceId}`;
}

export function sortAttachments(list: Attachment[]): Attachment[] {
  return list.sort((a, b) => (attachmentKey(a) < attachmentKey(b) ? -1 : attachmentKey(a) > attachmentKey(b) ? 1 : 0));
}

function same(a: Attachment, b: Attachment): boolean {
  return a.kind === b.kind && a.interfaceType === b.interfaceType && a.instanceId === b.instanceId && a.publicIp === b.publicIp && a.description === b.description;
}

/** What moved between two observations: intervals to close and to open (a changed attribute is both). */
export interface AttachmentDiff {
  /** Stored attachments no longer observed as they were. */
  closed: Attachment[];
  /** Observed attachments not stored as they are. */
  opened: Attachment[];
}

export function diffAttachments(stored: readonly Attachment[], observed: readonly Attachment[]): AttachmentDiff {
  const before = new Map(stored.map((a) => [attachmentKey(a), a]));
  const after = new Map(observed.map((a) => [attachmentKey(a), a]));
  const closed: Attachment[] = [];
  const opened: Attachment[] = [];
  for (const [k, a] of before) {
    const b = after.get(k);
    if (!b || !same(a, b)) closed.push(a);
  }
  for (const [k, b] of after) {
    const a = before.get(k);
    if (!a || !same(a, b)) opened.push(b);
  }
  return { closed, opened };
}

/** What a group exposes now, as alerts say it. */
export interface GroupExposure {
  /** Network interfaces using the group. */
  interfaces: number;
  /** Of those, interfaces with a public address. */
  publicInterfaces: number;
  /** Up to five public interfaces, for the alert's text. */
  publicExamples: Array<{ interfaceId: string; instanceId: string | null; kind: InterfaceKind; publicIp: string }>;
  /** When the interfaces were last read (ISO). */
  asOf: string;
}

/** Exposure of every group from a list of attachments. */
export function exposureByGroup(list: readonly Attachment[], asOf: string): Map<string, GroupExposure> {
  const out = new Map<string, GroupExposure>();
  for (const a of list) {
    let e = out.get(a.groupId);
    if (!e) out.set(a.groupId, (e = { interfaces: 0, publicInterfaces: 0, publicExamples: [], asOf }));
    e.interfaces++;
    if (a.publicIp) {
      e.publicInterfaces++;
      if (e.publicExamples.length < 5) e.publicExamples.push({ interfaceId: a.interfaceId, instanceId: a.instanceId, kind: a.kind, publicIp: a.publicIp });
    }
  }
  return out;
}

/** A group no interface uses: nothing reaches it now. */
export function unattached(asOf: string): GroupExposure {
  return { interfaces: 0, publicInterfaces: 0, publicExamples: [], asOf };
}
