// Guardrails: rules that must never exist, whatever any approval record says.
// They are written in the approval records' rule language (direction,
// protocol, ports, source; group selectors by id, name or tags) so one
// vocabulary describes both "allowed this week" and "never". This file holds
// the normalised shape the pure evaluators (violation.ts, record-conflicts.ts)
// consume; guardrail-schema.ts turns the config's YAML into it.

import type { ApprovalSource, PortRange } from "../approvals/fields.js";
import type { GroupSelector, RuleChangeEntry } from "../approvals/schema.js";
import type { Direction } from "../model/types.js";
import { parseSource, show, type FieldResult } from "../approvals/fields.js";

/**
 * Which peers a guardrail forbids. Unlike an approval's source (the rule must
 * lie inside it), a forbidden source is about breadth: the rule breaks the
 * guardrail when its peer reaches at least that far.
 * - world: exactly 0.0.0.0/0 or ::/0;
 * - broad: the world or a range the severity settings call broad (severity.broadSources);
 * - wider: a range of the family with a prefix this short or shorter ("/8 or wider");
 * - ipv4 / ipv6: a range that contains this CIDR (0.0.0.0/1 is broken by 0.0.0.0/0 too);
 * - prefix-list / security-group: exactly that peer;
 * - any: every peer.
 */
export type ForbiddenSource =
  | { kind: "world"; value: "world" }
  | { kind: "broad"; value: "broad" }
  | { kind: "wider"; family: 4 | 6; prefix: number; value: string }
  | ApprovalSource;

/** One kind of rule a guardrail forbids. */
export interface ForbidEntry {
  /** ingress or egress (default ingress). */
  direction: Direction;
  /** Canonical protocol (tcp, udp, icmp, icmpv6, all, a number) or "any"; a rule for all traffic breaks every protocol. */
  protocol: string;
  /** Forbidden ports (ICMP: types); a rule whose ports overlap them breaks it. null means every port. */
  ports: PortRange | null;
  /** Forbidden peers. */
  source: ForbiddenSource;
}

/** Rules a guardrail lets through after all: approval-style entries on selected groups. */
export interface GuardrailException {
  /** The groups the exception is for; null means every group the guardrail covers. */
  selector: GroupSelector | null;
  /** Rules allowed there, judged exactly as an approval record's entries (a rule inside one is allowed). */
  allow: RuleChangeEntry[];
}

/** One guardrail, normalised. */
export interface Guardrail {
  /** Unique id, named in every alert ("no-world-admin"). */
  id: string;
  /** Why the rule must never exist, shown beside the id. */
  reason: string;
  /** Account and region it is limited to; null means every one. */
  target: { account: string | null; region: string | null };
  /** The groups it covers; null means every group. */
  selector: GroupSelector | null;
  /** The rules it forbids; never empty. */
  forbid: ForbidEntry[];
  /** Rules it lets through on selected groups. */
  except: GuardrailException[];
}

/** Which guardrail a rule breaks, and why: what every channel shows. */
export interface GuardrailHit {
  /** The guardrail's id. */
  id: string;
  /** The guardrail's reason. */
  reason: string;
}

const WIDER = /^(ipv6\s+)?\/(\d{1,3})\s+or\s+wider$/i;

/** Parse a forbidden source: world, broad, "/8 or wider", "ipv6 /32 or wider", or an approval source (CIDR, pl-, sg-, any). */
export function parseForbiddenSource(v: unknown): FieldResult<ForbiddenSource> {
  if (typeof v !== "string") return { ok: false, message: `expected world, broad, "/8 or wider", a CIDR, pl-…, sg-… or any, got ${show(v)}` };
  const text = v.trim();
  const lower = text.toLowerCase();
  if (lower === "world") return { ok: true, value: { kind: "world", value: "world" } };
  if (lower === "broad") return { ok: true, value: { kind: "broad", value: "broad" } };
  const m = WIDER.exec(text);
  if (m) {
    const family: 4 | 6 = m[1] ? 6 : 4;
    const prefix = Number(m[2]);
    if (prefix > (family === 4 ? 32 : 128)) return { ok: false, message: `${show(v)}: an IPv${family} prefix is at most /${family === 4 ? 32 : 128}` };
    return { ok: true, value: { kind: "wider", family, prefix, value: `${family === 6 ? "ipv6 " : ""}/${prefix} or wider` } };
  }
  const r = parseSource(text);
  if (r.ok) return r;
  return { ok: false, message: `${r.message} (or world, broad, "/8 or wider", "ipv6 /32 or wider")` };
}

/** "tcp/22 from world", "all to ::/0": a forbid entry in the CLI's change-spec words. */
export function describeForbid(e: ForbidEntry): string {
  const ports = e.ports === null ? "" : e.ports.from === e.ports.to ? `/${e.ports.from}` : `/${e.ports.from}-${e.ports.to}`;
  const proto = e.protocol === "all" || e.protocol === "any" ? e.protocol : `${e.protocol}${ports}`;
  return `${e.direction === "egress" ? "egress " : ""}${proto} ${e.direction === "egress" ? "to" : "from"} ${e.source.value}`;
}
