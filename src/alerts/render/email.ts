// The email for an alert: subject, plain text and HTML. Every value from the
// API is escaped in HTML and stripped of line breaks in the subject.
import type { AlertPayload, AlertChange, DriftAlert } from "../payload.js";
import { ackCommand, approvalSnippet, changeText, consoleUrl, groupLabel, revertText, targetName, whoText, exposureText } from "./words.js";
import { escapeHtml, htmlText, oneLine } from "./sanitize.js";
import type { Severity } from "../../model/types.js";
import { problemLines } from "../../approvals/problem-lines.js";

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
  const snippet = a.changes.map((c) => approvalSnippet(c, a.detectedAt)).find((x) => x !== null);
  if (snippet) {
    lines.push("To pre-approve such a change next time, add a record to the approvals directory (docs/approvals.md):");
    lines.push(...snippet.split("\n").map((l) => `  ${l}`));
  }
  return lines.join("\n") + "\n";
}

function changeRowHtml(a: DriftAlert, c: AlertChange): string {
  const color = COLORS[c.severity];
  const notes = [
    c.rule?.description && c.kind !== "rule-description-changed" ? `rule description: “${htmlText(c.rule.description)}”` : "",
    exposureText(c, a.detectedAt) ? htmlText(exposureText(c, a.detectedAt) ?? "", 600) : "",
    c.approvalNote ? `nearest approval: ${htmlText(c.approvalNote)}` : "",
    revertText(c) ? htmlText(revertText(c) ?? "") : "",
    whoText(c) ? htmlText(whoText(c) ?? "", 600) : "",
  ].filter(Boolean);
  return (
    `<tr style="border-top:1px solid #ddd">` +
    `<td style="padding:6px 8px;vertical-align:top"><span style="background:${color};color:#fff;border-radius:3px;padding:1px 6px;font-size:12px;font-weight:bold">${c.severity.toUpperCase()}</span></td>` +
    `<td style="padding:6px 8px;vertical-align:top;color:#666">#${c.changeId}</td>` +
    `<td style="padding:6px 8px;vertical-align:top"><a href="${escapeHtml(consoleUrl(a.target.region, c.groupId))}">${htmlText(c.groupName || c.groupId)}</a><br><small style="color:#666">${htmlText(c.groupId)}</small></td>` +
    `<td style="padding:6px 8px;vertical-align:top">${htmlText(changeText(c), 512)}` +
    (notes.length ? `<br><small style="color:#555">${notes.join("<br>")}</small>` : "") +
    `</td></tr>`
  );
}

function driftHtml(a: DriftAlert): string {
  const worst = a.changes[0]?.severity ?? "low";
  const snippet = a.changes.map((c) => approvalSnippet(c, a.detectedAt)).find((x) => x !== null);
  return [
    `<div style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;color:#222;max-width:860px">`,
    `<div style="border-left:6px solid ${COLORS[worst]};padding:4px 12px;margin-bottom:12px">`,
    `<div style="font-size:18px;font-weight:bold">${htmlText(headline(a))}</div>`,
    `<div>Account <b>${htmlText(targetName(a.target))}</b>, region <b>${htmlText(a.target.region)}</b>. ${htmlText(whenText(a))}.</div></div>`,
    `<table style="border-collapse:collapse;width:100%">`,
    `<tr style="text-align:left;color:#666;font-size:12px"><th style="padding:4px 8px">Severity</th><th style="padding:4px 8px">ID</th><th style="padding:4px 8px">Group</th><th style="padding:4px 8px">What happened</th></tr>`,
    ...a.changes.map((c) => changeRowHtml(a, c)),
    `</table>`,
    `<p>If these changes are fine, acknowledge them:</p>`,
    `<pre style="background:#f4f4f4;padding:8px">${escapeHtml(ackCommand(a.changes.map((c) => c.changeId)))}</pre>`,
    snippet ? `<p>To pre-approve such a change next time, add a record to the approvals directory (docs/approvals.md):</p><pre style="background:#f4f4f4;padding:8px">${escapeHtml(snippet)}</pre>` : "",
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
        problemLines(p.problems, (x) => `${x.file}${x.line ? `:${x.line}` : ""}: ${x.message}`)
          .map((l) => `  ${l}`)
          .join("\n") +
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
