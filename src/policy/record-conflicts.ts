// Would an approval record cover a guardrail? Pure. A record allows a set of
// rules (every rule inside one of its entries, on the groups it selects); it
// conflicts with a guardrail when some rule of that set breaks it and no
// exception lets that whole entry through. `sgwatch approve` refuses such a
// record and `check-config` reports file records that are; the judge would
// leave the changes unapproved anyway, but the person writing the record
// should hear it before the change is made, not from a critical alert after.
//
// Unknown is treated as overlapping: a record for group "web" and a guardrail
// for groups tagged env=prod conflict unless the group is known (from the
// database) and is not tagged so.

import type { ApprovalRecord, GroupSelector, RuleChangeEntry } from "../approvals/schema.js";
import { describeEntry } from "../approvals/describe.js";
import { selectorCheck } from "../approvals/coverage.js";
import { cidrContains, parseCidr } from "../model/cidr.js";
import { isBroadCidr, type BroadSources } from "../model/severity.js";
import type { ApprovalSource, PortRange } from "../approvals/fields.js";
import { describeForbid, type ForbidEntry, type ForbiddenSource, type Guardrail } from "./guardrail.js";
import type { GroupContext } from "./violation.js";

/** One record entry that would allow what a guardrail forbids. */
export interface RecordConflict {
  /** The guardrail's id. */
  guardrailId: string;
  /** The guardrail's reason. */
  reason: string;
  /** The record entry in words ("add ingress tcp/22 from 0.0.0.0/0"). */
  entry: string;
  /** The forbidden rule it overlaps, in words ("tcp/22 from world"). */
  forbid: string;
}

const overlap = (a: PortRange, b: PortRange): boolean => a.from <= b.to && a.to >= b.from;
const within = (inner: PortRange, outer: PortRange): boolean => inner.from >= outer.from && inner.to <= outer.to;

/** Can a rule allowed by the entry (protocol-wise) be caught by the forbid entry? */
function protocolsMeet(e: RuleChangeEntry, f: ForbidEntry): boolean {
  // The entry allows only rules of its protocol ("any": every protocol, "all": all-traffic rules, which break every protocol).
  return e.protocol === "any" || e.protocol === "all" || f.protocol === "any" || e.protocol === f.protocol;
}

function portsMeet(e: RuleChangeEntry, f: ForbidEntry): boolean {
  if (e.ports === null || f.ports === null) return true;
  // An entry for any protocol also allows an all-traffic rule, which has every port.
  if (e.protocol === "any" || e.protocol === "all") return true;
  return overlap(e.ports, f.ports);
}

/** Is there a peer inside the approved source that reaches the forbidden one? */
function sourcesMeet(s: ApprovalSource, f: ForbiddenSource, broad: BroadSources): boolean {
  if (f.kind === "any" || s.kind === "any") return true;
  if (f.kind === "prefix-list" || f.kind === "security-group" || s.kind === "prefix-list" || s.kind === "security-group") {
    return f.kind === s.kind && f.value === s.value;
  }
  // s is a CIDR; the widest rule it allows is s itself, and breadth only grows with width.
  const c = parseCidr(s.value);
  if (c === null) return false;
  switch (f.kind) {
    case "world":
      return c.prefix === 0;
    case "broad":
      return isBroadCidr(s.value, broad);
    case "wider":
      return c.family === f.family && c.prefix <= f.prefix;
    case "ipv4":
    case "ipv6": {
      const g = parseCidr(f.value);
      return g !== null && cidrContains(c, g);
    }
  }
}

/** Does every rule the entry allows fit inside the exception's allowed entry? */
function entryWithin(e: RuleChangeEntry, x: RuleChangeEntry): boolean {
  if (e.direction !== x.direction) return false;
  if (x.protocol !== "any" && x.protocol !== e.protocol) return false;
  if (x.ports !== null && (e.ports === null || !within(e.ports, x.ports))) return false;
  const xs = x.source;
  const es = e.source;
  if (xs.kind === "any") return true;
  if (es.kind === "any") return false;
  if (xs.kind === "prefix-list" || xs.kind === "security-group" || es.kind === "prefix-list" || es.kind === "security-group") return xs.kind === es.kind && xs.value === es.value;
  const outer = parseCidr(xs.value);
  const inner = parseCidr(es.value);
  return outer !== null && inner !== null && cidrContains(outer, inner);
}

/** Might the two selectors pick a common group? With the group known, decide exactly. */
function selectorsMeet(g: GroupSelector | null, r: GroupSelector, known: GroupContext | null): boolean {
  if (g === null) return true;
  if (known !== null) return selectorCheck(known, g).ok;
  if (g.kind === r.kind) {
    if (g.kind === "groupId" && r.kind === "groupId") return g.groupId === r.groupId;
    if (g.kind === "groupName" && r.kind === "groupName") return g.groupName === r.groupName;
    if (g.kind === "tags" && r.kind === "tags") return Object.entries(g.tags).every(([k, v]) => r.tags[k] === undefined || r.tags[k] === v);
  }
  return true;
}

/** Does the exception's selector surely pick every group the record selects? */
function selectorSurelyCovers(x: GroupSelector | null, r: GroupSelector, known: GroupContext | null): boolean {
  if (x === null) return true;
  if (known !== null) return selectorCheck(known, x).ok;
  if (x.kind === "groupId" && r.kind === "groupId") return x.groupId === r.groupId;
  if (x.kind === "groupName" && r.kind === "groupName") return x.groupName === r.groupName;
  if (x.kind === "tags" && r.kind === "tags") return Object.entries(x.tags).every(([k, v]) => r.tags[k] === v);
  return false;
}

function targetsMeet(g: Guardrail, r: ApprovalRecord): boolean {
  const meet = (a: string | null, b: string | null) => a === null || b === null || a === b;
  return meet(g.target.account, r.target.account) && meet(g.target.region, r.target.region);
}

/**
 * Every (entry, guardrail) pair where the record would allow a forbidden rule.
 * `known` is the record's group when it selects one group that the database
 * knows; then selectors are decided on its real name and tags.
 */
export function recordConflicts(record: ApprovalRecord, guardrails: readonly Guardrail[], broad: BroadSources, known: GroupContext | null = null): RecordConflict[] {
  const out: RecordConflict[] = [];
  for (const entry of record.changes) {
    // Only an entry that can add a rule can make a forbidden rule exist.
    if (!("source" in entry) || (entry.action !== "add" && entry.action !== "any")) continue;
    for (const g of guardrails) {
      if (!targetsMeet(g, record) || !selectorsMeet(g.selector, record.selector, known)) continue;
      const hit = g.forbid.find(
        (f) => f.direction === entry.direction && protocolsMeet(entry, f) && portsMeet(entry, f) && sourcesMeet(entry.source, f.source, broad),
      );
      if (hit === undefined) continue;
      const allowed = g.except.some((x) => selectorSurelyCovers(x.selector, record.selector, known) && x.allow.some((a) => entryWithin(entry, a)));
      if (allowed) continue;
      out.push({ guardrailId: g.id, reason: g.reason, entry: describeEntry(entry), forbid: describeForbid(hit) });
    }
  }
  return out;
}

/** "add ingress tcp/22 from 0.0.0.0/0 would allow tcp/22 from world, which guardrail no-world-ssh forbids: reason". */
export function describeConflict(c: RecordConflict): string {
  return `${c.entry} would allow ${c.forbid}, which guardrail ${c.guardrailId} forbids (${c.reason})`;
}
