// CIDR parsing shared by the normaliser (one spelling per range) and the
// approval matcher (is the observed range inside the approved one?).
// Addresses are held as bigint so IPv4 and IPv6 share one code path.

/** A parsed CIDR block. */
export interface Cidr {
  /** 4 or 6. */
  family: 4 | 6;
  /** The network address with host bits cleared. */
  network: bigint;
  /** Prefix length. */
  prefix: number;
}

const BITS = { 4: 32, 6: 128 } as const;

function parseIpv4(text: string): bigint | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseIpv6(text: string): bigint | null {
  let head = text;
  let tailV4: bigint | null = null;
  // An embedded dotted quad (::ffff:10.0.0.1) stands for the last two groups.
  const lastColon = head.lastIndexOf(":");
  if (head.includes(".") && lastColon >= 0) {
    tailV4 = parseIpv4(head.slice(lastColon + 1));
    if (tailV4 === null) return null;
    head = head.slice(0, lastColon + 1) + "0:0";
  }
  const doubles = head.split("::");
  if (doubles.length > 2) return null;
  const toGroups = (s: string): string[] => (s === "" ? [] : s.split(":"));
  const left = toGroups(doubles[0] ?? "");
  const right = doubles.length === 2 ? toGroups(doubles[1] ?? "") : [];
  const missing = 8 - left.length - right.length;
  if (doubles.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...left, ...Array<string>(doubles.length === 2 ? missing : 0).fill("0"), ...right];
  let value = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    value = (value << 16n) | BigInt(parseInt(g, 16));
  }
  if (tailV4 !== null) value = (value & ~0xffffffffn) | tailV4;
  return value;
}

/** Parse "10.0.0.0/8" or "2001:db8::/32". Returns null when it is not a valid CIDR. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf("/");
  if (slash <= 0) return null;
  const addr = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  const family: 4 | 6 = addr.includes(":") ? 6 : 4;
  if (prefix > BITS[family]) return null;
  const value = family === 4 ? parseIpv4(addr) : parseIpv6(addr);
  if (value === null) return null;
  const hostBits = BigInt(BITS[family] - prefix);
  const network = (value >> hostBits) << hostBits;
  return { family, network, prefix };
}

function formatIpv4(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join(".");
}

function formatIpv6(v: bigint): string {
  const groups: number[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(Number((v >> s) & 0xffffn));
  // RFC 5952: compress the longest run (length >= 2) of zero groups, the first one on ties.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

/** The one spelling of a CIDR: host bits cleared, IPv6 lowercased and compressed. */
export function formatCidr(c: Cidr): string {
  return `${c.family === 4 ? formatIpv4(c.network) : formatIpv6(c.network)}/${c.prefix}`;
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/**
 * The canonical spelling of an IPv4 CIDR, or null when `text` is not one.
 * Plain 32-bit arithmetic: nearly every rule has an IPv4 range, and the
 * general BigInt path dominated normalising a large account.
 */
export function canonicalIpv4Cidr(text: string): string | null {
  const m = IPV4_CIDR.exec(text);
  if (m === null) return null;
  const o = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  const prefix = Number(m[5]);
  if (prefix > 32 || o.some((x) => x > 255)) return null;
  const value = ((o[0] as number) * 2 ** 24 + (o[1] as number) * 2 ** 16 + (o[2] as number) * 2 ** 8 + (o[3] as number)) >>> 0;
  const network = prefix === 0 ? 0 : (value & (0xffffffff << (32 - prefix))) >>> 0;
  return `${network >>> 24}.${(network >>> 16) & 255}.${(network >>> 8) & 255}.${network & 255}/${prefix}`;
}

/** Canonical spelling of a CIDR text, or the text unchanged (trimmed) when it does not parse. */
export function canonicalCidr(text: string): string {
  const parsed = parseCidr(text.trim());
  return parsed ? formatCidr(parsed) : text.trim();
}

/** True when every address of `inner` is also in `outer` (same family only). */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || inner.prefix < outer.prefix) return false;
  const hostBits = BigInt(BITS[outer.family] - outer.prefix);
  return inner.network >> hostBits === outer.network >> hostBits;
}

/** Number of addresses in the block, as a power of two exponent (for "narrowest wins"). */
export function cidrSizeBits(c: Cidr): number {
  return BITS[c.family] - c.prefix;
}

/** "World" means exactly 0.0.0.0/0 or ::/0, per the design notes. */
export function isWorldCidr(text: string): boolean {
  const c = parseCidr(text);
  return c !== null && c.prefix === 0;
}
