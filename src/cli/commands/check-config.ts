// sgwatch check-config: validate the config and show what it means.
import type { Command } from "commander";
import { configPath, printJson, readConfig, type CliContext } from "../context.js";
import { resolveTargets } from "../../config/targets.js";
import { loadApprovalsDir } from "../../approvals/load.js";
import { EXIT } from "../../util/errors.js";
import { describeConflict, recordConflicts } from "../../policy/record-conflicts.js";
import { oneLine } from "../../alerts/render/sanitize.js";

export function registerCheckConfig(program: Command, ctx: CliContext, setExit: (code: number) => void): void {
  program
    .command("check-config")
    .description("validate the config file (and the approval files it points at); exit 2 on any problem")
    .option("--json", "print the resolved configuration (secrets are never in it: only env var names) and problems as JSON")
    .action((opts: { json?: boolean }) => {
      const config = readConfig(ctx);
      const targets = resolveTargets(config);
      const approvals = loadApprovalsDir(config.approvals.dir, { maxWindowMs: config.approvals.maxWindow });
      const email = config.alerts.email;
      // A file record that would cover a guardrail can never approve those changes; say so with its place.
      const conflicts = approvals.records.flatMap((r) =>
        recordConflicts(r, config.guardrails, config.severity.broadSources).map((c) => ({
          file: r.origin.kind === "file" ? r.origin.file : "",
          line: r.origin.kind === "file" ? r.origin.line : 0,
          record: r.id,
          guardrail: c.guardrailId,
          message: describeConflict(c),
        })),
      );
      const lines = [
        `config ${configPath(ctx)} is valid`,
        `database: ${config.database}`,
        `schedule: ${config.schedule} (UTC), concurrency ${config.concurrency}`,
        `targets: ${targets.length} account-regions: ${targets.map((t) => `${t.account}/${t.region}`).join(", ")}`,
        ...config.targets
          .filter((t) => t.regions === "all")
          .map((t) => `  and every enabled region (DescribeRegions at each cycle) of ${t.accounts.map((a) => a.account).join(", ")}`),
        `approvals: ${config.approvals.dir}: ${approvals.records.length} valid records, ${approvals.problems.length} problems`,
        `guardrails: ${config.guardrails.length}${config.guardrails.length > 0 ? ` (${config.guardrails.map((g) => g.id).join(", ")})` : ""}`,
        `alerts: log ${config.alerts.log.enabled ? `(min ${config.alerts.log.minSeverity})` : "off"}, email ${
          email?.enabled ? `to ${email.to.join(", ")} via ${email.host}:${email.port} (min ${email.minSeverity})` : "off"
        }`,
      ];
      if (email?.enabled && email.passwordEnv && ctx.env[email.passwordEnv] === undefined) {
        lines.push(`warning: alerts.email.passwordEnv names ${email.passwordEnv}, which is not set in this environment`);
      }
      for (const p of approvals.problems) lines.push(`approval problem: ${p.key}`);
      for (const c of conflicts) lines.push(`guardrail conflict: ${oneLine(`${c.file}:${c.line}: ${c.record}: ${c.message}`, 600)}`);
      if (opts.json) {
        printJson(ctx, {
          file: configPath(ctx),
          config,
          targets,
          approvals: { records: approvals.records.length, problems: approvals.problems, guardrailConflicts: conflicts },
        });
      } else ctx.out.write(lines.join("\n") + "\n");
      if (approvals.problems.length > 0 || conflicts.length > 0) setExit(EXIT.usage);
    });
}
