// sgwatch approve: create approved change records in the database, from a
// YAML file (same schema as the approvals directory) or from flags.
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { openForWrite, readConfig, type CliContext } from "../context.js";
import { parseApprovalsText, parseApprovalRecord } from "../../approvals/load.js";
import { parseChangeSpec, ChangeSpecError } from "../../approvals/change-spec.js";
import type { ApprovalChange, ApprovalRecord } from "../../approvals/schema.js";
import { describeChanges, describeSelector } from "../../approvals/describe.js";
import { getApproval, insertCliApproval } from "../../store/approvals-repo.js";
import { UserError, errorMessage } from "../../util/errors.js";
import type { Database } from "better-sqlite3";
import { unseenSelectors } from "../../approvals/unseen.js";
import { anyGroupSeen, seenGroups } from "../../store/seen-groups.js";
import { parseDuration, parseIsoTime } from "../../util/time.js";
import { oneLine } from "../../util/printable.js";
import { problemLines } from "../../approvals/problem-lines.js";
import { describeConflict, recordConflicts } from "../../policy/record-conflicts.js";
import { currentGroupOf } from "../../store/current-group.js";

interface ApproveOptions {
  file?: string;
  id?: string;
  group?: string;
  tag: string[];
  account?: string;
  region?: string;
  add: string[];
  remove: string[];
  modifyDescription: string[];
  any: string[];
  createGroup?: boolean;
  deleteGroup?: boolean;
  modifyTags?: boolean;
  from?: string;
  until?: string;
  by?: string;
  madeBy: string[];
  reason?: string;
  standing?: boolean;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/**
 * "+2h" means two hours from now; otherwise an ISO-8601 time, read as UTC
 * when it has no zone (as every CLI time flag is), passed on with its zone
 * spelled out so the record's own schema checks the window.
 */
function timeFlag(flag: string, text: string | undefined, now: Date): string | undefined {
  if (text === undefined) return undefined;
  if (text.startsWith("+")) {
    const ms = parseDuration(text.slice(1));
    if (ms === null) throw new UserError(`${flag} "${oneLine(text, 80)}": expected +DURATION like +2h or +3d, or an ISO-8601 time`);
    return new Date(now.getTime() + ms).toISOString();
  }
  const t = parseIsoTime(text, "utc");
  if (t.ok) return new Date(t.ms).toISOString();
  if (t.problem === "impossible") throw new UserError(`${flag}: "${oneLine(text, 80)}" is not a real date and time (no such day, hour or minute)`);
  throw new UserError(`${flag}: expected an ISO-8601 time (2026-12-01T18:00Z; without a zone, UTC) or +DURATION (+4h), got "${oneLine(text, 80)}"`);
}

/** A parsed entry back in the file spelling, so the record goes through the one schema. */
function entryToRaw(e: ApprovalChange): Record<string, unknown> {
  if (!("source" in e)) return { action: e.action };
  const raw: Record<string, unknown> = { action: e.action, direction: e.direction, protocol: e.protocol, source: e.source.value };
  if (e.ports !== null) raw.ports = e.ports.from === e.ports.to ? e.ports.from : `${e.ports.from}-${e.ports.to}`;
  else if (e.protocol !== "all" && e.protocol !== "any") raw.ports = "all";
  return raw;
}

function recordFromFlags(o: ApproveOptions, maxWindowMs: number): ApprovalRecord {
  const missing = (["id", "until", "by", "reason"] as const).filter((k) => !o[k]);
  if (missing.length) throw new UserError(`missing ${missing.map((k) => `--${k}`).join(", ")} (or use --file)`);
  const changes: Record<string, unknown>[] = [];
  try {
    for (const [action, specs] of [["add", o.add], ["remove", o.remove], ["modify-description", o.modifyDescription], ["any", o.any]] as const) {
      for (const spec of specs) changes.push(entryToRaw(parseChangeSpec(action, spec)));
    }
  } catch (err) {
    if (err instanceof ChangeSpecError) throw new UserError(err.message);
    throw err;
  }
  if (o.createGroup) changes.push({ action: "create-group" });
  if (o.deleteGroup) changes.push({ action: "delete-group" });
  if (o.modifyTags) changes.push({ action: "modify-tags" });
  if (changes.length === 0) throw new UserError("say what the record allows: --add, --remove, --modify-description, --any, --create-group, --delete-group or --modify-tags");
  const now = new Date();
  const raw: Record<string, unknown> = {
    id: o.id,
    reason: o.reason,
    approvedBy: o.by,
    window: { from: timeFlag("--from", o.from, now) ?? now.toISOString(), until: timeFlag("--until", o.until, now) },
    changes,
  };
  if (o.standing) raw.standing = true;
  if (o.madeBy.length > 0) raw.by = o.madeBy;
  if (o.account || o.region) raw.target = { ...(o.account ? { account: o.account } : {}), ...(o.region ? { region: o.region } : {}) };
  const selectors = [o.group, o.tag.length > 0 ? "tags" : undefined].filter(Boolean);
  if (selectors.length !== 1) throw new UserError("select the group with exactly one of --group (id or name) or --tag K=V (repeatable)");
  if (o.group) raw[o.group.startsWith("sg-") ? "groupId" : "groupName"] = o.group;
  else {
    const tags: Record<string, string> = {};
    for (const t of o.tag) {
      const eq = t.indexOf("=");
      if (eq <= 0) throw new UserError(`--tag "${t}": expected KEY=VALUE`);
      tags[t.slice(0, eq)] = t.slice(eq + 1);
    }
    raw.tags = tags;
  }
  const parsed = parseApprovalRecord(raw, { kind: "cli" }, { maxWindowMs });
  if (!parsed.ok) throw new UserError(`the record is not valid:\n  ${parsed.errors.map((e) => oneLine(e, 600)).join("\n  ")}`);
  return parsed.record;
}

function recordsFromFile(file: string, maxWindowMs: number): ApprovalRecord[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${errorMessage(err)}`);
  }
  const { records, problems } = parseApprovalsText(text, path.basename(file), { maxWindowMs });
  if (problems.length > 0) throw new UserError(`${file} has problems; nothing was stored:\n  ${problemLines(problems, (p) => p.key).join("\n  ")}`);
  if (records.length === 0) throw new UserError(`${file} holds no approval record`);
  return records.map((r) => ({ ...r, origin: { kind: "cli" } }));
}

/**
 * Stored, but probably not what was meant: a window already over approves
 * only changes the next poll finds made before its end; a selector no target
 * has seen (a typo?) approves nothing until such a group appears.
 */
function approveWarnings(db: Database, records: readonly ApprovalRecord[], now: Date): string[] {
  const out: string[] = [];
  for (const r of records) {
    if (Date.parse(r.window.until) < now.getTime()) {
      out.push(`${r.id}: the window ended at ${r.window.until}, before now; it covers only changes made before then that the next poll finds`);
    }
  }
  if (anyGroupSeen(db)) for (const u of unseenSelectors(records, seenGroups(db))) out.push(u.message);
  return out;
}

export function registerApprove(program: Command, ctx: CliContext): void {
  program
    .command("approve")
    .description("record an approved change before it is made (stored in the database; see docs/approvals.md)")
    .option("--file <record.yaml>", "read the record(s) from a YAML file in the approvals format")
    .option("--id <ticket>", "the change ticket, unique (e.g. CHG-1042)")
    .option("--group <sg-id|name>", "the group: an sg- id or a group name")
    .option("--tag <K=V>", "select groups by tag instead (repeatable; all must match)", collect, [])
    .option("--account <id>", "only in this account")
    .option("--region <region>", "only in this region")
    .option("--add <spec>", 'allow adding a rule: "tcp/443 from 10.0.0.0/8", "udp/53 to sg-0abc", "all from ::/0" (repeatable)', collect, [])
    .option("--remove <spec>", "allow removing a rule (repeatable)", collect, [])
    .option("--modify-description <spec>", "allow a rule's description to change (repeatable)", collect, [])
    .option("--any <spec>", "allow any change of matching rules (repeatable)", collect, [])
    .option("--create-group", "allow the group to be created")
    .option("--delete-group", "allow the group to be deleted")
    .option("--modify-tags", "allow the group's tags to change")
    .option("--from <time>", "window start: ISO-8601 (without a zone, UTC) or +DURATION; default now")
    .option("--until <time>", "window end: ISO-8601 (2026-12-01T18:00Z; without a zone, UTC) or +DURATION (+4h)")
    .option("--by <name>", "who approved it")
    // --by already names the approver; the record's by: (who will make the change) is --made-by.
    .option("--made-by <arn-pattern>", "who will make the change (the record's by:): an ARN glob or service principal (repeatable); CloudTrail must show it", collect, [])
    .option("--reason <text>", "why")
    .option("--standing", "allow a window longer than approvals.maxWindow (needs a reason; listed in `sgwatch status`)")
    .action((o: ApproveOptions) => {
      const config = readConfig(ctx);
      const maxWindowMs = config.approvals.maxWindow;
      const records = o.file ? recordsFromFile(o.file, maxWindowMs) : [recordFromFlags(o, maxWindowMs)];
      const db = openForWrite(ctx);
      const warnings: string[] = [];
      try {
        const now = new Date();
        db.transaction(() => {
          for (const r of records) {
            // Guardrails cannot be approved; a record that would cover one is refused before anything is stored.
            const conflicts = recordConflicts(r, config.guardrails, config.severity.broadSources, currentGroupOf(db, r));
            if (conflicts.length > 0) {
              throw new UserError(
                `approval ${oneLine(r.id, 80)} would cover what a guardrail forbids; no record can approve that, nothing was stored:\n  ` +
                  conflicts.map((c) => oneLine(describeConflict(c), 500)).join("\n  "),
              );
            }
            const existing = getApproval(db, r.id);
            if (existing) throw new UserError(`approval ${r.id} already exists (${existing.origin === "file" ? `from ${existing.file}:${existing.line}` : "created with sgwatch approve"}); nothing was stored`);
            insertCliApproval(db, r, now.toISOString());
          }
        })();
        warnings.push(...approveWarnings(db, records, now));
      } finally {
        db.close();
      }
      for (const r of records) {
        ctx.out.write(`approved ${oneLine(r.id)}: ${oneLine(describeChanges(r), 1000)} on ${oneLine(describeSelector(r.selector))}, ${r.window.from} until ${r.window.until}${r.standing ? " (standing)" : ""}\n`);
      }
      for (const w of warnings) ctx.err.write(`warning: ${oneLine(w, 1000)}\n`);
    });
}
