// sgwatch demo: the product end to end on the embedded simulator.
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { UserError } from "../../util/errors.js";

export function registerDemo(program: Command, ctx: CliContext, setExit: (code: number) => void): void {
  program
    .command("demo")
    .description("run sgwatch against the embedded EC2 simulator with scripted drift; writes ./data/demo.db and ./data/demo-mail/")
    .option("--cycles <n>", "how many cycles to run (at least 5: the script needs them)", "5")
    .action(async (opts: { cycles: string }) => {
      // Loaded when needed: the AWS SDK and friends cost a second at start-up for every other command.
      const { runDemo, DEMO_MIN_CYCLES } = await import("../../demo/run-demo.js");
      const cycles = Number(opts.cycles);
      if (!/^\d+$/.test(opts.cycles) || cycles < DEMO_MIN_CYCLES || cycles > 50) {
        throw new UserError(`--cycles: expected a whole number from ${DEMO_MIN_CYCLES} to 50, got "${opts.cycles}"`);
      }
      // The demo runs on this machine's Node with the lockfile's SDK; the SDK's
      // notice about future releases needing Node 22 is not news for it.
      ctx.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = ctx.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
      setExit(await runDemo({ cwd: process.cwd(), out: ctx.out, cycles }));
    });
}
