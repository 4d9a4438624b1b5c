// Shared wording for every channel: one change, one target, one line each.
import type { ActorFinding, AlertChange, AlertTarget } from "../../model/alert-payload.js";
import { describeRule } from "../../model/describe-rule.js";
import { isWorldCidr } from "../../model/cidr.js";
import type { GroupAttributes } from "../../model/types.js";
import { oneLine } from "./sanitize.js";
import { humanDuration } from "../../util/time.js";
import { securityGroupConsoleUrl } from "../../model/partition.js";

export function targetName(t: AlertTarget): string {
  return t.label ? `${oneLine(t.label, 64)} (${t.account})` : t.account;
}

export function groupLabel(c: Pick<AlertChange, "groupId" | "groupName">): string {
  return c.groupName ? `${c.groupId} (${oneLine(c.groupName, 80)})` : c.groupId;
}

/** A rule in words for people: "TCP 22 from 0.0.0.0/0 — anyone on the internet", "all traffic from sg-0ab (app-prod)". */
export function ruleInWords(c: Pick<AlertChange, "rule" | "peerName" | "broadSource">): string {
  if (!c.rule) return "a rule";
  const text = describeRule(c.rule);
  if (isWorldCidr(c.rule.source) && (c.rule.sourceKind === "ipv4" || c.rule.sourceKind === "ipv6")) {
    return `${text} — ${c.rule.direction === "ingress" ? "anyone on the internet" : "anywhere on the internet"}`;
  }
  if (c.broadSource) return `${text} — a broad range, ranked like the internet`;
  return c.peerName ? `${text} (${oneLine(c.peerName, 80)})` : text;
}

/** "tcp/22", "tcp/20-25", "udp", "icmp", "all traffic": a rule's protocol and ports, short. */
export function portsShort(rule: NonNullable<AlertChange["rule"]>): string {
  if (rule.protocol === "all") return "all traffic";
  if (rule.fromPort === null || rule.protocol === "icmp" || rule.protocol === "icmpv6") return rule.protocol;
  return rule.fromPort === rule.toPort ? `${rule.protocol}/${rule.fromPort}` : `${rule.protocol}/${rule.fromPort}-${rule.toPort}`;
}

/** A change for a subject line: "tcp/22 opened to the internet", "tcp/5432 from sg-0ab removed". */
export function shortChangeText(c: AlertChange): string {
  const r = c.rule;
  if (!r) return c.kind === "group-changed" ? "group name, VPC or tags changed" : c.kind.replace("-", " ");
  const world = isWorldCidr(r.source) && (r.sourceKind === "ipv4" || r.sourceKind === "ipv6");
  const peer = world ? "the internet" : c.broadSource ? `broad range ${oneLine(r.source, 80)}` : oneLine(c.peerName ?? r.source, 80);
  const what = `${r.direction === "egress" ? "egress " : ""}${portsShort(r)}`;
  switch (c.kind) {
    case "rule-added":
      return `${what} opened to ${peer}`;
    case "rule-removed":
      return `${what} ${r.direction === "egress" ? "to" : "from"} ${peer} removed`;
    case "exposure-added":
      return `${what} from ${peer} now reachable on a public interface`;
    default:
      return `description of ${what} ${r.direction === "egress" ? "to" : "from"} ${peer} changed`;
  }
}

/** What changed, in words, without the group. */
export function changeText(c: AlertChange): string {
  switch (c.kind) {
    case "rule-added":
      return `added ${ruleInWords(c)}`;
    case "rule-removed":
      return `removed ${ruleInWords(c)}`;
    case "rule-description-changed":
      return `description of ${ruleInWords(c)} changed from "${oneLine(c.oldDescription ?? "")}" to "${oneLine(c.rule?.description ?? "")}"`;
    case "group-created":
      return "group created";
    case "group-deleted":
      return "group deleted";
    case "group-changed":
      return groupChangeText(c.before, c.after);
    case "exposure-added": {
      const via = c.exposedVia;
      const where = via ? ` through ${interfaceName(via)}` : "";
      // Only a world-open or broad rule becomes an exposure: one that is not the world is broad.
      const from = c.rule && !isWorldCidr(c.rule.source) ? "a broad range" : "the internet";
      return `now reachable from ${from}${where}: ${ruleInWords(c)}`;
    }
  }
}

/** "i-0ab…, 203.0.113.7" or "eni-0cd… (load-balancer), 198.51.100.4". */
function interfaceName(i: { interfaceId: string; instanceId: string | null; kind: string; publicIp: string }): string {
  const who = i.instanceId ? oneLine(i.instanceId, 40) : `${oneLine(i.interfaceId, 40)} (${oneLine(i.kind, 20)})`;
  return `${who}, ${oneLine(i.publicIp, 64)}`;
}

/**
 * Blast radius in words: "bastion (sg-…) is attached to 2 network interfaces,
 * 1 with a public IP (i-0ab…, 203.0.113.7)" / "… is attached to nothing —
 * not reachable now". Null when interfaces were never read.
 */
export function exposureText(c: Pick<AlertChange, "groupId" | "groupName" | "exposure" | "notReachable">, detectedAt?: string): string | null {
  const e = c.exposure;
  if (!e) return null;
  // With aws.interfacesEvery > 1 the interfaces may be older than the change: say when they were read.
  const stale = detectedAt !== undefined && e.asOf !== detectedAt;
  const when = stale ? ` (interfaces as read at ${oneLine(e.asOf, 40)})` : "";
  const group = c.groupName ? `${oneLine(c.groupName, 80)} (${c.groupId})` : c.groupId;
  if (e.interfaces === 0) return `${group} is attached to nothing${c.notReachable ? (stale ? " — not reachable then" : " — not reachable now") : ""}${when}`;
  const n = `${e.interfaces} network interface${e.interfaces === 1 ? "" : "s"}`;
  if (e.publicInterfaces === 0) return `${group} is attached to ${n}, none with a public IP${when}`;
  const shown = e.publicExamples.map((p) => interfaceName(p)).join("; ");
  const more = e.publicInterfaces > e.publicExamples.length ? `; and ${e.publicInterfaces - e.publicExamples.length} more` : "";
  return `${group} is attached to ${n}, ${e.publicInterfaces} with a public IP (${shown}${more})${when}`;
}

/** "group changed: name "a" → "b"; tags {…} → {…}", for a group-changed change. */
export function groupChangeText(before: Partial<GroupAttributes> | null | undefined, after: Partial<GroupAttributes> | null | undefined): string {
  const parts: string[] = [];
  for (const key of ["name", "vpcId", "tags"] as const) {
    if (before?.[key] === undefined && after?.[key] === undefined) continue;
    parts.push(`${key} ${oneLine(JSON.stringify(before?.[key] ?? null))} → ${oneLine(JSON.stringify(after?.[key] ?? null))}`);
  }
  return `group changed: ${parts.join("; ")}`;
}

/** The AWS console page of a group, on the console of the region's partition (China, GovCloud). */
export function consoleUrl(region: string, groupId: string): string {
  return securityGroupConsoleUrl(region, groupId);
}

/** The command that acknowledges the listed changes. */
export function ackCommand(ids: number[]): string {
  return `sgwatch ack ${ids.join(" ")} --by YOUR_NAME --reason "why this change is fine"`;
}

/** "undoes #12, which was in effect for 2 h 13 min", or null. */
export function revertText(c: AlertChange): string | null {
  if (!c.reverts) return null;
  return `undoes unapproved change #${c.reverts.changeId}, which was in effect for ${humanDuration(c.reverts.exposureSeconds * 1000)} (as observed between polls)`;
}

/** "breaks guardrail no-world-ssh: SSH is never open to the internet", or null. */
export function guardrailText(c: Pick<AlertChange, "guardrail">): string | null {
  if (!c.guardrail) return null;
  return `breaks guardrail ${oneLine(c.guardrail.id, 64)}: ${oneLine(c.guardrail.reason, 300)} (no approval can cover it)`;
}

/**
 * The change whose approval snippet an alert may offer: never a critical one
 * (whatever is that dangerous should be removed or approved before it is
 * made, not waved through next time) and never one that broke a guardrail.
 */
export function snippetChange(changes: readonly AlertChange[]): AlertChange | null {
  // approvalSnippet is null for kinds a record cannot name (a group-changed change); the date does not matter here.
  return changes.find((c) => c.severity !== "critical" && !c.guardrail && approvalSnippet(c, "1970-01-01") !== null) ?? null;
}

/** The approval record that would have pre-approved this change (YAML, docs/approvals.md). */
export function approvalSnippet(c: AlertChange, detectedAt: string): string | null {
  const action: Record<string, string> = {
    "rule-added": "add",
    "rule-removed": "remove",
    "rule-description-changed": "modify-description",
    "group-created": "create-group",
    "group-deleted": "delete-group",
  };
  const a = action[c.kind];
  if (!a) return null;
  const lines = [
    "id: CHG-XXXX            # your ticket",
    "reason: why this change is needed",
    "approvedBy: your-name",
    `window: { from: "${detectedAt.slice(0, 10)}T00:00:00Z", until: "${detectedAt.slice(0, 10)}T23:59:59Z" }`,
    `groupId: ${c.groupId}`,
    "changes:",
    `  - action: ${a}`,
  ];
  if (c.rule) {
    const r = c.rule;
    lines.push(`    direction: ${r.direction}`, `    protocol: ${r.protocol}`);
    const icmp = r.protocol === "icmp" || r.protocol === "icmpv6";
    // For ICMP an approval's ports are ICMP types; -1 (every type) is "all".
    if (icmp) lines.push(`    ports: ${r.fromPort === null || r.fromPort === -1 ? "all" : r.fromPort}`);
    else if (r.fromPort !== null && r.protocol !== "all") lines.push(`    ports: ${r.fromPort === r.toPort ? r.fromPort : `"${r.fromPort}-${r.toPort}"`}`);
    lines.push(`    source: ${r.source}`);
  }
  return lines.join("\n");
}

/** "made by alice (arn:…) from 203.0.113.7 with aws-cli/2.15 — AuthorizeSecurityGroupIngress at …", or null. */
export function whoText(c: Pick<AlertChange, "attribution">): string | null {
  const a = c.attribution;
  if (!a) return null;
  const actor = a.actorName && a.actorArn ? `${oneLine(a.actorName, 80)} (${oneLine(a.actorArn, 200)})` : oneLine(a.actorArn ?? a.actorName ?? "unknown identity", 200);
  const parts = [`made by ${actor}`];
  if (a.sourceIp) parts.push(`from ${oneLine(a.sourceIp, 64)}`);
  if (a.userAgent) parts.push(`with ${oneLine(a.userAgent, 120)}`);
  let text = parts.join(" ");
  text += ` — ${oneLine(a.eventName, 64)} at ${oneLine(a.eventTime, 40)}`;
  if (a.accessKeyId) text += `, key ${oneLine(a.accessKeyId, 40)}`;
  return `${text}, event ${oneLine(a.eventId, 80)}`;
}

/** What each failed actor verdict means, the same for a change a poll saw and a short-lived opening. */
export const ACTOR_VERDICT_WORDS: Record<ActorFinding["verdict"], string> = {
  unexpected: "UNEXPECTED ACTOR: made from outside the actor policy (cloudtrail.actors), so no approval covers it",
  "not-by": "NOT APPROVED: made by someone other than the approving record names (by:)",
  unverified: "NOT APPROVED: the approving record names who makes it (by:), but CloudTrail named no one",
};

/** The verdict line, then one line per failed condition, each indented by `indent`; sanitised. */
export function actorFindingLines(f: ActorFinding, indent: string): string[] {
  return [
    `${indent}${ACTOR_VERDICT_WORDS[f.verdict]}${f.approvalId !== null ? `; covering record: ${oneLine(f.approvalId, 80)}` : ""}`,
    ...f.problems.map((x) => `${indent}- ${oneLine(x, 400)}`),
  ];
}
