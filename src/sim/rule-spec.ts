// Turning what callers send (IpPermissions, protocol names or numbers, ports)
// into the rules AWS stores, with AWS's validation and AWS's spelling, and the
// identity used for duplicate detection.

import { errors } from "./errors.js";
import type { PermissionInput, RuleEffect, RulePeer, SimRule } from "./types.js";

/** A rule before it has an id. */
export type RuleSpec = Omit<SimRule, "ruleId" | "tags">;

const PROTOCOL_BY_NUMBER: Record<string, string> = { "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6" };
const NAMED = new Set(["tcp", "udp", "icmp", "icmpv6"]);

/** The protocol as AWS stores it: tcp/udp/icmp/icmpv6 by name, -1 for all, any other number as itself. */
export function storedProtocol(input: string): string {
  const p = input.trim().toLowerCase();
  if (p === "-1" || p === "all") return "-1";
  if (NAMED.has(p)) return p;
  if (/^\d{1,3}$/.test(p)) {
    const n = Number(p);
    if (n > 255) throw errors.invalidParameterValue(`Invalid value '${input}' for IP protocol. Unknown protocol.`);
    return PROTOCOL_BY_NUMBER[String(n)] ?? String(n);
  }
  throw errors.invalidParameterValue(`Invalid value '${input}' for IP protocol. Unknown protocol.`);
}

/** Ports as AWS keeps them for a stored protocol: checked ranges, or null where ports do not apply. */
export function storedPorts(protocol: string, from?: number, to?: number): { fromPort: number | null; toPort: number | null } {
  if (protocol === "tcp" || protocol === "udp") {
    if (from === undefined || to === undefined) {
      throw errors.invalidParameterValue(
        `Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange`,
      );
    }
    if (!isPort(from) || !isPort(to) || from > to) {
      throw errors.invalidParameterValue(`Invalid value '${from}-${to}' for portRange. Ports must be 0-65535 with from <= to.`);
    }
    return { fromPort: from, toPort: to };
  }
  if (protocol === "icmp" || protocol === "icmpv6") {
    // ICMP carries type/code in the port fields; -1 means "any".
    const type = from ?? -1;
    const code = to ?? -1;
    if (!isIcmpField(type) || !isIcmpField(code)) {
      throw errors.invalidParameterValue(`Invalid value '${type}/${code}' for ICMP type/code.`);
    }
    if (type === -1 && code !== -1) {
      throw errors.invalidParameterValue(`Invalid ICMP code ${code}: the code must be -1 when the type is -1.`);
    }
    return { fromPort: type, toPort: code };
  }
  // -1 and other protocol numbers cover every port; AWS reports none.
  return { fromPort: null, toPort: null };
}

function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 65535;
}

function isIcmpField(n: number): boolean {
  return Number.isInteger(n) && n >= -1 && n <= 255;
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Checks an IPv4 CIDR the way AWS does (well-formed; the address is kept as given). */
export function checkIpv4Cidr(cidr: string): string {
  const m = IPV4_CIDR.exec(cidr);
  const ok = m !== null && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 32;
  if (!ok) throw errors.invalidParameterValue(`CIDR block ${cidr} is malformed`);
  return cidr;
}

/** Checks an IPv6 CIDR: hex groups with at most one `::`, prefix 0..128. */
export function checkIpv6Cidr(cidr: string): string {
  const slash = cidr.lastIndexOf("/");
  const addr = slash < 0 ? "" : cidr.slice(0, slash);
  const prefix = slash < 0 ? "" : cidr.slice(slash + 1);
  const prefixOk = /^\d{1,3}$/.test(prefix) && Number(prefix) <= 128;
  const doubles = addr.split("::").length - 1;
  const groups = addr.split(":").filter((g) => g !== "");
  const groupsOk = groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g));
  const countOk = doubles === 0 ? groups.length === 8 : doubles === 1 && groups.length <= 7;
  if (!prefixOk || !groupsOk || !countOk || addr.length === 0) {
    throw errors.invalidParameterValue(`CIDR block ${cidr} is malformed`);
  }
  return cidr;
}

// AWS's documented character set for rule and group descriptions in a VPC.
const DESCRIPTION = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]*$/;

/** Checks a rule or group description (255 characters from AWS's allowed set). */
export function checkDescription(description: string | undefined, what = "description"): string | undefined {
  if (description === undefined) return undefined;
  if (description.length > 255 || !DESCRIPTION.test(description)) {
    throw errors.invalidParameterValue(
      `Invalid ${what}. Valid descriptions are strings less than 256 characters from the following set: a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*`,
    );
  }
  return description;
}

/** Resolves a group-pair's group; the region supplies lookups so this module stays pure. */
export interface PeerResolver {
  /** The caller's own account. */
  ownerId: string;
  /** Id of a same-account group given by name in the default VPC; throws when absent. */
  groupIdByName(name: string): string;
  /** Throws InvalidGroup.NotFound when a same-account group id does not exist. */
  assertGroupExists(groupId: string): void;
}

/** Expands IpPermissions into one rule spec per peer, validating as AWS does. */
export function expandPermissions(perms: readonly PermissionInput[], isEgress: boolean, peers: PeerResolver): RuleSpec[] {
  if (perms.length === 0) throw errors.missingParameter("IpPermissions");
  const out: RuleSpec[] = [];
  for (const perm of perms) {
    const protocol = storedProtocol(perm.ipProtocol);
    const { fromPort, toPort } = storedPorts(protocol, perm.fromPort, perm.toPort);
    const base = { isEgress, protocol, fromPort, toPort };
    const before = out.length;
    for (const r of perm.ipRanges ?? []) {
      out.push(withDescription({ ...base, peer: { kind: "ipv4", cidr: checkIpv4Cidr(r.cidrIp) } }, r.description));
    }
    for (const r of perm.ipv6Ranges ?? []) {
      out.push(withDescription({ ...base, peer: { kind: "ipv6", cidr: checkIpv6Cidr(r.cidrIpv6) } }, r.description));
    }
    for (const p of perm.prefixListIds ?? []) {
      if (!/^pl-[0-9a-f]+$/.test(p.prefixListId)) {
        throw errors.invalidParameterValue(`Invalid prefix list ID '${p.prefixListId}'`);
      }
      out.push(withDescription({ ...base, peer: { kind: "prefix-list", prefixListId: p.prefixListId } }, p.description));
    }
    for (const g of perm.userIdGroupPairs ?? []) {
      out.push(withDescription({ ...base, peer: resolvePair(g, peers) }, g.description));
    }
    if (out.length === before) {
      throw errors.invalidParameterValue(
        "Each permission must name at least one peer: an IPv4 or IPv6 range, a prefix list, or a security group.",
      );
    }
  }
  return out;
}

function resolvePair(g: NonNullable<PermissionInput["userIdGroupPairs"]>[number], peers: PeerResolver): RulePeer {
  const userId = g.userId ?? peers.ownerId;
  const sameAccount = userId === peers.ownerId;
  let groupId = g.groupId;
  if (groupId === undefined) {
    if (g.groupName === undefined) throw errors.missingParameter("GroupId");
    if (!sameAccount) throw errors.invalidParameterValue("A group in another account must be given by GroupId.");
    groupId = peers.groupIdByName(g.groupName);
  }
  if (!/^sg-[0-9a-f]+$/.test(groupId)) throw errors.groupIdMalformed(groupId);
  // Only groups this region holds can be checked; peered and foreign groups live elsewhere.
  if (sameAccount && g.vpcPeeringConnectionId === undefined) peers.assertGroupExists(groupId);
  const peer: RulePeer = { kind: "security-group", groupId, userId };
  if (g.vpcPeeringConnectionId !== undefined) peer.vpcPeeringConnectionId = g.vpcPeeringConnectionId;
  return peer;
}

function withDescription(spec: RuleSpec, description: string | undefined): RuleSpec {
  const d = checkDescription(description);
  return d === undefined || d === "" ? spec : { ...spec, description: d };
}

/** Identity of a rule within its group: everything AWS compares when it reports a duplicate. */
export function ruleIdentity(r: RuleSpec): string {
  return `${r.isEgress ? "e" : "i"}|${r.protocol}|${r.fromPort ?? ""}|${r.toPort ?? ""}|${peerKey(r.peer)}`;
}

function peerKey(p: RulePeer): string {
  switch (p.kind) {
    case "ipv4":
      return `4:${p.cidr}`;
    case "ipv6":
      return `6:${p.cidr.toLowerCase()}`;
    case "prefix-list":
      return `pl:${p.prefixListId}`;
    case "security-group":
      // Group ids are global, so the id alone names the peer.
      return `sg:${p.groupId}`;
  }
}

/** A short human description of a rule, in the style of AWS's duplicate/not-found messages. */
export function describeRule(r: RuleSpec): string {
  const peer =
    r.peer.kind === "ipv4" || r.peer.kind === "ipv6"
      ? r.peer.cidr
      : r.peer.kind === "prefix-list"
        ? r.peer.prefixListId
        : r.peer.groupId;
  const proto = r.protocol === "-1" ? "ALL" : r.protocol.toUpperCase();
  const ports = r.fromPort === null ? "" : `, from port: ${r.fromPort}, to port: ${r.toPort}`;
  return `peer: ${peer}, ${proto}${ports}, ALLOW`;
}

/** The project's canonical form of a stored rule (see src/model/types.ts). */
export function toRuleEffect(r: SimRule, ownerId: string): RuleEffect {
  const peer = r.peer;
  const base = {
    ruleId: r.ruleId,
    direction: r.isEgress ? ("egress" as const) : ("ingress" as const),
    protocol: r.protocol === "-1" ? "all" : r.protocol,
    fromPort: r.fromPort,
    toPort: r.toPort,
    description: r.description ?? null,
  };
  switch (peer.kind) {
    case "ipv4":
      return { ...base, sourceKind: "ipv4", source: peer.cidr, sourceAccount: null, peeringId: null };
    case "ipv6":
      return { ...base, sourceKind: "ipv6", source: peer.cidr, sourceAccount: null, peeringId: null };
    case "prefix-list":
      return { ...base, sourceKind: "prefix-list", source: peer.prefixListId, sourceAccount: null, peeringId: null };
    case "security-group":
      return {
        ...base,
        sourceKind: "security-group",
        source: peer.groupId,
        sourceAccount: peer.userId === ownerId ? null : peer.userId,
        peeringId: peer.vpcPeeringConnectionId ?? null,
      };
  }
}
