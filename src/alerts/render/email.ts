// The email for an alert: subject, plain text and HTML. Every value from the
// API is escaped in HTML and stripped of line breaks in the subject.
import type { AlertPayload, AlertChange, DriftAlert } from "../payload.js";
import { ackCommand, changeText, consoleUrl, groupLabel, revertText, targetName } from "./words.js";
import { escapeHtml, htmlText, oneLine } from "./sanitize.js";
import type { Severity } from "../../model/types.js";

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
  return `[sgwatch] ${worst.toUpperCase()}: ${n} unapproved security-group change${n === 1 ? "" : "s"} in ${targetName(a.target)} ${a.target.region}`;
}

function subjectOf(p: AlertPayload): string {
  switch (p.type) {
    case "drift":
      return driftSubject(p);
    case "monitoring-blind":
      return `[sgwatch] HIGH: monitoring blind for ${targetName(p.target)} ${p.target.region} (${p.failures} failed polls)`;
    case "monitoring-restored":
      return `[sgwatch] monitoring restored for ${targetName(p.target)} ${p.target.region}`;
    case "approvals-invalid":
      return `[sgwatch] MEDIUM: ${p.problems.length} problem${p.problems.length === 1 ? "" : "s"} in approval records`;
    case "reminder": {
      const worst = p.items.reduce((w, i) => (i.change.severity === "critical" ? "critical" : w), "high");
      return `[sgwatch] REMINDER ${worst.toUpperCase()}: ${p.items.length} unapproved change${p.items.length === 1 ? "" : "s"} still open (not acknowledged, not reverted)`;
    }
    case "approval-unused":
      return `[sgwatch] ${p.records.length} approved change${p.records.length === 1 ? "" : "s"} never happened`;
  }
}

function driftText(a: DriftAlert): string {
  const lines = [
    `sgwatch found ${a.changes.length} unapproved change${a.changes.length === 1 ? "" : "s"} in ${targetName(a.target)}, region ${a.target.region}.`,
    `Detected ${a.detectedAt}${a.intervalStart ? `; made after the previous poll at ${a.intervalStart}` : ""}.`,
    "",
  ];
  for (const c of a.changes) {
    lines.push(`${c.severity.toUpperCase().padEnd(8)} #${c.changeId}  ${groupLabel(c)}: ${changeText(c)}`);
    if (c.approvalNote) lines.push(`         nearest approval: ${oneLine(c.approvalNote)}`);
    const rev = revertText(c);
    if (rev) lines.push(`         ${rev}`);
    lines.push(`         ${consoleUrl(a.target.region, c.groupId)}`);
  }
  lines.push("", "If these changes are fine, acknowledge them:", `  ${ackCommand(a.changes.map((c) => c.changeId))}`);
  lines.push("To approve such a change in advance, add a change record to the approvals directory (see docs/approvals.md).");
  return lines.join("\n") + "\n";
}

function changeRowHtml(a: DriftAlert, c: AlertChange): string {
  const color = COLORS[c.severity];
  return (
    `<tr><td style="color:${color};font-weight:bold;padding:4px 8px">${c.severity.toUpperCase()}</td>` +
    `<td style="padding:4px 8px">#${c.changeId}</td>` +
    `<td style="padding:4px 8px"><a href="${escapeHtml(consoleUrl(a.target.region, c.groupId))}">${htmlText(groupLabel(c))}</a></td>` +
    `<td style="padding:4px 8px">${htmlText(changeText(c), 512)}` +
    (c.approvalNote ? `<br><small>nearest approval: ${htmlText(c.approvalNote)}</small>` : "") +
    (revertText(c) ? `<br><small>${htmlText(revertText(c) ?? "")}</small>` : "") +
    `</td></tr>`
  );
}

function driftHtml(a: DriftAlert): string {
  return [
    `<div style="font-family:sans-serif;font-size:14px">`,
    `<p><b>${a.changes.length} unapproved change${a.changes.length === 1 ? "" : "s"}</b> in ${htmlText(targetName(a.target))}, region ${htmlText(a.target.region)}.<br>`,
    `Detected ${htmlText(a.detectedAt)}${a.intervalStart ? `; made after the previous poll at ${htmlText(a.intervalStart)}` : ""}.</p>`,
    `<table style="border-collapse:collapse" border="1"><tr><th>Severity</th><th>Change</th><th>Group</th><th>What</th></tr>`,
    ...a.changes.map((c) => changeRowHtml(a, c)),
    `</table>`,
    `<p>If these changes are fine, acknowledge them:<br><code>${escapeHtml(ackCommand(a.changes.map((c) => c.changeId)))}</code></p>`,
    `<p>To approve such a change in advance, add a change record to the approvals directory (see docs/approvals.md).</p>`,
    `</div>`,
  ].join("\n");
}

function otherText(p: Exclude<AlertPayload, DriftAlert>): string {
  switch (p.type) {
    case "monitoring-blind":
      return (
        `sgwatch cannot see ${targetName(p.target)} ${p.target.region}: ${p.failures} polls in a row failed since ${p.since}.\n` +
        `Last successful poll: ${p.lastSuccessAt ?? "never"}.\nLast error: ${oneLine(p.lastError, 1000)}\n` +
        `Until this is fixed, changes to its security groups go unseen.\n`
      );
    case "monitoring-restored":
      return `sgwatch can see ${targetName(p.target)} ${p.target.region} again (blind since ${p.blindSince}, restored ${p.restoredAt}).\nChanges made meanwhile are in this poll's results.\n`;
    case "approvals-invalid":
      return (
        `These approval records could not be used; changes they meant to approve will alert:\n` +
        p.problems.map((x) => `  ${oneLine(x.file)}${x.line ? `:${x.line}` : ""}: ${oneLine(x.message, 500)}`).join("\n") +
        "\n"
      );
    case "reminder":
      return (
        `These unapproved changes are still in effect: nobody has acknowledged them and they were not reverted.\n\n` +
        p.items
          .map(
            (i) =>
              `${i.change.severity.toUpperCase().padEnd(8)} #${i.change.changeId}  ${targetName(i.target)} ${i.target.region}  ${groupLabel(i.change)}: ` +
              `${changeText(i.change)} (since ${i.detectedAt})`,
          )
          .join("\n") +
        `\n\nIf they are fine, acknowledge them:\n  ${ackCommand(p.items.map((i) => i.change.changeId))}\n`
      );
    case "approval-unused":
      return (
        `These approved change records ended without any change they allowed being seen. An approval that was never used is worth a look:\n` +
        p.records.map((r) => `  ${oneLine(r.id)} (approved by ${oneLine(r.approvedBy)}) allowed ${oneLine(r.allows, 500)} on ${oneLine(r.selector)} from ${r.from} until ${r.until}, but it never happened`).join("\n") +
        "\n"
      );
  }
}

export function renderEmail(p: AlertPayload): RenderedEmail {
  const subject = oneLine(subjectOf(p), 200);
  if (p.type === "drift") return { subject, text: driftText(p), html: driftHtml(p) };
  const text = otherText(p);
  return { subject, text, html: `<div style="font-family:sans-serif;font-size:14px"><pre>${escapeHtml(text)}</pre></div>` };
}
