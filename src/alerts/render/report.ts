// The posture report as people read it: plain text for the terminal,
// Markdown for a ticket or wiki, HTML for a mail or a browser. Pure: the
// report command gathers a PostureReport from the database and the config,
// this file only writes it. Every value that came from AWS, an approval
// record or the config (group names, guardrail reasons, selectors) is
// untrusted text: oneLine for text and Markdown, htmlText for HTML.
import type { PostureItem } from "../../model/alert-payload.js";
import type { PostureReport, ReportApproval, ReportTarget } from "../../model/posture-report.js";
import { describeRule } from "../../model/describe-rule.js";
import { severityRank, type Severity } from "../../model/types.js";
import { htmlText, oneLine } from "../../util/printable.js";

/** Output formats besides JSON. */
export type ReportFormat = "text" | "md" | "html";

const SEVERITIES: Severity[] = ["critical", "high", "medium", "low"];

interface Row {
  cells: string[];
}

interface Section {
  title: string;
  empty: string;
  head: string[];
  rows: Row[];
}

function targetName(t: Pick<ReportTarget, "account" | "region" | "label">): string {
  return `${t.label ? `${t.label} (${t.account})` : t.account} ${t.region}`;
}

function findingRow(t: ReportTarget, f: PostureItem): Row {
  return { cells: [f.severity, targetName(t), `${f.groupId} (${f.groupName})`, describeRule(f.rule), f.reasons.join(", ")] };
}

function sections(r: PostureReport): Section[] {
  const all = r.targets.flatMap((t) => t.findings.map((f) => ({ t, f })));
  const out: Section[] = [];
  out.push({
    title: "Targets",
    empty: "no target polled yet",
    head: ["target", "last poll", "polling", "CloudTrail"],
    rows: r.targets.map((t) => ({
      cells: [targetName(t), t.lastPollAt ?? "never", t.blindSince ? `BLIND since ${t.blindSince}` : "ok", t.trailBlindSince ? `BLIND since ${t.trailBlindSince}` : "ok"],
    })),
  });
  out.push({
    title: "Guardrail violations",
    empty: "none",
    head: ["guardrail", "target", "group", "rule", "revoke"],
    rows: all
      .filter(({ f }) => f.guardrail !== null)
      .map(({ t, f }) => ({ cells: [`${f.guardrail?.id}: ${f.guardrail?.reason}`, targetName(t), `${f.groupId} (${f.groupName})`, describeRule(f.rule), f.revokeCommand ?? ""] })),
  });
  for (const s of SEVERITIES) {
    const rows = all.filter(({ f }) => f.severity === s).map(({ t, f }) => findingRow(t, f));
    if (rows.length > 0) out.push({ title: `Open to the world or broad: ${s}`, empty: "none", head: ["severity", "target", "group", "rule", "why"], rows });
  }
  if (all.length === 0) out.push({ title: "Open to the world or broad", empty: "none", head: [], rows: [] });
  out.push({
    title: "Unapproved changes not acknowledged or reverted",
    empty: "none",
    head: ["id", "severity", "detected", "target", "group", "change"],
    rows: r.openChanges.map((c) => ({
      cells: [`#${c.id}`, c.severity, c.time, `${c.account} ${c.region}`, `${c.groupId} (${c.groupName})`, `${c.what}${c.guardrail ? ` [guardrail ${c.guardrail}]` : ""}`],
    })),
  });
  const approvalRows = (list: ReportApproval[]): Row[] =>
    list.map((a) => ({ cells: [a.id, a.state, a.until, a.selector, a.allows, a.approvedBy, String(a.changesCovered)] }));
  const approvalHead = ["id", "state", "until", "groups", "allows", "approved by", "covered"];
  out.push({ title: "Approvals ending within 7 days", empty: "none", head: approvalHead, rows: approvalRows(r.approvalsExpiring) });
  out.push({ title: "Approvals never used", empty: "none", head: approvalHead, rows: approvalRows(r.approvalsUnused) });
  out.push({
    title: "Ignore list (recorded, not alerted)",
    empty: "none",
    head: ["entry", "selects", "until", "reason"],
    rows: r.ignore.map((e) => ({ cells: [`ignore[${e.index}]`, e.selects, `${e.until}${e.active ? "" : " (expired)"}`, e.reason] })),
  });
  return out;
}

/** Counts for the headline. */
function headline(r: PostureReport): string {
  const all = r.targets.flatMap((t) => t.findings);
  const worst = all.reduce<Severity | null>((w, f) => (w === null || severityRank(f.severity) > severityRank(w) ? f.severity : w), null);
  const blind = r.targets.filter((t) => t.blindSince !== null).length;
  return (
    `sgwatch posture report, ${r.generatedAt}: ${all.length} rule${all.length === 1 ? "" : "s"} need attention${worst ? ` (worst ${worst})` : ""}, ` +
    `${all.filter((f) => f.guardrail).length} guardrail violation(s), ${r.openChanges.length} open unapproved change(s), ${blind} blind target(s)`
  );
}

function renderText(r: PostureReport): string {
  const lines = [oneLine(headline(r), 400), ""];
  for (const s of sections(r)) {
    lines.push(`${s.title}:`);
    if (s.rows.length === 0) lines.push(`  ${s.empty}`);
    for (const row of s.rows) lines.push(`  ${row.cells.filter(Boolean).map((c) => oneLine(c, 400)).join("  ")}`);
    lines.push("");
  }
  return lines.join("\n");
}

/** A Markdown table cell: one line, pipes escaped so a hostile name cannot add a column. */
function mdCell(c: string): string {
  return oneLine(c, 400).replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/`/g, "\\`");
}

function renderMd(r: PostureReport): string {
  const lines = [`# ${mdCell(headline(r))}`, ""];
  for (const s of sections(r)) {
    lines.push(`## ${s.title}`, "");
    if (s.rows.length === 0) {
      lines.push(s.empty, "");
      continue;
    }
    lines.push(`| ${s.head.join(" | ")} |`, `| ${s.head.map(() => "---").join(" | ")} |`);
    for (const row of s.rows) lines.push(`| ${row.cells.map(mdCell).join(" | ")} |`);
    lines.push("");
  }
  return lines.join("\n");
}

function renderHtml(r: PostureReport): string {
  const parts = [
    '<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>sgwatch posture report</title></head>',
    '<body style="font-family:sans-serif;font-size:14px">',
    `<h1 style="font-size:18px">${htmlText(headline(r), 400)}</h1>`,
  ];
  for (const s of sections(r)) {
    parts.push(`<h2 style="font-size:16px">${htmlText(s.title)}</h2>`);
    if (s.rows.length === 0) {
      parts.push(`<p>${htmlText(s.empty)}</p>`);
      continue;
    }
    parts.push('<table style="border-collapse:collapse;word-break:break-word">');
    parts.push(`<tr>${s.head.map((h) => `<th style="text-align:left;border-bottom:1px solid #999;padding:2px 6px">${htmlText(h)}</th>`).join("")}</tr>`);
    for (const row of s.rows) parts.push(`<tr>${row.cells.map((c) => `<td style="padding:2px 6px;vertical-align:top">${htmlText(c, 400)}</td>`).join("")}</tr>`);
    parts.push("</table>");
  }
  parts.push("</body></html>");
  return parts.join("\n") + "\n";
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/**
 * The scheduled report's mail subject: "[sgwatch] posture report: 2 guardrail
 * violations, 5 world-open or broad rules, 1 open unapproved change" (and
 * blind targets when there are any). Only counts: nothing untrusted in it.
 */
export function reportSubject(r: PostureReport): string {
  const all = r.targets.flatMap((t) => t.findings);
  const open = all.filter((f) => f.reasons.some((x) => x !== "guardrail")).length;
  const blind = r.targets.filter((t) => t.blindSince !== null).length;
  const parts = [
    plural(all.filter((f) => f.guardrail !== null).length, "guardrail violation"),
    plural(open, "world-open or broad rule"),
    plural(r.openChanges.length, "open unapproved change"),
    ...(blind > 0 ? [plural(blind, "blind target")] : []),
  ];
  return `[sgwatch] posture report: ${parts.join(", ")}`;
}

export function renderReport(r: PostureReport, format: ReportFormat): string {
  return format === "md" ? renderMd(r) : format === "html" ? renderHtml(r) : renderText(r);
}
