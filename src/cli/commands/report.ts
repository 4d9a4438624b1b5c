// sgwatch report: the posture now, from the database (src/daemon/report.ts
// gathers it), written as text, Markdown or HTML (src/alerts/render/report.ts),
// or --json with the same data; --email mails it now to report.to. Reads only.
import type { Command } from "commander";
import { openForRead, printJson, readConfig, type CliContext } from "../context.js";
import { renderReport, reportSubject, type ReportFormat } from "../../alerts/render/report.js";
import type { PostureReport } from "../../model/posture-report.js";
import type { Config } from "../../config/schema.js";
import { gatherReport } from "../../daemon/report.js";
import { EXIT, UserError, errorMessage } from "../../util/errors.js";
import { oneLine } from "../../util/printable.js";

interface ReportOptions {
  json?: boolean;
  format?: string;
  email?: boolean;
}

const FORMATS: readonly ReportFormat[] = ["text", "md", "html"];

/**
 * Mail the report now, straight to the SMTP server (not through the outbox):
 * whoever runs it learns at once whether it went, and a failure exits 1
 * naming the server. The mail is the one the schedule sends.
 */
async function sendNow(ctx: CliContext, config: Config, report: PostureReport): Promise<void> {
  // Loaded when needed: nodemailer and the channels cost start-up time for every other command.
  const { reportChannelFor } = await import("../../alerts/channels/registry.js");
  const email = config.alerts.email;
  if (!config.report) throw new UserError("--email: the config has no report section (report.to names who gets it, report.schedule when)");
  if (!email?.enabled) throw new UserError("--email: alerts.email is not enabled; the report is mailed through its SMTP server");
  const channel = reportChannelFor(config, ctx.env);
  try {
    await channel.send({ id: 0, createdAt: new Date().toISOString(), severity: "low", attempts: 0, payload: { type: "report", report } });
  } catch (err) {
    throw new UserError(`sending through ${email.host}:${email.port} failed: ${errorMessage(err)}`, EXIT.targetFailed);
  } finally {
    await channel.close();
  }
  ctx.out.write(`report sent to ${config.report.to.join(", ")} via ${email.host}:${email.port}: ${reportSubject(report)}\n`);
}

export function registerReport(program: Command, ctx: CliContext): void {
  program
    .command("report")
    .description("posture now: guardrail violations, world/broad-open rules, open unapproved changes, approvals ending or unused, blind targets, ignore list")
    .option("--json", "print JSON")
    .option("--format <format>", "text (default), md or html")
    .option("--email", "mail it now to report.to (text and HTML parts), as report.schedule does, instead of printing it")
    .action(async (opts: ReportOptions) => {
      const format = opts.format ?? "text";
      if (!(FORMATS as readonly string[]).includes(format)) throw new UserError(`--format: expected text, md or html, got "${oneLine(format, 40)}"`);
      if (opts.json && opts.format !== undefined) throw new UserError("--json and --format: give one of them");
      if (opts.email && (opts.json || opts.format !== undefined)) throw new UserError("--email sends the mail (text and HTML): give no --json or --format with it");
      const config = readConfig(ctx);
      const db = openForRead(ctx);
      let report: PostureReport;
      try {
        report = gatherReport(db, config, new Date());
      } finally {
        db.close();
      }
      if (opts.email) return sendNow(ctx, config, report);
      if (opts.json) printJson(ctx, report);
      else ctx.out.write(renderReport(report, format as ReportFormat));
    });
}
