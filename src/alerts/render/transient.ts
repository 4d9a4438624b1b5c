// A transient opening in words, the same for every channel: "tcp/3306 was
// open to 0.0.0.0/0 for 20 s, 11:32:19–11:32:39 UTC, by … from …; no poll saw
// it". Every CloudTrail field (ARNs, addresses, user agents, event names) is
// untrusted text and goes through oneLine.
import type { TransientAlert, TransientCall, TransientItem } from "../../model/alert-payload.js";
import { humanDuration } from "../../util/time.js";
import { oneLine } from "./sanitize.js";
import { ackCommand, actorFindingLines, consoleUrl, exposureText, groupLabel, guardrailText, portsShort, targetName } from "./words.js";

/** "2026-03-02 11:32:19–11:32:39 UTC" (the date once when both times share it). */
export function spanText(fromIso: string, untilIso: string): string {
  const t = (iso: string): string => iso.replace("T", " ").replace(/(\.\d+)?Z$/, "");
  const from = t(fromIso);
  const until = t(untilIso);
  return from.slice(0, 10) === until.slice(0, 10) ? `${from}–${until.slice(11)} UTC` : `${from} UTC – ${until} UTC`;
}

/** "arn:aws:iam::…:user/x (key AKIA…) from 203.0.113.66". */
export function callerText(c: TransientCall): string {
  const who = oneLine(c.arn ?? c.accessKeyId ?? "an unknown caller", 200);
  const key = c.arn && c.accessKeyId ? ` (key ${oneLine(c.accessKeyId, 40)})` : "";
  return `${who}${key}${c.sourceIp ? ` from ${oneLine(c.sourceIp, 64)}` : ""}`;
}

/** "tcp/3306 was open to 0.0.0.0/0 for 10 s". */
function openedFor(i: TransientItem): string {
  const r = i.change.rule;
  const what = r ? `${r.direction === "egress" ? "egress " : ""}${portsShort(r)} was open to ${oneLine(r.source, 80)}` : "a rule was open";
  return `${what} for ${humanDuration(i.seconds * 1000)}`;
}

/** The one line: what was open, how long, when, by whom, and that no poll saw it. */
export function transientLine(i: TransientItem): string {
  return `${openedFor(i)}, ${spanText(i.openedAt, i.closedAt)}, by ${callerText(i.openedBy)}; no poll saw it`;
}

export function transientSubject(p: TransientAlert): string {
  const first = p.items[0];
  const worst = (first?.change.severity ?? "low").toUpperCase();
  // Short enough for a phone's list of mails; who and when are the first lines of the body.
  const actor = p.items.some((i) => i.actor?.verdict === "unexpected") ? "; unexpected actor" : p.items.some((i) => i.actor !== undefined) ? "; not made by whom the approval names" : "";
  if (p.items.length === 1 && first) return `[sgwatch] ${worst} ${oneLine(first.change.groupName || first.change.groupId, 80)}: ${openedFor(first)} between two polls; no poll saw it${actor}`;
  return `[sgwatch] ${worst}: ${p.items.length} short-lived openings no poll saw in ${targetName(p.target)} ${p.target.region}${actor}`;
}

export function transientText(p: TransientAlert): string {
  const lines = [
    `Rules were opened and closed again between two polls of ${targetName(p.target)} ${p.target.region}. CloudTrail recorded both calls; no poll saw the rule.`,
    "",
  ];
  for (const i of p.items) {
    const c = i.change;
    lines.push(`${c.severity.toUpperCase().padEnd(8)}  #${c.changeId}  ${groupLabel(c)}`);
    lines.push(`          ${transientLine(i)}`);
    lines.push(`          opened by ${oneLine(i.openedBy.eventName, 64)} (event ${oneLine(i.openedBy.eventId, 80)})${i.openedBy.userAgent ? ` with ${oneLine(i.openedBy.userAgent, 120)}` : ""}`);
    lines.push(`          closed by ${callerText(i.closedBy)}, ${oneLine(i.closedBy.eventName, 64)} (event ${oneLine(i.closedBy.eventId, 80)})`);
    lines.push(`          times from CloudTrail; polls at ${i.previousPollAt ?? "(none before)"} and ${i.nextPollAt} saw neither`);
    // Who opened it is not who may (src/policy/actor-verdict.ts): the failed condition, as the unexpected-actor alert words it.
    if (i.actor) lines.push(...actorFindingLines(i.actor, "          "));
    const guard = guardrailText(c);
    if (guard) lines.push(`          ${guard}`);
    const exposure = exposureText(c);
    if (exposure) lines.push(`          ${exposure}`);
    if (c.approvalNote && !i.actor) lines.push(`          nearest approval: ${oneLine(c.approvalNote)}`);
    lines.push(`          ${consoleUrl(p.target.region, c.groupId)}`, "");
  }
  lines.push("A rule open for seconds is how a stolen key tests a door. If this was expected, acknowledge it:", `  ${ackCommand(p.items.map((i) => i.change.changeId))}`);
  return lines.join("\n") + "\n";
}
