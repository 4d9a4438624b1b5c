// sgwatch changes: the detected changes, filtered, as a table or JSON.
import type { Command } from "commander";
import { openForRead, printJson, type CliContext } from "../context.js";
import { formatTable } from "../table.js";
import { UserError } from "../../util/errors.js";
import { TIME_HELP, checkOrder, timeArg, whoCell } from "../history-args.js";
import { SEVERITIES } from "../../model/types.js";
import type { ChangeViewRow } from "../../store/view-rows.js";
import { oneLine } from "../../alerts/render/sanitize.js";

interface ChangesOptions {
  since: string;
  until?: string;
  status?: string;
  severity?: string;
  group?: string;
  account?: string;
  region?: string;
  limit: string;
  json?: boolean;
}

// The changes view's statuses: what was decided at detection (approved,
// unapproved), the later facts that supersede unapproved, revert (an
// unapproved change that undid an unapproved one: it closed that incident),
// and transient (a rule no poll saw, found from CloudTrail: docs/cloudtrail.md).
const STATUSES = ["unapproved", "approved", "acknowledged", "reverted", "revert", "transient"];

/** "open 10 s (cloudtrail)", "open 3 min (cloudtrail → poll)": how long it was in effect, and where each end's time came from (null when the polls measured both ends). */
function openFor(r: ChangeViewRow): string | null {
  // Between polls only is what the exposure always was: said where CloudTrail measured an end.
  if (r.exposure === null || r.undone_from === null || (r.changed_from !== "cloudtrail" && r.undone_from !== "cloudtrail")) return null;
  const from = r.changed_from === r.undone_from ? r.changed_from : `${r.changed_from} → ${r.undone_from}`;
  return `open ${r.exposure} (${from})`;
}

/** The rule, and for exposure-added the interface it became reachable through ("via i-0ab… (instance), 203.0.113.7"). */
function ruleCell(r: ChangeViewRow): string {
  const rule = r.direction ? `${r.direction} ${r.protocol} ${r.ports} ${r.direction === "egress" ? "to" : "from"} ${r.source}` : "";
  if (r.kind !== "exposure-added" || r.interface_id === null) return rule;
  const who = r.instance_id ? `${r.instance_id}, ${r.interface_id}` : r.interface_id;
  return `${rule} via ${who} (${r.interface_kind ?? "other"}), ${r.public_ip ?? "no public IP"}`;
}

/**
 * The status as read, with its reasons: a guardrail violation (it can never
 * become approved), the record that approved it, what a revert closed, and
 * CloudTrail's verdict on who made it (the actor policy or the record's by:)
 * with the failed condition.
 */
function statusCell(r: ChangeViewRow): string {
  const notes = [
    // A guardrail violation says so where the status is read: it can never become approved.
    r.guardrail ? `guardrail ${oneLine(r.guardrail, 64)}` : r.approval_id ? oneLine(r.approval_id, 64) : null,
    r.status === "revert" && r.closes !== null ? `closes #${r.closes}` : null,
    r.status === "transient" ? r.detected_status : null,
    openFor(r),
  ].filter((x): x is string => x !== null);
  const base = notes.length > 0 ? `${r.status} (${notes.join(", ")})` : r.status;
  const v = r.actor_verdict;
  if (v === "unexpected" || v === "not-by" || v === "unverified") {
    return `${base}; ${v === "unexpected" ? "unexpected actor" : v === "not-by" ? "made by someone else than by:" : "by: unverified"}: ${oneLine(r.actor_problem ?? "", 200)}`;
  }
  return base;
}

export function registerChanges(program: Command, ctx: CliContext): void {
  program
    .command("changes")
    .description("list detected changes (newest first)")
    .option("--since <time>", `from this time: ${TIME_HELP}`, "24h")
    .option("--until <time>", `up to this time: ${TIME_HELP}; default now`)
    .option("--status <status>", `only this status (${STATUSES.join(", ")})`)
    .option("--severity <severity>", `only this severity or worse (${SEVERITIES.join(", ")})`)
    .option("--group <group>", "only this group (id or name)")
    .option("--account <account>", "only this account")
    .option("--region <region>", "only this region")
    .option("--limit <n>", "at most this many rows", "500")
    .option("--json", "print JSON")
    .action((opts: ChangesOptions) => {
      const now = new Date();
      const since = timeArg("--since", opts.since, now);
      const where: string[] = ["time >= @since"];
      const params: Record<string, string | number> = { since };
      if (opts.until !== undefined) {
        const until = timeArg("--until", opts.until, now);
        checkOrder("--since", since, "--until", until);
        where.push("time <= @until");
        params.until = until;
      }
      if (opts.status) {
        if (!STATUSES.includes(opts.status)) throw new UserError(`--status: expected one of ${STATUSES.join(", ")}, got "${opts.status}"`);
        where.push("status = @status");
        params.status = opts.status;
      }
      if (opts.severity) {
        const idx = SEVERITIES.indexOf(opts.severity as (typeof SEVERITIES)[number]);
        if (idx < 0) throw new UserError(`--severity: expected one of ${SEVERITIES.join(", ")}, got "${opts.severity}"`);
        where.push(`severity IN (${SEVERITIES.slice(0, idx + 1).map((s) => `'${s}'`).join(", ")})`);
      }
      if (opts.group) {
        where.push("(group_id = @group OR group_name = @group)");
        params.group = opts.group;
      }
      if (opts.account) {
        where.push("account = @account");
        params.account = opts.account;
      }
      if (opts.region) {
        where.push("region = @region");
        params.region = opts.region;
      }
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new UserError(`--limit: expected a positive whole number, got "${opts.limit}"`);
      params.limit = limit;
      const db = openForRead(ctx);
      try {
        const rows = db
          .prepare(`SELECT * FROM changes WHERE ${where.join(" AND ")} ORDER BY time DESC, id DESC LIMIT @limit`)
          .all(params) as ChangeViewRow[];
        if (opts.json) return printJson(ctx, rows);
        if (rows.length === 0) return void ctx.out.write("no changes match\n");
        ctx.out.write(
          formatTable(
            ["id", "time (UTC)", "account", "region", "group", "kind", "rule", "severity", "status", "who"],
            rows.map((r) => [
              r.id,
              r.time.replace(/\.\d+Z$/, "Z"),
              r.account,
              r.region,
              r.group_name ? `${r.group_id} (${r.group_name})` : r.group_id,
              r.kind,
              ruleCell(r),
              r.severity,
              statusCell(r),
              whoCell(r.who, r.who_match),
            ]),
          ),
        );
      } finally {
        db.close();
      }
    });
}
