// Which failed calls are attempts someone was not allowed to make, and how
// bad the change they tried would have been. Pure.
//
// Authorisation failures (a stolen or over-reaching key) alert; every other
// failure (InvalidPermission.Duplicate, a malformed request) is stored and
// shown by `sgwatch events --failed` only. DryRunOperation means the caller
// *was* allowed (it asked without acting) and never alerts.
import { severityOf, type SeveritySettings } from "../model/severity.js";
import { severityRank, type Change, type Rule, type Severity } from "../model/types.js";
import type { ModifiedRule } from "./event-record.js";

const AUTHORISATION_CODES = new Set([
  "UnauthorizedOperation",
  "AccessDenied",
  "AccessDeniedException",
  "AuthFailure",
  "UnauthorizedAccess",
  "InvalidClientTokenId",
  "SignatureDoesNotMatch",
  "OptInRequired",
]);

/** True for an errorCode that says the caller was not allowed (Client.UnauthorizedOperation, AccessDenied, AuthFailure …). */
export function isAuthorizationFailure(errorCode: string | null): boolean {
  if (errorCode === null) return false;
  const code = errorCode.replace(/^(Client|Server)\./, "");
  if (code === "DryRunOperation") return false;
  return AUTHORISATION_CODES.has(code) || AUTHORISATION_CODES.has(code.split(".")[0] ?? "");
}

/** The rules of a trail_events row (its `rules` JSON). */
export interface AttemptedRules {
  /** Rules it tried to add. */
  added: Rule[];
  /** Rules it tried to remove. */
  removed: Rule[];
  /** Rules whose description it tried to set. */
  described: Rule[];
  /** Rules it tried to modify (ModifySecurityGroupRules). */
  modified: ModifiedRule[];
}

/**
 * The worst severity the call would have had, had it worked: each rule judged
 * as the change it asked for (a modified rule as an added ingress: the call
 * does not say the direction, and opening is what matters). A call naming no
 * rule (create, delete, tags) is judged by its kind.
 */
export function wouldBeSeverity(eventName: string, rules: AttemptedRules, groupId: string | null, settings: SeveritySettings): Severity {
  const base = { groupId: groupId ?? "", groupName: "", vpcId: null, groupTags: {} };
  const changes: Change[] = [
    ...rules.added.map((rule): Change => ({ ...base, kind: "rule-added", rule })),
    ...rules.removed.map((rule): Change => ({ ...base, kind: "rule-removed", rule })),
    ...rules.described.map((rule): Change => ({ ...base, kind: "rule-description-changed", rule })),
    ...rules.modified.map((m): Change => ({ ...base, kind: "rule-added", rule: { ...m.rule, direction: "ingress" } })),
  ];
  if (changes.length === 0) {
    if (eventName === "DeleteSecurityGroup") changes.push({ ...base, kind: "group-deleted" });
    else if (eventName === "CreateSecurityGroup") changes.push({ ...base, kind: "group-created" });
    else changes.push({ ...base, kind: "group-changed" });
  }
  return changes.map((c) => severityOf(c, settings)).reduce((w, s) => (severityRank(s) > severityRank(w) ? s : w), "low" as Severity);
}
