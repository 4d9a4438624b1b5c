// Words for a posture alert (what is already wrong at a target's baseline
// poll): subject and plain text. Email, Slack and the log all use these, so
// every channel says the same thing. Group names and guardrail reasons are
// untrusted text: they go through oneLine.
import type { PostureAlert, PostureItem, PostureReasonName } from "../../model/alert-payload.js";
import { exposureText, groupLabel, ruleInWords, targetName } from "./words.js";
import { oneLine } from "./sanitize.js";
import { revokeHint } from "../../policy/revoke-command.js";

const REASON_WORDS: Record<PostureReasonName, string> = {
  guardrail: "breaks a guardrail",
  "world-open-sensitive": "open to the internet on a sensitive port",
  "broad-open-sensitive": "open to a broad range on a sensitive port",
  "world-open-public": "open to the internet on a group with a public interface",
  "broad-open-public": "open to a broad range on a group with a public interface",
};

/** The finding's source is a broad range, not the world: its words say so. */
function isBroadItem(i: PostureItem): boolean {
  return i.reasons.includes("broad-open-sensitive") || i.reasons.includes("broad-open-public");
}

export function postureSubject(p: PostureAlert): string {
  const n = p.total;
  const worst = p.items[0]?.severity ?? "low";
  return `[sgwatch] ${worst.toUpperCase()} posture: ${n} rule${n === 1 ? "" : "s"} need${n === 1 ? "s" : ""} attention in ${targetName(p.target)} ${p.target.region}`;
}

/** One finding in one line, for the log and short lists. */
export function postureItemLine(i: PostureItem): string {
  return oneLine(`${i.severity} ${i.groupId}: ${ruleInWords({ rule: i.rule, peerName: null, broadSource: isBroadItem(i) })} (${i.reasons.map((r) => REASON_WORDS[r]).join("; ")})`, 300);
}

export function postureText(p: PostureAlert): string {
  const lines = [
    `sgwatch started watching ${targetName(p.target)} ${p.target.region} (baseline poll at ${p.at}).`,
    "Its rules are recorded as history, not alerted as changes; these are already in effect and need attention:",
    "",
  ];
  for (const i of p.items) {
    lines.push(`${i.severity.toUpperCase().padEnd(8)}  ${groupLabel(i)}`);
    lines.push(`          ${ruleInWords({ rule: i.rule, peerName: null, broadSource: isBroadItem(i) })}`);
    lines.push(`          ${i.reasons.map((r) => REASON_WORDS[r]).join("; ")}`);
    if (i.guardrail) lines.push(`          guardrail ${oneLine(i.guardrail.id, 64)}: ${oneLine(i.guardrail.reason, 300)}`);
    if (i.revokeCommand) lines.push(`          revoke it (${revokeHint(p.target)}):`, `            ${i.revokeCommand}`);
    const exposure = exposureText({ groupId: i.groupId, groupName: i.groupName, exposure: i.exposure ?? undefined }, p.at);
    if (exposure) lines.push(`          ${exposure}`);
    lines.push("");
  }
  if (p.total > p.items.length) lines.push(`…and ${p.total - p.items.length} more: \`sgwatch report\` lists them all.`, "");
  lines.push("This is sent once, at the first poll of a target. `sgwatch report` shows the posture now.");
  return lines.join("\n") + "\n";
}
