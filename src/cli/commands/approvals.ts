// sgwatch approvals [list|show ID|revoke ID]: every approval record sgwatch
// knows, from files and from the CLI.
import type { Command } from "commander";
import { openForRead, openForWrite, printJson, type CliContext } from "../context.js";
import { formatTable } from "../table.js";
import { UserError } from "../../util/errors.js";
import { oneLine } from "../../util/printable.js";
import { plainTextFlag } from "../flags.js";
import { getApproval, revokeApproval } from "../../store/approvals-repo.js";
import type { ApprovalViewRow } from "../../store/view-rows.js";


/** The record's by: principals, or null when it names none. */
function madeByOf(record: string | undefined): string[] | null {
  try {
    const by = record === undefined ? undefined : (JSON.parse(record) as { by?: unknown }).by;
    return Array.isArray(by) && by.length > 0 ? by.map(String) : null;
  } catch {
    return null;
  }
}

function listApprovalsCmd(ctx: CliContext, json: boolean): void {
  const db = openForRead(ctx);
  try {
    const rows = db.prepare("SELECT * FROM approvals ORDER BY window_from DESC, id").all() as ApprovalViewRow[];
    if (json) return printJson(ctx, rows);
    if (rows.length === 0) return void ctx.out.write("no approval records yet\n");
    ctx.out.write(
      formatTable(
        ["id", "state", "from", "until", "selector", "allows", "covered", "by", "source"],
        rows.map((r) => [
          r.id + (r.standing ? " (standing)" : ""),
          r.state,
          r.window_from,
          r.window_until,
          r.selector,
          r.allows,
          r.changes_covered,
          r.approved_by,
          r.origin === "file" ? `${r.file}:${r.line}` : "cli",
        ]),
      ),
    );
  } finally {
    db.close();
  }
}

export function registerApprovals(program: Command, ctx: CliContext): void {
  const cmd = program.command("approvals").description("list, show or revoke approved change records");
  cmd
    .command("list", { isDefault: true })
    .description("every record with its state and how many changes it covered")
    .option("--json", "print JSON")
    .action((o: { json?: boolean }) => listApprovalsCmd(ctx, o.json === true));
  cmd
    .command("show <id>")
    .description("one record in full, with the changes it covered")
    .option("--json", "print JSON")
    .action((id: string, o: { json?: boolean }) => {
      const db = openForRead(ctx);
      try {
        const row = db.prepare("SELECT * FROM approvals WHERE id = ?").get(id) as ApprovalViewRow | undefined;
        if (!row) throw new UserError(`no approval record ${id}`);
        const covered = db
          .prepare(
            `SELECT c.id, c.time, c.group_id, c.group_name, c.kind, c.direction, c.protocol, c.ports, c.source
             FROM changes c JOIN change_approvals ca ON ca.change_id = c.id WHERE ca.approval_id = ? ORDER BY c.id`,
          )
          .all(id) as Array<Record<string, string | number | null>>;
        // by: (who will make the change) lives in the stored record; the approvals view is left as it was.
        const madeBy = madeByOf(getApproval(db, id)?.record);
        if (o.json) return printJson(ctx, { ...row, made_by: madeBy, covered });
        // Stored text may predate the schema's refusal of control characters: show it escaped.
        const t = (v: string | number | null | undefined, max = 256): string => oneLine(String(v ?? ""), max);
        const lines = [
          `${t(row.id)}${row.standing ? " (standing)" : ""}: ${row.state}`,
          `  reason:      ${t(row.reason, 1000)}`,
          `  approved by: ${t(row.approved_by)}`,
          `  window:      ${row.window_from} until ${row.window_until}`,
          `  applies to:  ${t(row.selector, 1000)}`,
          `  allows:      ${t(row.allows, 1000)}`,
          `  made by:     ${madeBy === null ? "anyone (no by:)" : madeBy.map((p) => t(p)).join(", ")}`,
          `  defined in:  ${row.origin === "file" ? `${t(row.file)}:${row.line}` : "the database (sgwatch approve)"}`,
        ];
        if (row.revoked_at) lines.push(`  revoked:     ${row.revoked_at} by ${t(row.revoked_by)}: ${t(row.revoke_reason, 1000)}`);
        lines.push(`  covered ${covered.length} change${covered.length === 1 ? "" : "s"}${covered.length ? ":" : ""}`);
        for (const c of covered) {
          lines.push(`    #${c.id} ${c.time} ${t(c.group_id)} (${t(c.group_name, 80)}) ${c.kind} ${c.direction ?? ""} ${c.protocol ?? ""} ${c.ports ?? ""} ${t(c.source)}`.trimEnd());
        }
        ctx.out.write(lines.join("\n") + "\n");
      } finally {
        db.close();
      }
    });
  cmd
    .command("revoke <id>")
    .description("stop a record from approving anything further (history keeps what it approved)")
    .requiredOption("--by <name>", "who revokes it")
    .requiredOption("--reason <text>", "why")
    .action((id: string, o: { by: string; reason: string }) => {
      plainTextFlag("--by", o.by);
      plainTextFlag("--reason", o.reason);
      const db = openForWrite(ctx);
      try {
        const row = getApproval(db, id);
        if (!row) throw new UserError(`no approval record ${id}`);
        if (row.revoked_at) throw new UserError(`${id} was already revoked at ${row.revoked_at} by ${row.revoked_by}`);
        revokeApproval(db, id, o.by, o.reason, new Date().toISOString());
        ctx.out.write(`revoked ${oneLine(id)}${row.origin === "file" ? ` (its file ${oneLine(row.file ?? "")} still holds it; it stays revoked)` : ""}\n`);
      } finally {
        db.close();
      }
    });
}
