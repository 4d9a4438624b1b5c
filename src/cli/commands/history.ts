// sgwatch history GROUP: one group's timeline — when it was first seen, every
// change with its status now, and when it was deleted — as a table or JSON.
import type { Command } from "commander";
import { openForRead, printJson, type CliContext } from "../context.js";
import { formatTable } from "../table.js";
import { groupTimeline, type TimelineEntry } from "../../store/history-queries.js";
import { changeWords, groupLabel, resolveGroup, ruleJson, utc, whoCell } from "../history-args.js";
import { oneLine } from "../../alerts/render/sanitize.js";

interface HistoryOptions {
  account?: string;
  region?: string;
  json?: boolean;
}

/** The status cell: the status with what makes it so (the record, who acknowledged, when reverted). */
function statusCell(c: TimelineEntry): string {
  if (c.status === "acknowledged" && c.ackedBy !== null) return `acknowledged (by ${oneLine(c.ackedBy, 64)})`;
  if (c.status === "reverted" && c.revertedAt !== null) return `reverted (${utc(c.revertedAt)})`;
  if (c.approvalId !== null) return `${c.status} (${oneLine(c.approvalId, 64)})`;
  return c.status;
}

export function registerHistory(program: Command, ctx: CliContext): void {
  program
    .command("history")
    .description("one group's timeline: first seen, every change with its status, deletion")
    .argument("<group>", "group id or name")
    .option("--account <account>", "look for the group in this account only")
    .option("--region <region>", "look for the group in this region only")
    .option("--json", "print JSON")
    .action((ref: string, opts: HistoryOptions) => {
      const db = openForRead(ctx);
      try {
        const match = resolveGroup(db, "GROUP", ref, { account: opts.account, region: opts.region });
        const timeline = groupTimeline(db, match);
        // findGroups found a version, so the timeline exists; guard anyway rather than assert.
        if (timeline === undefined) return void ctx.out.write(`no history for ${match.groupId}\n`);
        const { group, changes } = timeline;
        if (opts.json) {
          return printJson(ctx, {
            group,
            changes: changes.map((c) => ({ ...c, rule: c.rule ? ruleJson(c.rule) : null, text: changeWords(c) })),
          });
        }
        ctx.out.write(
          [
            `group       ${groupLabel(group.groupId, oneLine(group.name, 80))}`,
            `target      account ${group.account}, region ${group.region}${group.vpcId ? `, ${group.vpcId}` : ""}`,
            `first seen  ${utc(group.firstSeenAt)}${group.firstSeenAtBaseline ? " (baseline: it existed when monitoring began)" : ""}`,
            `deleted     ${group.deletedAt ? utc(group.deletedAt) : "no, still present"}`,
            "",
          ].join("\n") + "\n",
        );
        if (changes.length === 0) return void ctx.out.write("no changes recorded\n");
        ctx.out.write(
          formatTable(
            ["id", "time (UTC)", "kind", "change", "severity", "status", "who"],
            changes.map((c) => [
              c.id,
              utc(c.time),
              c.kind,
              changeWords(c),
              c.severity,
              statusCell(c),
              whoCell(c.attribution?.actorArn ?? c.attribution?.actorName ?? null, c.attribution?.quality ?? null),
            ]),
          ),
        );
      } finally {
        db.close();
      }
    });
}
