// sgwatch ack: accept unapproved changes after the fact. The change keeps its
// detection-time status; the acknowledgement (who, why, ticket) sits beside it
// and stops reminders.
import type { Command } from "commander";
import { openForWrite, type CliContext } from "../context.js";
import { acknowledge } from "../../store/acks-repo.js";
import { UserError } from "../../util/errors.js";
import { oneLine } from "../../util/printable.js";
import { plainTextFlag } from "../flags.js";

export function registerAck(program: Command, ctx: CliContext): void {
  program
    .command("ack <changeIds...>")
    .description("acknowledge unapproved changes (ids from alerts or `sgwatch changes`)")
    .requiredOption("--by <name>", "who accepts them")
    .requiredOption("--reason <text>", "why they are fine")
    .option("--ticket <id>", "a ticket to record with them")
    .action((ids: string[], o: { by: string; reason: string; ticket?: string }) => {
      const parsed = ids.map((text) => {
        const n = Number(text.replace(/^#/, ""));
        if (!Number.isInteger(n) || n <= 0) throw new UserError(`"${text}" is not a change id (a positive whole number)`);
        return n;
      });
      if (o.by.trim() === "" || o.reason.trim() === "") throw new UserError("--by and --reason must not be empty");
      plainTextFlag("--by", o.by);
      plainTextFlag("--reason", o.reason);
      if (o.ticket !== undefined) plainTextFlag("--ticket", o.ticket);
      const db = openForWrite(ctx);
      const problems: string[] = [];
      try {
        db.transaction(() => {
          const at = new Date().toISOString();
          for (const id of parsed) {
            const refusal = acknowledge(db, { changeId: id, by: o.by, reason: o.reason, ticket: o.ticket ?? null, at });
            if (refusal === "not-found") problems.push(`change ${id} does not exist`);
            else if (refusal === "approved") problems.push(`change ${id} was approved when detected; nothing to acknowledge`);
            else if (refusal === "already-acknowledged") problems.push(`change ${id} is already acknowledged`);
          }
          // All or nothing: a typo in one id must not half-apply the command.
          if (problems.length > 0) throw new UserError(`nothing was acknowledged:\n  ${problems.join("\n  ")}`);
        })();
      } finally {
        db.close();
      }
      ctx.out.write(`acknowledged ${parsed.map((n) => `#${n}`).join(", ")} by ${oneLine(o.by)}${o.ticket ? ` (${oneLine(o.ticket)})` : ""}\n`);
    });
}
