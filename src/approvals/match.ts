// Decide whether a detected change is covered by an approval record (pure).
// Covered means every criterion of coverage.ts holds for the record and at
// least one of its entries. Several covering records are ranked narrowest
// first so the stored record id is the most specific approval; when none
// covers, the record that came closest is named with the reasons it failed,
// so the alert tells the reader what to fix rather than only "unapproved".

import { cidrSizeBits, parseCidr } from "../model/cidr.js";
import type { Change } from "../model/types.js";
import { entryChecks, recordChecks, windowCheck, type Check } from "./coverage.js";
import type { ApprovalChange, ApprovalRecord } from "./schema.js";

/** Where and when a change was detected. */
export interface MatchContext {
  /** Account of the polled target. */
  account: string;
  /** Region of the polled target. */
  region: string;
  /** previous successful poll (ISO) or null */
  intervalStart: string | null;
  /** detecting poll time (ISO) */
  detectedAt: string;
}

/** The verdict on one change. */
export interface MatchResult {
  /** approved when at least one record covers the change. */
  status: "approved" | "unapproved";
  /** The narrowest covering record's id, or null. */
  recordId: string | null;
  /** Every covering record's id, narrowest first. */
  coveringIds: string[];
  /** When unapproved: the record that matched most criteria and why it did not cover; else null. */
  nearest: { recordId: string; reason: string } | null;
}

const ALL_PORTS_SPAN = 65536;
// Wider than any CIDR (IPv6 /0 is 128 bits), so `any` ranks after every range.
const ANY_SOURCE_BITS = 129;

/** Breadth of an entry, smaller is narrower: [ports span, source size in bits]. */
function breadth(entry: ApprovalChange): [number, number] {
  if (!("source" in entry)) return [0, 0];
  const span = entry.ports === null ? ALL_PORTS_SPAN : entry.ports.to - entry.ports.from + 1;
  const src = entry.source;
  const cidr = src.kind === "ipv4" || src.kind === "ipv6" ? parseCidr(src.value) : null;
  const bits = src.kind === "any" ? ANY_SOURCE_BITS : cidr !== null ? cidrSizeBits(cidr) : 0;
  return [span, bits];
}

interface Candidate {
  record: ApprovalRecord;
  /** Narrowest covering entry's breadth, then window length. */
  rank: [number, number, number];
}

function compareCandidates(a: Candidate, b: Candidate): number {
  for (let i = 0; i < 3; i++) {
    const d = (a.rank[i] ?? 0) - (b.rank[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.record.id < b.record.id ? -1 : a.record.id > b.record.id ? 1 : 0;
}

const allOk = (cs: readonly Check[]) => cs.every((c) => c.ok);
const passed = (cs: readonly Check[]) => cs.filter((c) => c.ok).length;

/** Judge one change against the (already filtered: not revoked) records. */
export function matchChange(change: Change, ctx: MatchContext, records: readonly ApprovalRecord[]): MatchResult {
  const covering: Candidate[] = [];
  let nearest: { record: ApprovalRecord; score: number; failed: Check[] } | null = null;
  for (const record of records) {
    const head = recordChecks(change, ctx, record);
    const win = windowCheck(ctx, record);
    const perEntry = record.changes.map((entry) => ({ entry, checks: entryChecks(change, entry) }));
    const coveringEntries = perEntry.filter((e) => allOk(e.checks)).map((e) => breadth(e.entry));
    if (allOk(head) && win.ok && coveringEntries.length > 0) {
      coveringEntries.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      const [span, bits] = coveringEntries[0] ?? [0, 0];
      covering.push({ record, rank: [span, bits, Date.parse(record.window.until) - Date.parse(record.window.from)] });
      continue;
    }
    // Only a record for this target and group can be "nearly" an approval of
    // the change; naming a ticket for another group would be noise.
    if (!allOk(head)) continue;
    // The entry closest to the change explains the record; the first wins ties.
    let best = perEntry[0];
    for (const e of perEntry) if (best === undefined || passed(e.checks) > passed(best.checks)) best = e;
    const checks = [...head, ...(best?.checks ?? []), win];
    // More criteria passed is closer; on a tie, failing a later entry criterion
    // (source after ports after protocol after direction after action) is
    // closer: "allowed 10.0.0.0/16, 10.0.0.0/8 was opened" is the same change
    // made wider, while a different port is a different change.
    const order = (best?.checks ?? []).reduce((acc, c, i, all) => acc + (c.ok ? 2 ** (all.length - 1 - i) : 0), 0);
    const score = passed(checks) * 64 + order;
    const better =
      nearest === null || score > nearest.score || (score === nearest.score && record.id < nearest.record.id);
    if (better) nearest = { record, score, failed: checks.filter((c) => !c.ok) };
  }
  if (covering.length > 0) {
    covering.sort(compareCandidates);
    const ids = covering.map((c) => c.record.id);
    return { status: "approved", recordId: ids[0] ?? null, coveringIds: ids, nearest: null };
  }
  return {
    status: "unapproved",
    recordId: null,
    coveringIds: [],
    nearest:
      nearest === null
        ? null
        : { recordId: nearest.record.id, reason: `${nearest.record.id} ${nearest.failed.map((c) => c.why).join("; ")}` },
  };
}
