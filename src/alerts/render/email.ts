// The email for an alert: subject, plain text and HTML. Every value from the
// API is escaped in HTML and stripped of line breaks in the subject.
import type { AlertPayload, AlertChange, ClosedAlert, DigestAlert, DriftAlert, ReportAlert, UnexpectedActorAlert } from "../../model/alert-payload.js";
import { renderReport, reportSubject } from "./report.js";
import { ackCommand, actorFindingLines, approvalSnippet, changeText, consoleUrl, exposureText, groupLabel, guardrailText, revertText, shortChangeText, snippetChange, targetName, whoText } from "./words.js";
import { revokeHint } from "../../policy/revoke-command.js";
import { humanDuration } from "../../util/time.js";
import { digestSubject } from "../../store/threads-repo.js";
import { escapeHtml, htmlText, oneLine } from "./sanitize.js";
import type { Severity } from "../../model/types.js";
import { postureSubject, postureText } from "./posture.js";
import { problemLines } from "../../approvals/problem-lines.js";
import { transientSubject, transientText } from "./transient.js";
import { attemptsSubject, attemptsText, moreAttemptsSubject, moreAttemptsText } from "./attempts.js";

/** A rendered message. */
export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

const COLORS: Record<Severity, string> = { critical: "#b00020", high: "#d35400", medium: "#b7950b", low: "#566573" };

function driftSubject(a: DriftAlert): string {
  const n = a.changes.length;
  const worst = a.changes[0]?.severity ?? "low";
  const broken = [...new Set(a.changes.flatMap((c) => (c.guardrail ? [c.guardrail.id] : [])))];
  const guard = broken.length > 0 ? ` (guardrail ${broken.join(", ")} broken)` : "";
  const only = a.changes[0];
  // One change: the subject says what it is, so a phone's list of mails is enough to triage.
  if (n === 1 && only) return `[sgwatch] ${worst.toUpperCase()} ${oneLine(only.groupName || only.groupId, 80)}: ${shortChangeText(only)}${guard}`;
  return `[sgwatch] ${worst.toUpperCase()}: ${n} unapproved security-group change${n === 1 ? "" : "s"} in ${targetName(a.target)} ${a.target.region}${guard}`;
}

/** The drift alert's own subject: what follow-ups reply to ("Re: …"). */
export function driftAlertSubject(a: DriftAlert): string {
  return oneLine(driftSubject(a), 200);
}

function subjectOf(p: AlertPayload): string {
  // A follow-up replies in the thread of the alert it follows; mail apps group by subject too.
  if ((p.type === "reminder" || p.type === "attributed" || p.type === "unexpected-actor" || p.type === "closed" || p.type === "acknowledged") && p.thread?.subject) return `Re: ${p.thread.subject}`;
  switch (p.type) {
    case "report":
      return reportSubject(p.report);
    case "posture":
      return postureSubject(p);
    case "digest":
      return digestSubjectOf(p);
    case "acknowledged":
      return `[sgwatch] acknowledged: ${p.items.length} unapproved change${p.items.length === 1 ? "" : "s"} in ${targetName(p.target)} ${p.target.region}`;
    case "closed": {
      const first = p.items[0];
      return `[sgwatch] closed: ${p.items.length === 1 && first ? `#${first.change.changeId} ${oneLine(first.change.groupName || first.change.groupId, 80)} reverted` : `${p.items.length} unapproved changes reverted`}`;
    }
    case "drift":
      return driftSubject(p);
    case "monitoring-blind":
      return `[sgwatch] HIGH: monitoring blind for ${targetName(p.target)} ${p.target.region} (${p.failures} failed polls)`;
    case "monitoring-restored":
      return `[sgwatch] monitoring restored for ${targetName(p.target)} ${p.target.region}`;
    case "trail-blind":
      return `[sgwatch] HIGH: CloudTrail blind for ${targetName(p.target)} ${p.target.region} (${p.failures} failed sweeps)`;
    case "trail-restored":
      return `[sgwatch] CloudTrail sweep restored for ${targetName(p.target)} ${p.target.region}`;
    case "transient":
      return transientSubject(p);
    case "failed-attempts":
      return attemptsSubject(p);
    case "failed-attempts-more":
      return moreAttemptsSubject(p);
    case "approvals-invalid":
      return `[sgwatch] MEDIUM: ${p.problems.length} problem${p.problems.length === 1 ? "" : "s"} in approval records`;
    case "reminder": {
      const worst = p.items.reduce((w, i) => (i.change.severity === "critical" ? "critical" : w), "high");
      return `[sgwatch] REMINDER ${worst.toUpperCase()}: ${p.items.length} unapproved change${p.items.length === 1 ? "" : "s"} still open (not acknowledged, not reverted)`;
    }
    case "approval-unused":
      return `[sgwatch] ${p.records.length} approved change${p.records.length === 1 ? "" : "s"} never happened`;
    case "unexpected-actor": {
      const first = p.items[0];
      const worst = p.items.some((i) => i.change.severity === "critical") ? "CRITICAL" : (first?.change.severity ?? "high").toUpperCase();
      const what = p.items.some((i) => i.verdict === "unexpected") ? "unexpected actor" : "not made by whom the approval names";
      const where = first ? ` in ${targetName(first.target)} ${first.target.region}` : "";
      return `[sgwatch] ${worst}: ${what}: ${p.items.length === 1 && first ? `#${first.change.changeId} ${oneLine(first.change.groupName || first.change.groupId, 80)}` : `${p.items.length} changes`}${where}`;
    }
    case "attributed": {
      const first = p.items[0];
      const where = first ? ` in ${targetName(first.target)} ${first.target.region}` : "";
      return `[sgwatch] who made ${p.items.length} unapproved change${p.items.length === 1 ? "" : "s"}${where}`;
    }
  }
}

function whenText(a: DriftAlert): string {
  const t = (iso: string): string => iso.replace("T", " ").replace(/\.\d+Z$/, " UTC").replace(/Z$/, " UTC");
  return `Detected ${t(a.detectedAt)}${a.intervalStart ? `, made after the previous poll at ${t(a.intervalStart)}` : ""}`;
}

function headline(a: DriftAlert): string {
  const n = a.changes.length;
  return `${(a.changes[0]?.severity ?? "low").toUpperCase()}: ${n} unapproved security-group change${n === 1 ? "" : "s"}`;
}

function driftText(a: DriftAlert): string {
  const lines = [headline(a), `Account ${targetName(a.target)}, region ${a.target.region}. ${whenText(a)}.`, ""];
  for (const c of a.changes) {
    lines.push(`${c.severity.toUpperCase().padEnd(8)}  #${c.changeId}  ${groupLabel(c)}`);
    lines.push(`          ${changeText(c)}`);
    const guard = guardrailText(c);
    if (guard) lines.push(`          ${guard}`);
    if (c.revokeCommand) lines.push(`          revoke it now (${revokeHint(a.target)}):`, `            ${c.revokeCommand}`);
    if (c.rule?.description && c.kind !== "rule-description-changed") lines.push(`          rule description: "${oneLine(c.rule.description)}"`);
    const exposure = exposureText(c, a.detectedAt);
    if (exposure) lines.push(`          ${exposure}`);
    if (c.approvalNote) lines.push(`          nearest approval: ${oneLine(c.approvalNote)}`);
    const rev = revertText(c);
    if (rev) lines.push(`          ${rev}`);
    const who = whoText(c);
    if (who) lines.push(`          ${who}`);
    lines.push(`          ${consoleUrl(a.target.region, c.groupId)}`, "");
  }
  lines.push("If these changes are fine, acknowledge them:", `  ${ackCommand(a.changes.map((c) => c.changeId))}`, "");
  const forSnippet = snippetChange(a.changes);
  const snippet = forSnippet ? approvalSnippet(forSnippet, a.detectedAt) : null;
  if (forSnippet && snippet) {
    lines.push(`To pre-approve a change like #${forSnippet.changeId} next time, add a record to the approvals directory (docs/approvals.md):`);
    lines.push(...snippet.split("\n").map((l) => `  ${l}`));
  }
  return lines.join("\n") + "\n";
}

// The command must wrap on a phone rather than widen the page: pre-wrap keeps
// its spaces, break-all lets the long JSON break anywhere.
const PRE = "background:#f4f4f4;padding:8px;white-space:pre-wrap;word-break:break-all;overflow-wrap:anywhere";

function changeRowHtml(a: DriftAlert, c: AlertChange): string {
  const color = COLORS[c.severity];
  const guard = guardrailText(c);
  const notes = [
    guard ? `<b style="color:${COLORS.critical}">${htmlText(guard, 400)}</b>` : "",
    c.rule?.description && c.kind !== "rule-description-changed" ? `rule description: “${htmlText(c.rule.description)}”` : "",
    exposureText(c, a.detectedAt) ? htmlText(exposureText(c, a.detectedAt) ?? "", 600) : "",
    c.approvalNote ? `nearest approval: ${htmlText(c.approvalNote)}` : "",
    revertText(c) ? htmlText(revertText(c) ?? "") : "",
    whoText(c) ? htmlText(whoText(c) ?? "", 600) : "",
  ].filter(Boolean);
  // Group ids, instance ids and addresses are long unbroken words: without
  // overflow-wrap:anywhere the table is wider than a phone's 390 px screen.
  const wrap = "overflow-wrap:anywhere;word-break:break-word";
  return (
    `<tr style="border-top:1px solid #ddd">` +
    `<td style="padding:6px 8px;vertical-align:top"><span style="background:${color};color:#fff;border-radius:3px;padding:1px 6px;font-size:12px;font-weight:bold">${c.severity.toUpperCase()}</span></td>` +
    `<td style="padding:6px 8px;vertical-align:top;color:#666">#${c.changeId}</td>` +
    `<td style="padding:6px 8px;vertical-align:top;${wrap}"><a href="${escapeHtml(consoleUrl(a.target.region, c.groupId))}">${htmlText(c.groupName || c.groupId)}</a><br><small style="color:#666">${htmlText(c.groupId)}</small></td>` +
    `<td style="padding:6px 8px;vertical-align:top;${wrap}">${htmlText(changeText(c), 512)}` +
    (notes.length ? `<br><small style="color:#555">${notes.join("<br>")}</small>` : "") +
    `</td></tr>`
  );
}

/**
 * The revoke commands, below the table at full width: inside a table cell a
 * phone would give the command a sliver of the screen.
 */
function revokeHtml(a: DriftAlert): string {
  const withCommand = a.changes.filter((c) => c.revokeCommand);
  if (withCommand.length === 0) return "";
  return [
    `<p style="color:${COLORS.critical};font-weight:bold">These rules break a guardrail and no approval can cover them. Revoke them now (${htmlText(revokeHint(a.target))}):</p>`,
    ...withCommand.map((c) => `<div>#${c.changeId} ${htmlText(groupLabel(c))}:</div><pre style="${PRE};margin-top:2px">${escapeHtml(c.revokeCommand ?? "")}</pre>`),
  ].join("\n");
}

function driftHtml(a: DriftAlert): string {
  const worst = a.changes[0]?.severity ?? "low";
  const forSnippet = snippetChange(a.changes);
  const snippet = forSnippet ? approvalSnippet(forSnippet, a.detectedAt) : null;
  return [
    `<div style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;color:#222;max-width:860px">`,
    `<div style="border-left:6px solid ${COLORS[worst]};padding:4px 12px;margin-bottom:12px">`,
    `<div style="font-size:18px;font-weight:bold">${htmlText(headline(a))}</div>`,
    `<div>Account <b>${htmlText(targetName(a.target))}</b>, region <b>${htmlText(a.target.region)}</b>. ${htmlText(whenText(a))}.</div></div>`,
    `<table style="border-collapse:collapse;width:100%">`,
    `<tr style="text-align:left;color:#666;font-size:12px"><th style="padding:4px 8px">Severity</th><th style="padding:4px 8px">ID</th><th style="padding:4px 8px">Group</th><th style="padding:4px 8px">What happened</th></tr>`,
    ...a.changes.map((c) => changeRowHtml(a, c)),
    `</table>`,
    revokeHtml(a),
    `<p>If these changes are fine, acknowledge them:</p>`,
    `<pre style="${PRE}">${escapeHtml(ackCommand(a.changes.map((c) => c.changeId)))}</pre>`,
    forSnippet && snippet
      ? `<p>To pre-approve a change like #${forSnippet.changeId} next time, add a record to the approvals directory (docs/approvals.md):</p><pre style="${PRE}">${escapeHtml(snippet)}</pre>`
      : "",
    `</div>`,
  ].join("\n");
}

/** For a reminder about a guardrail violation: the guardrail and the revoke command again, indented under the change. */
function guardrailLines(c: AlertChange, place: { account: string; region: string }): string {
  const guard = guardrailText(c);
  if (!guard) return "";
  return `\n          ${guard}` + (c.revokeCommand ? `\n          revoke it now (${revokeHint(place)}):\n            ${c.revokeCommand}` : "");
}

/** One paragraph per change: what it is, each failed condition, who made it, and the guardrail it broke too. */
function unexpectedActorText(p: UnexpectedActorAlert): string {
  const blocks = p.items.map((i) => {
    const c = i.change;
    const lines = [
      `${c.severity.toUpperCase().padEnd(8)} #${c.changeId}  ${targetName(i.target)} ${i.target.region}  ${groupLabel(c)}: ${changeText(c)} (seen ${i.detectedAt})`,
      ...actorFindingLines(i, "          "),
    ];
    const who = whoText(c);
    if (who) lines.push(`          ${who}`);
    lines.push(guardrailLines(c, i.target).replace(/^\n/, ""));
    lines.push(`          ${consoleUrl(i.target.region, c.groupId)}`);
    return lines.filter((l) => l !== "").join("\n");
  });
  return (
    `CloudTrail shows who made these security-group changes, and it is not who may make them. A key used from where it should not be, or by whom it should not be, is the stolen-key case.\n\n` +
    blocks.join("\n\n") +
    `\n\nIf they are fine after all, acknowledge them:\n  ${ackCommand(p.items.map((i) => i.change.changeId))}\n`
  );
}

/** "Closed after 4 s: …", one paragraph per undone change. */
function closedText(p: ClosedAlert): string {
  const lines = p.items.map((i) => {
    const c = i.change;
    return (
      `Closed after ${humanDuration(i.exposureSeconds * 1000)}: unapproved change #${c.changeId} on ${groupLabel(c)} (${changeText(c)}) ` +
      `was undone by change #${i.byChangeId}, seen at ${p.closedAt}. It was in effect for ${humanDuration(i.exposureSeconds * 1000)} as observed between polls (seen ${i.detectedAt}).`
    );
  });
  return `${lines.join("\n\n")}\n\nThe incident is closed: nothing to acknowledge.\n`;
}

function otherText(p: Exclude<AlertPayload, DriftAlert | DigestAlert | ReportAlert>): string {
  switch (p.type) {
    case "posture":
      return postureText(p);
    case "closed":
      return closedText(p);
    case "acknowledged":
      return (
        p.items
          .map(
            (i) =>
              `Acknowledged by ${oneLine(i.ackedBy, 120)} at ${i.ackedAt}: #${i.change.changeId} ${groupLabel(i.change)}: ${changeText(i.change)} (seen ${i.detectedAt}).\n` +
              `  Reason: ${oneLine(i.reason, 500)}${i.ticket ? `\n  Ticket: ${oneLine(i.ticket, 120)}` : ""}`,
          )
          .join("\n\n") + "\n\nNo more reminders for these changes.\n"
      );
    case "monitoring-blind":
      return (
        `sgwatch cannot see ${targetName(p.target)} ${p.target.region}: ${p.failures} polls in a row failed since ${p.since}.\n` +
        `Last successful poll: ${p.lastSuccessAt ?? "never"}.\nLast error: ${oneLine(p.lastError, 1000)}\n` +
        `Until this is fixed, changes to its security groups go unseen.\n`
      );
    case "trail-blind":
      return (
        `sgwatch cannot read CloudTrail for ${targetName(p.target)} ${p.target.region}: ${p.failures} sweeps in a row failed since ${p.since}.\n` +
        `Last successful sweep: ${p.lastSuccessAt ?? "never"}.\nLast error: ${oneLine(p.lastError, 1000)}\n` +
        `Polls still record every change; until this is fixed, failed attempts and who made changes there go unseen.\n`
      );
    case "transient":
      return transientText(p);
    case "failed-attempts":
      return attemptsText(p);
    case "failed-attempts-more":
      return moreAttemptsText(p);
    case "trail-restored":
      return `sgwatch reads CloudTrail for ${targetName(p.target)} ${p.target.region} again (blind since ${p.blindSince}, restored ${p.restoredAt}).\nEvents of the blind time are read from where the last good sweep ended.\n`;
    case "monitoring-restored":
      return `sgwatch can see ${targetName(p.target)} ${p.target.region} again (blind since ${p.blindSince}, restored ${p.restoredAt}).\nChanges made meanwhile are in this poll's results.\n`;
    case "approvals-invalid":
      return (
        `These approval records could not be used; changes they meant to approve will alert:\n` +
        problemLines(p.problems, (x) => `${x.file}${x.line ? `:${x.line}` : ""}: ${x.message}`)
          .map((l) => `  ${l}`)
          .join("\n") +
        "\n"
      );
    case "reminder":
      return (
        `These unapproved changes are still in effect: nobody has acknowledged them and they were not reverted.\n\n` +
        (p.digest
          ? `${p.digest.incidents} incidents are due for a reminder on this channel, more than ${p.digest.above} (alerts.reminderDigestAbove), so they come in this one mail rather than as a reply in each incident's thread.\n\n`
          : "") +
        p.items
          .map(
            (i) =>
              `${i.change.severity.toUpperCase().padEnd(8)} #${i.change.changeId}  ${targetName(i.target)} ${i.target.region}  ${groupLabel(i.change)}: ` +
              `${changeText(i.change)} (since ${i.detectedAt})` +
              guardrailLines(i.change, i.target),
          )
          .join("\n") +
        `\n\nIf they are fine, acknowledge them:\n  ${ackCommand(p.items.map((i) => i.change.changeId))}\n`
      );
    case "attributed":
      return (
        `CloudTrail now says who made these unapproved changes (alerted earlier):\n\n` +
        p.items
          .map(
            (i) =>
              `${i.change.severity.toUpperCase().padEnd(8)} #${i.change.changeId}  ${groupLabel(i.change)}: ${changeText(i.change)} (seen ${i.detectedAt})\n` +
              `          ${whoText(i.change) ?? "no CloudTrail event found"}`,
          )
          .join("\n") +
        `\n\nIf they are fine, acknowledge them:\n  ${ackCommand(p.items.map((i) => i.change.changeId))}\n`
      );
    case "unexpected-actor":
      return unexpectedActorText(p);
    case "approval-unused":
      return (
        `These approved change records ended without any change they allowed being seen. An approval that was never used is worth a look:\n` +
        p.records.map((r) => `  ${oneLine(r.id)} (approved by ${oneLine(r.approvedBy)}) allowed ${oneLine(r.allows, 500)} on ${oneLine(r.selector)} from ${r.from} until ${r.until}, but it never happened`).join("\n") +
        "\n"
      );
  }
}

/** A digest's subject: fixed when the batch opened, so replies join it whatever is added later. */
function digestSubjectOf(p: DigestAlert): string {
  return digestSubject(p.route, p.openedAt);
}

function digestText(p: DigestAlert): string {
  const n = p.alerts.reduce((k, a) => k + a.changes.length, 0);
  const head = `${n} unapproved change${n === 1 ? "" : "s"} from ${p.alerts.length} poll${p.alerts.length === 1 ? "" : "s"}, collected by route ${oneLine(p.route, 64)}.\n\n`;
  return head + p.alerts.map(driftText).join("\n" + "-".repeat(40) + "\n\n");
}

export function renderEmail(p: AlertPayload): RenderedEmail {
  const subject = oneLine(subjectOf(p), 200);
  if (p.type === "digest") return { subject, text: digestText(p), html: p.alerts.map(driftHtml).join("\n<hr>\n") };
  if (p.type === "drift") return { subject, text: driftText(p), html: driftHtml(p) };
  // The report renders itself: every name in it is escaped there (oneLine for text, htmlText for HTML).
  if (p.type === "report") return { subject, text: renderReport(p.report, "text"), html: renderReport(p.report, "html") };
  // The revoke commands are long: wrapped, so a phone does not scroll sideways.
  if (p.type === "posture") return { subject, text: postureText(p), html: `<div style="font-family:sans-serif;font-size:14px"><pre style="${PRE}">${escapeHtml(postureText(p))}</pre></div>` };
  const text = otherText(p);
  return { subject, text, html: `<div style="font-family:sans-serif;font-size:14px"><pre>${escapeHtml(text)}</pre></div>` };
}
