// sgwatch diff --from T1 --to T2: the net change between two times — the rule
// sets at T1 and at T2 compared by the poller's own differ, so a rule added and
// removed in between shows nothing.
import type { Command } from "commander";
import { openForRead, printJson, type CliContext } from "../context.js";
import { formatTable } from "../table.js";
import { netDiff, targetCoverage, type HistoryScope } from "../../store/history-queries.js";
import { TIME_HELP, changeWords, checkOrder, checkScope, groupLabel, resolveGroup, ruleJson, timeArg, utc } from "../history-args.js";
import { oneLine } from "../../alerts/render/sanitize.js";

interface DiffOptions {
  from: string;
  to?: string;
  group?: string;
  account?: string;
  region?: string;
  json?: boolean;
}

export function registerDiff(program: Command, ctx: CliContext): void {
  program
    .command("diff")
    .description("show the net change of rules and groups between two times")
    .requiredOption("--from <time>", `from this time: ${TIME_HELP}`)
    .option("--to <time>", `to this time: ${TIME_HELP}; default now`)
    .option("--group <group>", "only this group (id or name)")
    .option("--account <account>", "only this account")
    .option("--region <region>", "only this region")
    .option("--json", "print JSON")
    .action((opts: DiffOptions) => {
      const now = new Date();
      const from = timeArg("--from", opts.from, now);
      const to = opts.to !== undefined ? timeArg("--to", opts.to, now) : now.toISOString();
      checkOrder("--from", from, "--to", to);
      const db = openForRead(ctx);
      try {
        const scope: HistoryScope = { account: opts.account, region: opts.region };
        checkScope(db, scope);
        if (opts.group !== undefined) scope.group = resolveGroup(db, "--group", opts.group, scope);
        const changes = netDiff(db, from, to, scope);
        // Before a target's first poll nothing is known: its groups would all read as created.
        const notes = targetCoverage(db, scope)
          .filter((t) => t.firstPollAt === null || t.firstPollAt > from)
          .map(
            (t) =>
              `account ${t.account} region ${t.region}: ${t.firstPollAt ? `first polled ${utc(t.firstPollAt)}, after --from` : "never polled"}; groups it had then show as created`,
          );
        if (opts.json) {
          return printJson(ctx, {
            from,
            to,
            changes: changes.map(({ account, region, change: c }) => ({
              account,
              region,
              kind: c.kind,
              groupId: c.groupId,
              groupName: c.groupName,
              vpcId: c.vpcId,
              rule: c.rule ? ruleJson(c.rule) : null,
              oldDescription: c.oldDescription ?? null,
              before: c.before ?? null,
              after: c.after ?? null,
            })),
            notes,
          });
        }
        ctx.out.write(`net change from ${utc(from)} to ${utc(to)}\n`);
        for (const n of notes) ctx.err.write(`note: ${n}\n`);
        if (changes.length === 0) return void ctx.out.write("no net change\n");
        ctx.out.write(
          formatTable(
            ["account", "region", "group", "kind", "change"],
            changes.map(({ account, region, change: c }) => [
              account,
              region,
              groupLabel(c.groupId, oneLine(c.groupName, 80)),
              c.kind,
              changeWords({ kind: c.kind, rule: c.rule ?? null, oldDescription: c.oldDescription ?? null, before: c.before ?? null, after: c.after ?? null }),
            ]),
          ),
        );
      } finally {
        db.close();
      }
    });
}
