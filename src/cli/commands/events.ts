// sgwatch events: the security-group calls the CloudTrail sweep stored
// (successful and failed), filtered, as a table or JSON. Everything shown
// comes from CloudTrail records, written by whoever made the call: every text
// cell goes through the one output sanitiser.
import type { Command } from "commander";
import { openForRead, printJson, type CliContext } from "../context.js";
import { formatTable } from "../table.js";
import { UserError } from "../../util/errors.js";
import { TIME_HELP, checkOrder, resolveGroup, timeArg, utc } from "../history-args.js";
import { oneLine } from "../../alerts/render/sanitize.js";

interface EventsOptions {
  failed?: boolean;
  since: string;
  until?: string;
  group?: string;
  who?: string;
  limit: string;
  json?: boolean;
}

/** A row of the query below. */
interface EventRow {
  time: string;
  account: string;
  region: string;
  event_name: string;
  group_id: string | null;
  outcome: string;
  error_code: string | null;
  error_message: string | null;
  rules: string;
  who: string | null;
  who_type: string | null;
  who_key: string | null;
  who_ip: string | null;
  user_agent: string | null;
  vpc_endpoint_id: string | null;
  event_id: string;
  rules_json: string;
}

export function registerEvents(program: Command, ctx: CliContext): void {
  program
    .command("events")
    .description("list security-group calls read from CloudTrail, successful and failed (newest first)")
    .option("--failed", "only calls that failed (denied, malformed, duplicate …)")
    .option("--since <time>", `from this time: ${TIME_HELP}`, "24h")
    .option("--until <time>", `up to this time: ${TIME_HELP}; default now`)
    .option("--group <group>", "only calls naming this group (id, or a name the polls know)")
    .option("--who <who>", "only calls by identities matching this: part of an ARN, user, role or session name, or access key id (any case)")
    .option("--limit <n>", "at most this many rows", "500")
    .option("--json", "print JSON")
    .action((opts: EventsOptions) => {
      const now = new Date();
      const since = timeArg("--since", opts.since, now);
      const where: string[] = ["e.event_time >= @since"];
      const params: Record<string, string | number> = { since };
      if (opts.until !== undefined) {
        const until = timeArg("--until", opts.until, now);
        checkOrder("--since", since, "--until", until);
        where.push("e.event_time <= @until");
        params.until = until;
      }
      if (opts.failed) where.push("e.error_code IS NOT NULL");
      if (opts.who !== undefined) {
        if (opts.who.trim() === "") throw new UserError("--who: give an ARN, an access key id, or a user or role session name");
        // Part of a name is enough, in any case: "alice" finds user/alice and assumed-role/…/alice-laptop, "AKIAEXAMPLE" a key.
        // instr, not LIKE: % and _ in what people type are plain characters.
        where.push("(instr(lower(coalesce(e.identity_arn, '')), @who) > 0 OR instr(lower(coalesce(e.access_key_id, '')), @who) > 0)");
        params.who = opts.who.trim().toLowerCase();
      }
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new UserError(`--limit: expected a positive whole number, got "${oneLine(opts.limit, 40)}"`);
      params.limit = limit;
      const db = openForRead(ctx);
      try {
        if (opts.group !== undefined) {
          // A group id is taken as given: CloudTrail may name groups no poll saw (a create that failed, one deleted in between).
          params.group = /^sg-[0-9a-f]+$/.test(opts.group) ? opts.group : resolveGroup(db, "--group", opts.group, {}).groupId;
          where.push("(e.group_id = @group OR EXISTS (SELECT 1 FROM json_each(e.group_ids) WHERE value = @group))");
        }
        const rows = db
          .prepare(
            `SELECT v.time, v.account, v.region, v.event_name, v.group_id, v.outcome, v.error_code, v.error_message, v.rules,
                    v.who, v.who_type, v.who_key, v.who_ip, v.user_agent, v.vpc_endpoint_id, v.event_id, e.rules AS rules_json
               FROM trail_events e JOIN trail_events_readable v ON v.event_id = e.event_id
              WHERE ${where.join(" AND ")}
              ORDER BY e.event_time DESC, e.event_id LIMIT @limit`,
          )
          .all(params) as EventRow[];
        if (opts.json) {
          return printJson(
            ctx,
            rows.map(({ rules_json, rules, ...r }) => ({ ...r, rulesText: rules, rules: JSON.parse(rules_json) as unknown })),
          );
        }
        if (rows.length === 0) return void ctx.out.write(opts.failed ? "no failed calls match\n" : "no calls match\n");
        const text = (s: string | null, max = 120): string => (s === null ? "" : oneLine(s, max));
        ctx.out.write(
          formatTable(
            ["time (UTC)", "account", "region", "call", "group", "outcome", "rules", "who", "key", "from"],
            rows.map((r) => [
              utc(r.time),
              text(r.account, 20),
              text(r.region, 30),
              text(r.event_name, 60),
              text(r.group_id, 40),
              r.error_code === null ? "ok" : text(r.error_code, 60),
              text(r.rules, 160),
              text(r.who, 160),
              text(r.who_key, 40),
              [text(r.who_ip, 60), r.vpc_endpoint_id !== null ? `via ${text(r.vpc_endpoint_id, 40)}` : ""].filter((x) => x !== "").join(" "),
            ]),
          ),
        );
      } finally {
        db.close();
      }
    });
}
