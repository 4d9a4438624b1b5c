// Posture (pure): what is wrong with the account as it stands, not what
// changed. A baseline poll sends this instead of staying silent, and
// `sgwatch report` shows it from the database: every current rule is judged
// the way an added rule would be (guardrails first, then breadth and port
// sensitivity, then blast radius), so a finding here and an alert for the
// same rule added later agree on severity.
import { blastSeverity } from "../model/blast.js";
import type { GroupExposure } from "../model/attachment.js";
import { ruleKey } from "../model/rule-key.js";
import { coversPort, isAllTraffic, isBroadOpen, isWorldOpen, severityOf, type SeveritySettings } from "../model/severity.js";
import { severityRank, type GroupState, type Rule, type Severity } from "../model/types.js";
import type { Guardrail, GuardrailHit } from "./guardrail.js";
import { ruleViolation, type PlaceContext } from "./violation.js";

/** Why a rule is in the posture. */
export type PostureReason = "guardrail" | "world-open-sensitive" | "broad-open-sensitive" | "world-open-public" | "broad-open-public";

/** One current rule that needs a person's attention. */
export interface PostureFinding {
  /** sg-… id. */
  groupId: string;
  /** The group's name (untrusted text). */
  groupName: string;
  /** The rule as it stands. */
  rule: Rule;
  /** Severity as if the rule were added now (guardrail: critical; blast radius applied). */
  severity: Severity;
  /** Every reason it is here, in a fixed order. */
  reasons: PostureReason[];
  /** The guardrail it breaks, or null. */
  guardrail: GuardrailHit | null;
  /** What the group exposes, when interfaces were read. */
  exposure: GroupExposure | null;
}

/** What the posture is judged from. */
export interface PostureInput {
  /** The target's groups as they stand now. */
  groups: readonly GroupState[];
  /** The target's account and region (guardrails may be limited to them). */
  place: PlaceContext;
  /** Configured guardrails, in config order. */
  guardrails: readonly Guardrail[];
  /** Severity settings (sensitive ports, broad sources, blast radius). */
  severity: SeveritySettings;
  /** What a group exposes; absent or undefined for a group when interfaces were never read. */
  exposure?: (groupId: string) => GroupExposure | undefined;
}

function sensitive(rule: Rule, s: SeveritySettings): boolean {
  return isAllTraffic(rule) || coversPort(rule, s.sensitivePorts);
}

/** The findings of one target, worst first, guardrail violations first within a severity, then by group id and rule. Empty when nothing needs attention. */
export function postureFindings(input: PostureInput): PostureFinding[] {
  const { severity: s } = input;
  const out: Array<PostureFinding & { key: string }> = [];
  for (const g of input.groups) {
    const ctx = { groupId: g.groupId, groupName: g.name, groupTags: g.tags };
    const exposure = input.exposure?.(g.groupId);
    for (const rule of g.rules) {
      const hit = ruleViolation(rule, ctx, input.place, input.guardrails, s.broadSources);
      const ingress = rule.direction === "ingress";
      const world = ingress && isWorldOpen(rule);
      const broad = ingress && !world && isBroadOpen(rule, s.broadSources);
      const reasons: PostureReason[] = [];
      if (hit) reasons.push("guardrail");
      if (world && sensitive(rule, s)) reasons.push("world-open-sensitive");
      else if (broad && sensitive(rule, s)) reasons.push("broad-open-sensitive");
      // Any world-open (or broad) port on a group something public uses is reachable now, sensitive or not.
      const reachable = exposure !== undefined && exposure.publicInterfaces > 0;
      if (world && reachable) reasons.push("world-open-public");
      else if (broad && reachable) reasons.push("broad-open-public");
      if (reasons.length === 0) continue;
      const asAdded = { kind: "rule-added" as const, ...ctx, vpcId: g.vpcId, rule };
      const sev: Severity = hit ? "critical" : blastSeverity(asAdded, severityOf(asAdded, s), exposure, s).severity;
      out.push({ groupId: g.groupId, groupName: g.name, rule, severity: sev, reasons, guardrail: hit, exposure: exposure ?? null, key: ruleKey(rule) });
    }
  }
  // Within a severity, guardrail violations lead: they must go whatever else is true.
  out.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || Number(b.guardrail !== null) - Number(a.guardrail !== null) || (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return out.map(({ key: _key, ...f }) => f);
}
