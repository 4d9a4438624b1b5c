// sgwatch check-config: validate the config, the environment it names, the
// approval files and (when it exists) the database against them, and give one
// verdict: valid (exit 0) only when `poll` and `run` would not fail on any of it.
import { existsSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { configPath, printJson, readConfig, type CliContext } from "../context.js";
import { resolveTargets } from "../../config/targets.js";
import { ConfigError } from "../../config/load.js";
import type { Config } from "../../config/schema.js";
import { checkEnvironment } from "../../config/env-check.js";
import { configWarnings } from "../../config/warnings.js";
import { configFinding, type Finding } from "../../config/findings.js";
import { actorPolicyLines, channelSummaries, redactedConfig, routingLines, routingTable } from "../../config/summary.js";
import { ignoreListLines, ignoreList } from "../../config/ignore-list.js";
import { loadApprovalsDir, type LoadResult } from "../../approvals/load.js";
import { unseenSelectors } from "../../approvals/unseen.js";
import { databaseLocationProblem, openDatabase, type OpenedDatabase } from "../../store/open.js";
import { getApproval } from "../../store/approvals-repo.js";
import { anyGroupSeen, seenGroups } from "../../store/seen-groups.js";
import { oneLine } from "../../alerts/render/sanitize.js";
import { EXIT, UserError, errorMessage } from "../../util/errors.js";
import { describeConflict, recordConflicts } from "../../policy/record-conflicts.js";

interface CheckOptions {
  json?: boolean;
  offline?: boolean;
}

/** Longest line printed for one finding; approval problems quote file contents. */
const MAX_FINDING = 2000;

/**
 * What the database says about the approval records: ids a `sgwatch approve`
 * record already holds (the daemon ignores the file's record: a problem) and
 * selectors no target has ever seen (a warning). Read-only; the file is left alone.
 */
function checkAgainstDatabase(file: string, approvals: LoadResult, errors: Finding[], warnings: Finding[]): void {
  let opened: OpenedDatabase;
  try {
    opened = openDatabase(file, { readonly: true, acceptPending: true });
  } catch (err) {
    errors.push({ about: "database", message: `database: ${errorMessage(err)}` });
    return;
  }
  const db = opened.db;
  if (opened.pendingMigrations > 0) {
    // Empty or older: the daemon initialises or migrates it at start, so that is
    // no problem, but its tables cannot be asked about approvals yet.
    db.close();
    return;
  }
  try {
    for (const r of approvals.records) {
      const existing = getApproval(db, r.id);
      if (existing?.origin !== "cli" || r.origin.kind !== "file") continue;
      errors.push({
        about: "approvals",
        file: r.origin.file,
        line: r.origin.line,
        message: `${r.origin.file}:${r.origin.line}: id ${r.id} is already used by a record created with \`sgwatch approve\`; the daemon ignores this one`,
      });
    }
    if (anyGroupSeen(db)) {
      for (const u of unseenSelectors(approvals.records, seenGroups(db))) {
        const where = u.record.origin.kind === "file" ? `${u.record.origin.file}:${u.record.origin.line}: ` : "";
        warnings.push({
          about: "approvals",
          message: `${where}${u.message}`,
          ...(u.record.origin.kind === "file" ? { file: u.record.origin.file, line: u.record.origin.line } : {}),
        });
      }
    }
  } finally {
    db.close();
  }
}

function check(ctx: CliContext, config: Config, opts: CheckOptions) {
  const errors: Finding[] = [];
  const warnings: Finding[] = [];
  // Unset variables fail the daemon; --offline is for checking the file away from where it runs.
  for (const p of checkEnvironment(config, ctx.env)) (opts.offline ? warnings : errors).push(configFinding(p));
  for (const w of configWarnings(config)) warnings.push({ about: "config", key: w.key, message: `${w.key}: ${w.message}` });
  const approvals = loadApprovalsDir(config.approvals.dir, { maxWindowMs: config.approvals.maxWindow });
  for (const p of approvals.problems) {
    errors.push({ about: "approvals", file: p.file, ...(p.line ? { line: p.line } : {}), message: p.key });
  }
  // A file record that would cover a guardrail can never approve those changes; say so with its place.
  for (const r of approvals.records) {
    for (const c of recordConflicts(r, config.guardrails, config.severity.broadSources)) {
      const file = r.origin.kind === "file" ? r.origin.file : "";
      const line = r.origin.kind === "file" ? r.origin.line : 0;
      errors.push({ about: "approvals", file, ...(line ? { line } : {}), message: `guardrail conflict: ${file}:${line}: ${r.id}: ${describeConflict(c)}` });
    }
  }
  const dbFile = ctx.globals().db ? path.resolve(ctx.globals().db as string) : config.database;
  if (existsSync(dbFile)) checkAgainstDatabase(dbFile, approvals, errors, warnings);
  else {
    const problem = databaseLocationProblem(dbFile);
    if (problem) errors.push({ about: "database", message: problem });
  }
  return { errors, warnings, approvals, dbFile };
}

export function registerCheckConfig(program: Command, ctx: CliContext, setExit: (code: number) => void): void {
  program
    .command("check-config")
    .description("validate the config, the environment variables it names, the approval files and the database against them; exit 2 on any problem")
    .option("--json", "print the result as JSON: the configuration (no secret: env var names only, an inline webhook URL redacted), problems and warnings")
    .option("--offline", "report unset environment variables (passwordEnv, urlEnv, headersFromEnv) as warnings, not problems")
    .action((opts: CheckOptions) => {
      const file = configPath(ctx);
      let config: Config;
      try {
        config = readConfig(ctx);
      } catch (err) {
        // Without --json the message goes to stderr through the CLI's one error boundary.
        if (!opts.json || !(err instanceof UserError)) throw err;
        const errors: Finding[] = err instanceof ConfigError ? err.problems.map(configFinding) : [{ about: "config", message: err.message }];
        printJson(ctx, { file, valid: false, errors, warnings: [] });
        setExit(err.exitCode);
        return;
      }
      const targets = resolveTargets(config);
      const { errors, warnings, approvals, dbFile } = check(ctx, config, opts);
      const valid = errors.length === 0;
      const channels = channelSummaries(config, ctx.env);
      const routing = routingTable(config, ctx.env);
      const ignore = ignoreList(config, new Date());
      if (opts.json) {
        printJson(ctx, {
          file,
          valid,
          errors: errors.map((f) => ({ ...f, message: oneLine(f.message, MAX_FINDING) })),
          warnings: warnings.map((f) => ({ ...f, message: oneLine(f.message, MAX_FINDING) })),
          config: redactedConfig(config),
          targets,
          channels,
          routing,
          ignore,
          approvals: { dir: config.approvals.dir, records: approvals.records.length, problems: approvals.problems.length },
        });
      } else {
        const lines = [
          `config: ${file}`,
          `database: ${dbFile}${existsSync(dbFile) ? "" : " (not created yet)"}`,
          `schedule: ${config.schedule} (UTC), concurrency ${config.concurrency}`,
          `targets: ${targets.length} account-regions: ${targets.map((t) => `${t.account}/${t.region}`).join(", ")}`,
          ...config.targets
            .filter((t) => t.regions === "all")
            .map((t) => `  and every enabled region (DescribeRegions at each cycle) of ${t.accounts.map((a) => a.account).join(", ")}`),
          `approvals: ${config.approvals.dir}: ${approvals.records.length} valid records, ${approvals.problems.length} problems`,
          `guardrails: ${config.guardrails.length}${config.guardrails.length > 0 ? ` (${config.guardrails.map((g) => g.id).join(", ")})` : ""}`,
          ...actorPolicyLines(config, targets).map((l) => oneLine(l, MAX_FINDING)),
          `alerts:`,
          ...channels.map((c) => `  ${c.channel}: ${c.summary}`),
          ...routingLines(routing).map((l) => oneLine(l, MAX_FINDING)),
          ...ignoreListLines(ignore).map((l) => oneLine(l, MAX_FINDING)),
          ...warnings.map((w) => `warning: ${oneLine(w.message, MAX_FINDING)}`),
          ...errors.map((e) => `problem: ${oneLine(e.message, MAX_FINDING)}`),
          valid
            ? `config ${file} is valid${warnings.length ? ` (${warnings.length} warning${warnings.length === 1 ? "" : "s"})` : ""}`
            : `config ${file} is NOT valid: ${errors.length} problem${errors.length === 1 ? "" : "s"}`,
        ];
        ctx.out.write(lines.join("\n") + "\n");
      }
      if (!valid) setExit(EXIT.usage);
    });
}
