// Protocol and port spellings. AWS accepts and returns the same protocol as a
// name or an IANA number ("tcp" / "6", "-1" for all); the canonical rule keeps
// one spelling so the same rule never reads as two.

/** Protocols that carry ports (fromPort..toPort is a port range). */
export const PORT_PROTOCOLS: ReadonlySet<string> = new Set(["tcp", "udp"]);

/** Protocols whose "ports" are an ICMP type (fromPort) and code (toPort). */
export const ICMP_PROTOCOLS: ReadonlySet<string> = new Set(["icmp", "icmpv6"]);

const BY_NUMBER: ReadonlyMap<number, string> = new Map([
  [-1, "all"],
  [1, "icmp"],
  [6, "tcp"],
  [17, "udp"],
  [58, "icmpv6"],
]);

/**
 * The canonical spelling of an IpProtocol value, or null when it is not a
 * protocol at all (empty, a number outside -1..255, or stray characters).
 */
export function canonicalProtocol(text: string): string | null {
  const t = text.trim().toLowerCase();
  if (/^-?\d{1,3}$/.test(t)) {
    const n = Number(t);
    if (n < -1 || n > 255) return null;
    return BY_NUMBER.get(n) ?? String(n);
  }
  // Names: AWS documents tcp, udp, icmp, icmpv6 and -1; accept any short
  // lowercase token so a new name is recorded rather than failing every poll.
  return /^[a-z][a-z0-9-]{0,31}$/.test(t) ? t : null;
}

/** Largest TCP/UDP port. */
export const MAX_PORT = 65535;
