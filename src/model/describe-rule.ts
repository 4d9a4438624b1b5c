// Short human text for a rule, used in log lines, emails and the CLI. One
// line, no description (that is free text and rendered separately, escaped).

import { ICMP_PROTOCOLS } from "./protocol.js";
import type { Rule } from "./types.js";

const LABELS: Readonly<Record<string, string>> = { tcp: "TCP", udp: "UDP", icmp: "ICMP", icmpv6: "ICMPv6" };

/** The rule's ports as compact text: "22", "20-25", "all", or "type 8/code -1" for ICMP. */
export function formatPorts(r: Rule): string {
  if (r.fromPort === null || r.toPort === null) return "all";
  if (ICMP_PROTOCOLS.has(r.protocol)) return `type ${r.fromPort}/code ${r.toPort}`;
  return r.fromPort === r.toPort ? String(r.fromPort) : `${r.fromPort}-${r.toPort}`;
}

function traffic(r: Rule): string {
  if (r.protocol === "all") return "all traffic";
  const label = LABELS[r.protocol] ?? `protocol ${r.protocol}`;
  if (ICMP_PROTOCOLS.has(r.protocol)) {
    const any = (n: number | null): string => (n === null || n === -1 ? "any" : String(n));
    // Type -1 means every type, and then the code is necessarily any too.
    return r.fromPort === null || r.fromPort === -1 ? `${label} all types` : `${label} type ${r.fromPort} code ${any(r.toPort)}`;
  }
  if (r.protocol !== "tcp" && r.protocol !== "udp") return label;
  return r.fromPort === null ? `${label} all ports` : `${label} ${formatPorts(r)}`;
}

function peer(r: Rule): string {
  if (r.sourceKind !== "security-group") return r.source;
  const notes = [
    ...(r.sourceAccount !== null ? [`account ${r.sourceAccount}`] : []),
    ...(r.peeringId !== null ? [`via ${r.peeringId}`] : []),
  ];
  return notes.length === 0 ? r.source : `${r.source} (${notes.join(", ")})`;
}

/** E.g. "TCP 22 from 0.0.0.0/0", "all traffic to 0.0.0.0/0", "UDP 53 from pl-0abc". */
export function describeRule(r: Rule): string {
  return `${traffic(r)} ${r.direction === "egress" ? "to" : "from"} ${peer(r)}`;
}
