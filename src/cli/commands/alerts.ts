// sgwatch alerts [--pending|--dead] and sgwatch alerts retry ID: the outbox,
// for seeing what was (not) delivered and re-queueing dead alerts.
import type { Command } from "commander";
import { openForRead, openForWrite, printJson, type CliContext } from "../context.js";
import { formatTable } from "../table.js";
import { listOutbox, requeue, type OutboxRow } from "../../store/outbox-repo.js";
import { UserError } from "../../util/errors.js";

function summary(row: OutboxRow): string {
  try {
    const p = JSON.parse(row.payload) as { type: string; changes?: unknown[]; items?: unknown[]; problems?: unknown[]; records?: unknown[]; target?: { account: string; region: string } };
    const where = p.target ? ` ${p.target.account}/${p.target.region}` : "";
    const list = p.changes ?? p.items;
    if (list) return `${list.length} change${list.length === 1 ? "" : "s"}${where}`;
    if (p.problems) return `${p.problems.length} problem${p.problems.length === 1 ? "" : "s"}`;
    if (p.records) return `${p.records.length} record${p.records.length === 1 ? "" : "s"}`;
    return where.trim();
  } catch {
    return "";
  }
}

export function registerAlerts(program: Command, ctx: CliContext): void {
  const cmd = program.command("alerts").description("alerts in the outbox: pending, sent, dead; re-queue dead ones");
  cmd
    .command("list", { isDefault: true })
    .description("list alerts, newest first")
    .option("--pending", "only alerts waiting for delivery")
    .option("--dead", "only alerts that could not be delivered within alerts.retry.maxAge")
    .option("--limit <n>", "at most this many", "100")
    .option("--json", "print JSON")
    .action((o: { pending?: boolean; dead?: boolean; limit: string; json?: boolean }) => {
      if (o.pending && o.dead) throw new UserError("choose one of --pending and --dead");
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new UserError(`--limit: expected a positive whole number, got "${o.limit}"`);
      const db = openForRead(ctx);
      try {
        const rows = listOutbox(db, o.pending ? "pending" : o.dead ? "dead" : null, limit);
        if (o.json) return printJson(ctx, rows.map((r) => ({ ...r, payload: JSON.parse(r.payload) as unknown })));
        if (rows.length === 0) return void ctx.out.write("no alerts\n");
        ctx.out.write(
          formatTable(
            ["id", "created (UTC)", "channel", "kind", "severity", "status", "attempts", "next attempt / sent", "about", "last error"],
            rows.map((r) => [r.id, r.created_at, r.channel, r.kind, r.severity, r.status, r.attempts, r.status === "sent" ? r.sent_at : r.status === "pending" ? r.next_attempt_at : "", summary(r), r.last_error ?? ""]),
          ),
        );
      } finally {
        db.close();
      }
    });
  cmd
    .command("retry <ids...>")
    .description("re-queue dead (or pending) alerts for delivery now")
    .action((ids: string[]) => {
      const nums = ids.map((t) => {
        const n = Number(t);
        if (!Number.isInteger(n) || n <= 0) throw new UserError(`"${t}" is not an alert id`);
        return n;
      });
      const db = openForWrite(ctx);
      try {
        const now = new Date().toISOString();
        const missing = nums.filter((n) => !requeue(db, n, now));
        if (missing.length) throw new UserError(`not re-queued (no such alert, or already sent): ${missing.join(", ")}`);
      } finally {
        db.close();
      }
      ctx.out.write(`re-queued ${nums.join(", ")}; the daemon delivers them within a minute (or run \`sgwatch poll\`)\n`);
    });
}
