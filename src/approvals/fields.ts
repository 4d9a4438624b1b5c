// Scalar parsers shared by the record schema (YAML files) and the CLI change
// spec, so both spell and reject values the same way. Each returns a result
// rather than throwing: the schema turns failures into zod issues with a path,
// the CLI into one error line.

import { formatCidr, parseCidr } from "../model/cidr.js";
import { parseIsoTime } from "../util/time.js";
import { firstUnsafeChar } from "../util/printable.js";

/** Outcome of parsing one field. */
export type FieldResult<T> = { ok: true; value: T } | { ok: false; message: string };

/** An inclusive port range (for ICMP: a range of ICMP types). */
export interface PortRange {
  /** First port. */
  from: number;
  /** Last port, >= from. */
  to: number;
}

/** What an approved change entry allows as the peer of a rule. */
export interface ApprovalSource {
  /** Kind of peer; `any` matches every peer. */
  kind: "ipv4" | "ipv6" | "prefix-list" | "security-group" | "any";
  /** Canonical text: the CIDR as formatCidr spells it, the pl-/sg- id, or "any". */
  value: string;
}

const ok = <T>(value: T): FieldResult<T> => ({ ok: true, value });
const fail = (message: string): FieldResult<never> => ({ ok: false, message });

/**
 * Why free text a person wrote (an id, a reason, a name) cannot be stored, or
 * null when it can: a control character, line break or bidi override would
 * recolour, reorder or forge what the next reader of a table or an alert sees.
 */
export function plainTextProblem(text: string): string | null {
  const ch = firstUnsafeChar(text);
  return ch === null ? null : `contains the control character ${ch}; control characters, line breaks and bidi overrides are not allowed`;
}

/** Quote a user value for messages, whatever its type. */
export function show(v: unknown): string {
  if (v === undefined) return "undefined";
  return JSON.stringify(v) ?? String(v);
}

/** Parse an ISO-8601 instant ("2026-12-01T18:00Z", "...:00.000+02:00") to canonical UTC ("2026-12-01T16:00:00Z"). */
export function parseInstant(v: unknown): FieldResult<string> {
  if (typeof v !== "string") return fail(`expected an ISO-8601 time such as "2026-12-01T18:00Z", got ${show(v)}`);
  // The zone is required in a record: a file outlives the shell that wrote it,
  // and a window must not depend on where it is read (util/time.ts).
  const t = parseIsoTime(v, "reject");
  if (t.ok) return ok(formatInstant(t.ms));
  if (t.problem === "impossible") return fail(`${show(v)} is not a valid date and time`);
  return fail(`${show(v)} is not an ISO-8601 time with a zone, such as "2026-12-01T18:00Z"`);
}

/** Canonical UTC text of an epoch-ms instant: ISO with Z, milliseconds only when non-zero. */
export function formatInstant(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

/** Named protocols, and the numbers AWS uses for them (the canonical model names them). */
const PROTOCOL_NUMBERS: Record<string, string> = { "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "-1": "all" };
const PROTOCOL_NAMES = new Set(["tcp", "udp", "icmp", "icmpv6", "all", "any"]);

/** Parse a protocol: tcp, udp, icmp, icmpv6, all, any, or an IP protocol number (6 becomes tcp, as in the canonical rule). */
export function parseProtocol(v: unknown): FieldResult<string> {
  const text = typeof v === "number" ? String(v) : typeof v === "string" ? v.trim().toLowerCase() : null;
  if (text === null) return fail(`expected tcp, udp, icmp, icmpv6, all, any or a protocol number, got ${show(v)}`);
  if (PROTOCOL_NAMES.has(text)) return ok(text);
  const named = PROTOCOL_NUMBERS[text];
  if (named !== undefined) return ok(named);
  if (/^\d{1,3}$/.test(text) && Number(text) <= 255) return ok(String(Number(text)));
  return fail(`${show(v)} is not a protocol (tcp, udp, icmp, icmpv6, all, any or a number 0-255)`);
}

/** Parse ports: 443, "443", "8000-8080", or "all" (null). Bounds are checked against `max`. */
export function parsePorts(v: unknown, max = 65535): FieldResult<PortRange | null> {
  const text = typeof v === "number" ? String(v) : typeof v === "string" ? v.trim().toLowerCase() : null;
  const expected = `a port (443), a range ("8000-8080") or all`;
  if (text === null) return fail(`expected ${expected}, got ${show(v)}`);
  if (text === "all") return ok(null);
  const m = /^(\d{1,5})(?:\s*-\s*(\d{1,5}))?$/.exec(text);
  if (!m) return fail(`${show(v)} is not ${expected}`);
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from > max || to > max) return fail(`${show(v)} is out of range 0-${max}`);
  if (from > to) return fail(`${show(v)} starts after it ends`);
  return ok({ from, to });
}

/** Parse a rule peer: an IPv4 or IPv6 CIDR, a pl-… prefix list, an sg-… group, or "any". */
export function parseSource(v: unknown): FieldResult<ApprovalSource> {
  if (typeof v !== "string") return fail(`expected a CIDR, pl-…, sg-… or any, got ${show(v)}`);
  const text = v.trim();
  const lower = text.toLowerCase();
  if (lower === "any") return ok({ kind: "any", value: "any" });
  if (/^pl-[0-9a-f]+$/.test(lower)) return ok({ kind: "prefix-list", value: lower });
  if (/^sg-[0-9a-f]+$/.test(lower)) return ok({ kind: "security-group", value: lower });
  if (lower.startsWith("pl-") || lower.startsWith("sg-")) return fail(`${show(v)} is not a valid ${lower.slice(0, 2)}- id`);
  const cidr = parseCidr(text);
  if (!cidr) return fail(`${show(v)} is not a valid CIDR`);
  return ok({ kind: cidr.family === 4 ? "ipv4" : "ipv6", value: formatCidr(cidr) });
}

/** Words for a port range in messages: "port 443", "ports 8000-8080", "all ports". */
export function describePorts(p: PortRange | null): string {
  if (p === null) return "all ports";
  return p.from === p.to ? `port ${p.from}` : `ports ${p.from}-${p.to}`;
}
