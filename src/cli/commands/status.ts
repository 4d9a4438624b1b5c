// sgwatch status: targets, last poll, last error, pending alerts.
// --health exits non-zero while any target is blind (Docker HEALTHCHECK).
import type { Command } from "commander";
import { openForRead, printJson, type CliContext } from "../context.js";
import { formatTable } from "../table.js";
import { EXIT } from "../../util/errors.js";
import { listTargets } from "../../store/targets-repo.js";
import { lastPoll, lastSuccessfulPoll } from "../../store/polls-repo.js";
import { countOutbox } from "../../store/outbox-repo.js";
import { standingApprovals } from "../../store/approvals-repo.js";
import { oneLine } from "../../util/printable.js";

export function registerStatus(program: Command, ctx: CliContext, setExit: (code: number) => void): void {
  program
    .command("status")
    .description("show each target's last poll and error, and the alert queue")
    .option("--health", "print nothing but a verdict; exit 4 while any target is blind or none was ever polled")
    .option("--json", "print JSON")
    .action((opts: { health?: boolean; json?: boolean }) => {
      const db = openForRead(ctx);
      try {
        const targets = listTargets(db).map((t) => {
          const last = lastPoll(db, t.id);
          const ok = lastSuccessfulPoll(db, t.id);
          return {
            account: t.account,
            region: t.region,
            label: t.label,
            lastPollAt: last?.finished_at ?? null,
            lastPollStatus: last?.status ?? null,
            lastSuccessAt: ok?.finished_at ?? null,
            groups: ok?.group_count ?? null,
            rules: ok?.rule_count ?? null,
            consecutiveFailures: t.consecutive_failures,
            blindSince: t.blind_since,
            lastError: t.last_error,
          };
        });
        const outbox = countOutbox(db);
        const standing = standingApprovals(db, new Date().toISOString()).map((r) => ({
          id: r.id,
          until: r.window_until,
          selector: r.selector,
          allows: r.changes_text,
          approvedBy: r.approved_by,
          reason: r.reason,
        }));
        const blind = targets.filter((t) => t.blindSince !== null);
        if (opts.health) {
          const healthy = targets.length > 0 && blind.length === 0;
          ctx.out.write(
            healthy
              ? `healthy: ${targets.length} targets polled, none blind\n`
              : targets.length === 0
                ? "unhealthy: no target has been polled yet\n"
                : `unhealthy: blind: ${blind.map((t) => `${t.account}/${t.region} since ${t.blindSince} (${oneLine(t.lastError ?? "")})`).join("; ")}\n`,
          );
          if (!healthy) setExit(EXIT.unhealthy);
          return;
        }
        if (opts.json) return printJson(ctx, { targets, alerts: outbox, standingApprovals: standing });
        ctx.out.write(
          formatTable(
            ["account", "region", "label", "last poll (UTC)", "result", "last success", "groups", "rules", "failures", "error"],
            targets.map((t) => [
              t.account,
              t.region,
              t.label,
              t.lastPollAt,
              t.blindSince ? "BLIND" : t.lastPollStatus,
              t.lastSuccessAt,
              t.groups,
              t.rules,
              t.consecutiveFailures,
              t.lastError ?? "",
            ]),
          ),
        );
        ctx.out.write(`alerts: ${outbox.pending} pending, ${outbox.sent} sent, ${outbox.dead} dead\n`);
        // Standing approvals are listed every time so they are never forgotten.
        if (standing.length > 0) {
          ctx.out.write(`\nstanding approvals (${standing.length}):\n`);
          ctx.out.write(formatTable(["id", "until", "applies to", "allows", "approved by", "reason"], standing.map((r) => [r.id, r.until, r.selector, r.allows, r.approvedBy, r.reason])));
        }
      } finally {
        db.close();
      }
    });
}
