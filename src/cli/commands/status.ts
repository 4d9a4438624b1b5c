// sgwatch status: targets, last poll, last error, pending alerts.
// --health exits non-zero while any target is blind (Docker HEALTHCHECK); see
// cli/status-health.ts for where that verdict comes from.
import type { Command } from "commander";
import { openForRead, printJson, readConfig, type CliContext } from "../context.js";
import type { Config } from "../../config/schema.js";
import { ZERO_GROUPS_UNCONFIRMED } from "../../model/zero-groups.js";
import { daemonHealth, storedHealth, type HealthVerdict } from "../status-health.js";
import { formatTable } from "../table.js";
import { EXIT } from "../../util/errors.js";
import { listTargets } from "../../store/targets-repo.js";
import { trailHealth } from "../../trail/health.js";
import { lastPoll, lastSuccessfulPoll } from "../../store/polls-repo.js";
import { countOutbox } from "../../store/outbox-repo.js";
import { standingApprovals } from "../../store/approvals-repo.js";
import { oneLine } from "../../util/printable.js";
import { lastRetentionRun, runCounts } from "../../store/retention.js";
import { droppedInWords } from "../../store/retention-words.js";
import { humanDuration } from "../../util/time.js";

export function registerStatus(program: Command, ctx: CliContext, setExit: (code: number) => void): void {
  program
    .command("status")
    .description("show each target's last poll and error, and the alert queue")
    .option("--health", "print nothing but a verdict (JSON with --json); exit 4 while any target is blind, nothing was recorded for monitoring.blindAfter, or none was ever polled")
    .option("--json", "print JSON")
    .action(async (opts: { health?: boolean; json?: boolean }) => {
      // The daemon's /healthz knows what a database it cannot write does not.
      if (opts.health) {
        const config = configForHealth(ctx);
        const viaDaemon = config?.http ? await daemonHealth(healthzUrl(config.http), 2_000) : null;
        if (viaDaemon) return reportHealth(ctx, viaDaemon, opts.json === true, setExit);
      }
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
            // ZeroGroupsUnconfirmed: an empty poll held until the next poll confirms it.
            lastPollErrorCode: last?.error_code ?? null,
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
        if (opts.health) {
          const config = configForHealth(ctx);
          // The second sensor's blindness counts too, as it does on /healthz.
          const trail = trailHealth(db, () => true);
          const verdict = storedHealth(targets, new Date(), config?.monitoring.blindAfter ?? null, trail.reasons);
          return reportHealth(ctx, verdict, opts.json === true, setExit);
        }
        const retention = retentionStatus(db, configForHealth(ctx));
        if (opts.json) return printJson(ctx, { targets, alerts: outbox, standingApprovals: standing, retention });
        ctx.out.write(
          formatTable(
            ["account", "region", "label", "last poll (UTC)", "result", "last success", "groups", "rules", "failures", "error"],
            targets.map((t) => [
              t.account,
              t.region,
              t.label,
              t.lastPollAt,
              t.blindSince ? "BLIND" : t.lastPollErrorCode === ZERO_GROUPS_UNCONFIRMED ? "UNCONFIRMED" : t.lastPollStatus,
              t.lastSuccessAt,
              t.groups,
              t.rules,
              t.consecutiveFailures,
              t.lastError ?? "",
            ]),
          ),
        );
        ctx.out.write(`alerts: ${outbox.pending} pending, ${outbox.sent} sent, ${outbox.dead} dead\n`);
        ctx.out.write(`${retentionLine(retention)}\n`);
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

/** What status says of retention: how long history is kept and what the last compaction dropped. */
interface RetentionStatus {
  /** history.keep in words; "forever" when not set; null when no config was read (--db alone). */
  keep: string | null;
  /** The latest compaction run, or null when none ran. */
  lastRun: { startedAt: string; finishedAt: string | null; cutoff: string; dropped: ReturnType<typeof runCounts> } | null;
}

function retentionStatus(db: Parameters<typeof lastRetentionRun>[0], config: Config | null): RetentionStatus {
  const keep = config ? (config.history.keep === "forever" ? "forever" : humanDuration(config.history.keep)) : null;
  const row = lastRetentionRun(db);
  return { keep, lastRun: row ? { startedAt: row.started_at, finishedAt: row.finished_at, cutoff: row.cutoff, dropped: runCounts(row) } : null };
}

/** "history kept for 400 d; last compaction 2026-…: dropped 3 changes, … older than 2025-…". */
function retentionLine(r: RetentionStatus): string {
  const kept = r.keep === null ? "history.keep unknown (no config read)" : r.keep === "forever" ? "history kept forever (history.keep not set)" : `history kept for ${r.keep}`;
  if (!r.lastRun) return `${kept}; no compaction has run`;
  const how = r.lastRun.finishedAt ? "" : " (stopped before the end)";
  return `${kept}; last compaction ${r.lastRun.startedAt}${how}: dropped ${droppedInWords(r.lastRun.dropped)} older than ${r.lastRun.cutoff}`;
}

/** The config when there is one to read; `--db` alone is enough for a stored verdict. */
function configForHealth(ctx: CliContext): Config | null {
  if (ctx.globals().db === undefined) return readConfig(ctx);
  try {
    return readConfig(ctx);
  } catch {
    return null;
  }
}

/** The daemon's /healthz; a wildcard bind address is reached on loopback. */
function healthzUrl(http: NonNullable<Config["http"]>): string {
  const host = http.host === "0.0.0.0" || http.host === "::" ? "127.0.0.1" : http.host;
  return `http://${host.includes(":") ? `[${host}]` : host}:${http.port}/healthz`;
}

function reportHealth(ctx: CliContext, v: HealthVerdict, json: boolean, setExit: (code: number) => void): void {
  if (!v.healthy) setExit(EXIT.unhealthy);
  if (json) return printJson(ctx, v);
  ctx.out.write(v.healthy ? `healthy: ${v.targets} targets polled, none blind\n` : `unhealthy: ${v.reasons.join("; ")}\n`);
}
