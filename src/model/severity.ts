// How urgent a change is (pure). The question severity answers is "did this
// make the firewall wider, and how dangerously?": only added ingress can open
// something, and an ingress open to the whole internet on a port attackers
// scan for is the reason this tool exists.

import { isWorldCidr, parseCidr } from "./cidr.js";
import { PORT_PROTOCOLS } from "./protocol.js";
import type { Change, Rule, Severity } from "./types.js";
import { severityRank } from "./types.js";

/**
 * When a CIDR counts as "broad": a range so wide that opening a port to it is
 * as bad as opening it to the world (0.0.0.0/1 is half the internet, and an
 * attacker scanning from anywhere in it is as likely as from anywhere at all).
 */
export interface BroadSources {
  /** An IPv4 range whose prefix is shorter than this (/7 when 8) is broad. */
  ipv4ShorterThan: number;
  /** An IPv6 range whose prefix is shorter than this (/31 when 32) is broad. */
  ipv6ShorterThan: number;
}

/** Which severity each kind of change gets; configurable per deployment. */
export interface SeveritySettings {
  /** Ports that make a world-open ingress critical. */
  sensitivePorts: number[];
  /** Ingress added open to 0.0.0.0/0 or ::/0 on a sensitive port or on all traffic. */
  worldOpenSensitive: Severity;
  /** Any other world-open ingress added. */
  worldOpen: Severity;
  /** Other ingress added. */
  ingressAdded: Severity;
  /** A whole group deleted. */
  groupDeleted: Severity;
  /** Removals, egress changes, description/tag/name changes, group created. */
  other: Severity;
  /** Sources that rank like the world for severity. */
  broadSources: BroadSources;
  /** A world-open sensitive ingress on a group no network interface uses (nothing reachable now). */
  notReachable: Severity;
  /** A group with world-open ingress newly used by an interface with a public address (exposure-added). */
  exposureAdded: Severity;
}

export const DEFAULT_SEVERITY_SETTINGS: SeveritySettings = {
  // SSH, RDP, MySQL, PostgreSQL, MSSQL, Oracle, Redis, Elasticsearch, MongoDB,
  // memcached, Docker API, telnet, SMB.
  sensitivePorts: [22, 3389, 3306, 5432, 1433, 1521, 6379, 9200, 27017, 11211, 2375, 23, 445],
  worldOpenSensitive: "critical",
  worldOpen: "high",
  ingressAdded: "medium",
  groupDeleted: "medium",
  other: "low",
  broadSources: { ipv4ShorterThan: 8, ipv6ShorterThan: 32 },
  notReachable: "high",
  exposureAdded: "critical",
};

/** True when the rule's peer is the whole internet (exactly 0.0.0.0/0 or ::/0). */
export function isWorldOpen(r: Rule): boolean {
  return (r.sourceKind === "ipv4" || r.sourceKind === "ipv6") && isWorldCidr(r.source);
}

/** True when the rule lets through every port: protocol all, or tcp/udp without ports or 0-65535. */
export function isAllTraffic(r: Rule): boolean {
  if (r.protocol === "all") return true;
  if (!PORT_PROTOCOLS.has(r.protocol)) return false;
  return r.fromPort === null || r.toPort === null || (r.fromPort <= 0 && r.toPort >= 65535);
}

/**
 * True when the CIDR text is broad: the world, a prefix shorter than the
 * family's threshold, or anything containing half of the address space
 * (0.0.0.0/1, 128.0.0.0/1, ::/1, 8000::/1) whatever the thresholds say.
 */
export function isBroadCidr(text: string, b: BroadSources): boolean {
  const c = parseCidr(text);
  if (c === null) return false;
  if (c.prefix <= 1) return true;
  return c.prefix < (c.family === 4 ? b.ipv4ShorterThan : b.ipv6ShorterThan);
}

/** True when the rule's peer is the world or a broad range (see isBroadCidr). */
export function isBroadOpen(r: Rule, b: BroadSources): boolean {
  return (r.sourceKind === "ipv4" || r.sourceKind === "ipv6") && isBroadCidr(r.source, b);
}

/** True when a tcp/udp rule's port range contains one of the ports (ranges count: 20-25 contains 22). */
export function coversPort(r: Rule, ports: readonly number[]): boolean {
  if (r.protocol === "all") return ports.length > 0;
  if (!PORT_PROTOCOLS.has(r.protocol)) return false;
  if (r.fromPort === null || r.toPort === null) return ports.length > 0;
  const [from, to] = [r.fromPort, r.toPort];
  return ports.some((p) => p >= from && p <= to);
}

/** The severity of one change under the given settings. */
export function severityOf(change: Change, s: SeveritySettings): Severity {
  if (change.kind === "group-deleted") return s.groupDeleted;
  if (change.kind === "exposure-added") {
    // The rule that became reachable decides, as if it had been added now.
    const r = change.rule;
    if (!r) return s.worldOpen;
    return isAllTraffic(r) || coversPort(r, s.sensitivePorts) ? s.exposureAdded : s.worldOpen;
  }
  // A description change never widens anything; only a new rule can.
  if (change.kind !== "rule-added" || change.rule === undefined) return s.other;
  const rule = change.rule;
  if (rule.direction !== "ingress") return s.other;
  // A broad range ranks like the world: 0.0.0.0/1 on port 22 is half the internet on SSH.
  if (!isBroadOpen(rule, s.broadSources)) return s.ingressAdded;
  return isAllTraffic(rule) || coversPort(rule, s.sensitivePorts) ? s.worldOpenSensitive : s.worldOpen;
}

/** The worst of the severities, or null for none. */
export function worstSeverity(list: Severity[]): Severity | null {
  let worst: Severity | null = null;
  for (const s of list) if (worst === null || severityRank(s) > severityRank(worst)) worst = s;
  return worst;
}
