// sgwatch rules: the rule set as it was at a point in time (default now),
// from the rule_versions intervals, as a table or JSON.
import type { Command } from "commander";
import { openForRead, printJson, type CliContext } from "../context.js";
import { formatTable } from "../table.js";
import { rulesAt, targetCoverage, type HistoryScope } from "../../store/history-queries.js";
import { TIME_HELP, checkScope, groupLabel, quoted, resolveGroup, ruleJson, sourceCell, timeArg, utc } from "../history-args.js";
import { formatPorts } from "../../model/describe-rule.js";
import { oneLine } from "../../alerts/render/sanitize.js";

interface RulesOptions {
  group?: string;
  at?: string;
  account?: string;
  region?: string;
  json?: boolean;
}

export function registerRules(program: Command, ctx: CliContext): void {
  program
    .command("rules")
    .description("list the rules as they were at a time (default: now)")
    .option("--at <time>", `at this time: ${TIME_HELP}; default now`)
    .option("--group <group>", "only this group (id or name)")
    .option("--account <account>", "only this account")
    .option("--region <region>", "only this region")
    .option("--json", "print JSON")
    .action((opts: RulesOptions) => {
      const now = new Date();
      const at = opts.at !== undefined ? timeArg("--at", opts.at, now) : now.toISOString();
      const db = openForRead(ctx);
      try {
        const scope: HistoryScope = { account: opts.account, region: opts.region };
        checkScope(db, scope);
        if (opts.group !== undefined) scope.group = resolveGroup(db, "--group", opts.group, scope);
        const rules = rulesAt(db, at, scope);
        // Before a target's first poll its rules are unknown, not absent: say so.
        const unknown = targetCoverage(db, scope).filter((t) => t.firstPollAt === null || t.firstPollAt > at);
        const notes = unknown.map(
          (t) => `account ${t.account} region ${t.region}: ${t.firstPollAt ? `first polled ${utc(t.firstPollAt)}, after --at` : "never polled"}; its rules at that time are unknown`,
        );
        if (opts.json) {
          return printJson(ctx, {
            at,
            rules: rules.map((r) => ({ account: r.account, region: r.region, groupId: r.groupId, groupName: r.groupName, ...ruleJson(r.rule), since: r.since })),
            notes,
          });
        }
        ctx.out.write(`rules at ${utc(at)}\n`);
        for (const n of notes) ctx.err.write(`note: ${n}\n`);
        if (rules.length === 0) return void ctx.out.write("no rules\n");
        ctx.out.write(
          formatTable(
            ["account", "region", "group", "direction", "protocol", "ports", "source", "description", "since (UTC)"],
            rules.map((r) => [
              r.account,
              r.region,
              groupLabel(r.groupId, r.groupName === null ? null : oneLine(r.groupName, 80)),
              r.rule.direction,
              r.rule.protocol,
              formatPorts(r.rule),
              sourceCell(r.rule),
              r.rule.description === null ? null : quoted(r.rule.description),
              utc(r.since),
            ]),
          ),
        );
      } finally {
        db.close();
      }
    });
}
