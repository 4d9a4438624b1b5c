// sgwatch report: the posture now, from the database (src/daemon/report.ts
// gathers it), written as text, Markdown or HTML (src/alerts/render/report.ts),
// or --json with the same data. Reads only.
import type { Command } from "commander";
import { openForRead, printJson, readConfig, type CliContext } from "../context.js";
import { renderReport, type ReportFormat } from "../../alerts/render/report.js";
import { gatherReport } from "../../daemon/report.js";
import { UserError } from "../../util/errors.js";
import { oneLine } from "../../util/printable.js";

interface ReportOptions {
  json?: boolean;
  format?: string;
}

const FORMATS: readonly ReportFormat[] = ["text", "md", "html"];

export function registerReport(program: Command, ctx: CliContext): void {
  program
    .command("report")
    .description("posture now: guardrail violations, world/broad-open rules, open unapproved changes, approvals ending or unused, blind targets, ignore list")
    .option("--json", "print JSON")
    .option("--format <format>", "text (default), md or html")
    .action((opts: ReportOptions) => {
      const format = opts.format ?? "text";
      if (!(FORMATS as readonly string[]).includes(format)) throw new UserError(`--format: expected text, md or html, got "${oneLine(format, 40)}"`);
      if (opts.json && opts.format !== undefined) throw new UserError("--json and --format: give one of them");
      const config = readConfig(ctx);
      const db = openForRead(ctx);
      try {
        const report = gatherReport(db, config, new Date());
        if (opts.json) printJson(ctx, report);
        else ctx.out.write(renderReport(report, format as ReportFormat));
      } finally {
        db.close();
      }
    });
}
