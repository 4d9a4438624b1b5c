import type { GroupExposure } from "./attachment.js";
import type { Change, Severity } from "./types.js";

/** How a change was judged: its severity and whether an approval covers it. */
export interface Judgement {
  /** How urgent. */
  severity: Severity;
  /** approved when a change record covers it; unapproved changes alert. */
  status: "approved" | "unapproved";
  /** The covering record (the narrowest when several), else null. */
  approvalId: string | null;
  /** Every covering record. */
  approvalIds: string[];
  /** For unapproved changes: the nearest record and why it did not cover. */
  approvalNote: string | null;
  /** The guardrail the change breaks (src/policy/): then it is critical and never approved. Absent or null: none. */
  guardrail?: { id: string; reason: string } | null;
  /** True when the rule's peer is a broad range (not the world) and was ranked like the world for severity. */
  broadSource?: boolean;
  /** What the group exposes (network interfaces, public ones) after this poll; absent when interfaces were never read. */
  exposure?: GroupExposure;
  /** True when the severity was lowered because no interface uses the group: the alert says "not reachable now". */
  notReachable?: boolean;
}

/** A change with its judgement. */
export interface JudgedChange {
  change: Change;
  judgement: Judgement;
  /**
   * Set when recording found that this change undid an earlier unapproved one
   * (that change's id): the response that closed an incident, not drift.
   * Counted by nothing that counts unapproved drift (`poll --fail-on-drift`).
   */
  closes?: number;
}

/** True for an unapproved change that is drift to answer for: not one that undid an unapproved change. */
export function isOpenDrift(j: JudgedChange): boolean {
  return j.judgement.status === "unapproved" && j.closes === undefined;
}
