// Failed attempts in words, for every channel that renders text: the first
// alert of a burst, and the replies in its thread that tell later calls of
// the same burst ("3 more attempts, 5 in all, last at …"). Every CloudTrail
// field (ARNs, keys, addresses, user agents, event names) is untrusted text
// and goes through oneLine.
import type { AlertTarget, FailedAttempt, FailedAttemptsAlert, FailedAttemptsMoreAlert } from "../../model/alert-payload.js";
import type { Severity } from "../../model/types.js";
import { oneLine } from "./sanitize.js";
import { targetName } from "./words.js";

/** The first alert's subject; a follow-up's is "Re: " and this, rebuilt from what the first alert counted. */
export function attemptsSubject(a: { severity: Severity; count: number; identity: FailedAttemptsAlert["identity"]; target: AlertTarget }): string {
  const who = oneLine(a.identity.arn ?? a.identity.accessKeyIds[0] ?? "an unknown caller", 120);
  return `[sgwatch] ${a.severity.toUpperCase()}: ${a.count} denied security-group call${a.count === 1 ? "" : "s"} by ${who} in ${targetName(a.target)} ${a.target.region}`;
}

/** A follow-up's subject: a reply to the first alert's. */
export function moreAttemptsSubject(p: FailedAttemptsMoreAlert): string {
  return `Re: ${attemptsSubject({ severity: p.thread.firstSeverity, count: p.thread.firstCount, identity: p.identity, target: p.target })}`;
}

function sourcesText(sources: FailedAttemptsAlert["sources"]): string {
  return sources
    .map((s) => `  ${oneLine(s.sourceIp ?? "unknown address", 80)}${s.vpcEndpointId ? ` via ${oneLine(s.vpcEndpointId, 60)}` : ""}, user agent ${oneLine(s.userAgent ?? "unknown", 200)}`)
    .join("\n");
}

function triedText(attempts: readonly FailedAttempt[]): string {
  return attempts
    .map((a) => `  ${a.time}  ${a.severity.toUpperCase().padEnd(8)} ${oneLine(a.eventName, 60)} on ${oneLine(a.groupId ?? "?", 40)}: ${oneLine(a.rules || "(no rules named)", 300)} — ${oneLine(a.errorCode, 80)}`)
    .join("\n");
}

function keysLine(identity: FailedAttemptsAlert["identity"]): string {
  return `Access key${identity.accessKeyIds.length === 1 ? "" : "s"}: ${identity.accessKeyIds.map((k) => oneLine(k, 40)).join(", ") || "unknown"}\n`;
}

function moreHint(shown: number, count: number, identity: FailedAttemptsAlert["identity"]): string {
  return count > shown ? `… and ${count - shown} more: sgwatch events --failed --who ${oneLine(identity.accessKeyIds[0] ?? "", 40)}\n` : "";
}

/** The first alert of a burst. */
export function attemptsText(p: FailedAttemptsAlert): string {
  const when = p.count === 1 ? `at ${p.firstAt}` : `${p.count} times between ${p.firstAt} and ${p.lastAt}`;
  return (
    `${oneLine(p.identity.arn ?? "An unknown caller", 200)}${p.identity.type ? ` (${oneLine(p.identity.type, 40)})` : ""} tried to change security groups in ${targetName(p.target)} ${p.target.region} and was refused, ${when}.\n` +
    keysLine(p.identity) +
    `From:\n${sourcesText(p.sources)}\n` +
    `What they tried (the severity each change would have had):\n${triedText(p.attempts)}\n` +
    moreHint(p.attempts.length, p.count, p.identity) +
    `A key trying what it may not is how a stolen key looks. If this is not expected, disable the key.\n`
  );
}

/** "3 more attempts, 5 in all, last at …": the line a follow-up leads with (and the log line's message). */
export function moreAttemptsLine(p: FailedAttemptsMoreAlert): string {
  return `${p.newCount} more attempt${p.newCount === 1 ? "" : "s"}, ${p.count} in all, last at ${p.lastAt}`;
}

/** A reply in the first alert's thread: the calls of the burst told for the first time. */
export function moreAttemptsText(p: FailedAttemptsMoreAlert): string {
  return (
    `${moreAttemptsLine(p)} (first at ${p.firstAt}): ${oneLine(p.identity.arn ?? p.identity.accessKeyIds[0] ?? "an unknown caller", 200)} was refused again in ${targetName(p.target)} ${p.target.region}.\n` +
    keysLine(p.identity) +
    `From:\n${sourcesText(p.sources)}\n` +
    `What they tried now (the severity each change would have had):\n${triedText(p.attempts)}\n` +
    moreHint(p.attempts.length, p.newCount, p.identity) +
    `All of them: sgwatch events --failed --who ${oneLine(p.identity.accessKeyIds[0] ?? p.identity.arn ?? "", 200)}\n`
  );
}
