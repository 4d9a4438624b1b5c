// sgwatch poll: one cycle now, a summary, and alert dispatch.
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { readConfig, makeLogger, printJson } from "../context.js";
import { formatTable } from "../table.js";
import { resolveTargets } from "../../config/targets.js";
import { EXIT } from "../../util/errors.js";
import { describeRule } from "../../model/describe-rule.js";
import type { CycleResult } from "../../daemon/cycle.js";
import { isOpenDrift } from "../../model/judged.js";
import { problemLines } from "../../approvals/problem-lines.js";
import { oneLine } from "../../util/printable.js";

function changesJson(r: CycleResult): unknown[] {
  return r.targets.flatMap((t) =>
    t.judged.map((j, i) => ({
      id: t.changeIds[i],
      account: t.account,
      region: t.region,
      kind: j.change.kind,
      groupId: j.change.groupId,
      groupName: j.change.groupName,
      rule: j.change.rule ?? null,
      text: j.change.rule ? describeRule(j.change.rule) : null,
      ...j.judgement,
      // A change that undid an unapproved one is its own status, as in the changes view.
      ...(j.closes !== undefined ? { status: "revert", closes: j.closes } : {}),
    })),
  );
}

export function registerPoll(program: Command, ctx: CliContext, setExit: (code: number) => void): void {
  program
    .command("poll")
    .description("poll every target once now, record the results, deliver alerts, print a summary")
    .option("--json", "print the changes found as JSON instead of the summary")
    .option("--fail-on-drift", "exit 3 when unapproved changes were found (a change that undid an unapproved one does not count)")
    .addHelpText("after", "\nExit codes: 0 all targets polled, 1 a target failed, 2 bad config/usage, 3 unapproved drift (with --fail-on-drift).")
    .action(async (opts: { json?: boolean; failOnDrift?: boolean }) => {
      // Loaded when needed: the AWS SDK and friends cost a second at start-up for every other command.
      const { App } = await import("../../daemon/app.js");
      const config = readConfig(ctx);
      // Logs go to stderr here: stdout carries the summary or the JSON.
      const logger = makeLogger(ctx, config, { stderr: true });
      const app = new App({ config, logger, env: ctx.env });
      let result: CycleResult;
      try {
        const tty = (ctx.err as NodeJS.WriteStream).isTTY === true && !opts.json;
        let done = 0;
        let total = resolveTargets(config).length;
        result = await app.cycle({
          progress: tty
            ? {
                onTargetStart: () => {
                  total = Math.max(total, done + 1);
                },
                onPage: (t, pages, groups) => ctx.err.write(`\r[${done}/${total}] ${oneLine(`${t.account}/${t.region}`, 80)}: ${pages} pages, ${groups} groups   `),
                onTargetDone: () => {
                  done++;
                  ctx.err.write(`\r[${done}/${total}] targets done${" ".repeat(30)}`);
                },
              }
            : {},
        });
        if (tty) ctx.err.write("\n");
        await app.dispatch();
      } finally {
        await app.close();
      }
      // Changes that undid unapproved ones closed incidents: not drift to fail on.
      const unapproved = result.targets.reduce((n, t) => n + t.judged.filter(isOpenDrift).length, 0);
      if (opts.json) printJson(ctx, changesJson(result));
      else {
        ctx.out.write(
          formatTable(
            ["account", "region", "status", "pages", "groups", "rules", "changes", "unapproved", "error"],
            result.targets.map((t) => [
              t.account,
              t.region,
              t.ok ? (t.baseline ? "baseline" : "ok") : "FAILED",
              t.pages,
              t.groups,
              t.rules,
              t.judged.length,
              t.judged.filter(isOpenDrift).length,
              t.error ? `${t.error.code}: ${t.error.message}` : "",
            ]),
          ),
        );
        for (const l of problemLines(result.approvalProblems, (p) => p.key)) ctx.out.write(`approval problem: ${l}\n`);
      }
      if (result.targets.some((t) => !t.ok)) setExit(EXIT.targetFailed);
      else if (opts.failOnDrift && unapproved > 0) setExit(EXIT.drift);
    });
}
