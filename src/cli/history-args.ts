// Argument handling shared by the history commands (history, rules, diff):
// times, a group given by id or name, account/region scope, UTC display.
import type { Database } from "better-sqlite3";
import { UserError } from "../util/errors.js";
import { parseTimeArg } from "../util/time.js";
import { describeRule, formatPorts } from "../model/describe-rule.js";
import type { ChangeKind, GroupAttributes, Rule } from "../model/types.js";
import { oneLine } from "../alerts/render/sanitize.js";
import { groupChangeText } from "../alerts/render/words.js";
import { formatTable } from "./table.js";
import { findGroups, targetExists, type GroupMatch, type HistoryScope } from "../store/history-queries.js";

/** What every --help that takes a time says about it. */
export const TIME_HELP = "ISO-8601 (2026-11-28T09:00Z; without a zone, UTC) or relative (30m, 2h, 7d ago)";

/** A time flag as ISO UTC text; a bad or impossible value is a UserError naming the flag. */
export function timeArg(flag: string, text: string, now: Date): string {
  const t = parseTimeArg(text, now);
  if (t.ok) return new Date(t.ms).toISOString();
  const shown = oneLine(text, 80);
  if (t.problem === "impossible") throw new UserError(`${flag}: "${shown}" is not a real date and time (no such day, hour or minute)`);
  throw new UserError(`${flag}: expected an ISO-8601 time (2026-11-28T09:00Z; without a zone, UTC) or a relative one (30m, 2h, 7d), got "${shown}"`);
}

/** Two time flags in order, or a UserError naming both, so a reversed range is not an empty answer. */
export function checkOrder(fromFlag: string, from: string, toFlag: string, to: string): void {
  if (from > to) throw new UserError(`${fromFlag} (${utc(from)}) is after ${toFlag} (${utc(to)}); give the earlier time as ${fromFlag}`);
}

/** Reject an --account/--region that names no monitored target, rather than print an empty table. */
export function checkScope(db: Database, scope: Pick<HistoryScope, "account" | "region">): void {
  if ((scope.account !== undefined || scope.region !== undefined) && !targetExists(db, scope)) {
    const what = [scope.account !== undefined ? `--account ${scope.account}` : "", scope.region !== undefined ? `--region ${scope.region}` : ""]
      .filter((s) => s !== "")
      .join(" ");
    throw new UserError(`${what}: no monitored target matches`);
  }
}

/** The one group `ref` (id or name) names, or a UserError naming `flag`. */
export function resolveGroup(db: Database, flag: string, ref: string, scope: Pick<HistoryScope, "account" | "region">): GroupMatch {
  checkScope(db, scope);
  const matches = findGroups(db, ref, scope);
  const [only] = matches;
  if (only !== undefined && matches.length === 1) return only;
  if (matches.length === 0) throw new UserError(`${flag}: no group with id or name "${ref}" in the database${scope.account || scope.region ? " (within --account/--region)" : ""}`);
  // A match by a former name shows it, or "web" would seem to list "frontend" for no reason.
  const rows = matches.map((m) => [
    `${m.groupId} (${oneLine(m.name, 80)}${m.name !== ref && m.groupId !== ref ? `, formerly ${oneLine(ref, 80)}` : ""})`,
    `account ${m.account}`,
    `region ${m.region}`,
    m.deleted ? "deleted" : "",
  ]);
  const list = formatTable(["group", "account", "region", ""], rows)
    .split("\n")
    .slice(2)
    .filter((l) => l !== "")
    .map((l) => `  ${l}`)
    .join("\n");
  throw new UserError(`${flag}: "${ref}" matches ${matches.length} groups; give the group id, or narrow with --account/--region:\n${list}`);
}

/** ISO UTC without milliseconds, for tables. */
export function utc(iso: string | null): string | null {
  return iso === null ? null : iso.replace(/\.\d+Z$/, "Z");
}

/** "sg-0abc (web)", or the id alone when no name is known. */
export function groupLabel(groupId: string, name: string | null): string {
  return name ? `${groupId} (${name})` : groupId;
}

/** The rule's peer as a table cell: the source with account/peering notes. */
export function sourceCell(r: Rule): string {
  const notes = [...(r.sourceAccount !== null ? [`account ${r.sourceAccount}`] : []), ...(r.peeringId !== null ? [`via ${r.peeringId}`] : [])];
  return notes.length === 0 ? r.source : `${r.source} (${notes.join(", ")})`;
}

/** A rule as JSON: its fields, the compact ports and the sentence. */
export function ruleJson(r: Rule): Rule & { ports: string; text: string } {
  return { ...r, ports: formatPorts(r), text: describeRule(r) };
}

/** What a change did, in words, without the group (the terminal twin of the alerts' wording). */
export function changeWords(c: {
  kind: ChangeKind;
  rule: Rule | null;
  oldDescription: string | null;
  before: Partial<GroupAttributes> | null;
  after: Partial<GroupAttributes> | null;
}): string {
  const rule = c.rule ? describeRule(c.rule) : "a rule";
  switch (c.kind) {
    case "rule-added":
      return `added ${rule}`;
    case "rule-removed":
      return `removed ${rule}`;
    case "rule-description-changed":
      return `description of ${rule}: ${quoted(c.oldDescription)} → ${quoted(c.rule?.description ?? null)}`;
    case "group-created":
      return "group created";
    case "group-deleted":
      return "group deleted";
    case "group-changed":
      return groupChangeText(c.before, c.after);
    case "exposure-added":
      return `${rule} now reachable through an interface with a public address`;
  }
}

/**
 * The who cell of a change: the identity CloudTrail names, with how sure the
 * match is unless exact. A role session name is chosen by the caller: one line.
 */
export function whoCell(who: string | null, quality: string | null): string | null {
  if (who === null) return null;
  return quality === null || quality === "exact" ? oneLine(who, 160) : `${oneLine(who, 160)} (${quality} match)`;
}

/** Free text (descriptions) for one table cell: quoted, one line, capped. */
export function quoted(text: string | null): string {
  return text === null ? "(none)" : `"${oneLine(text, 120)}"`;
}
