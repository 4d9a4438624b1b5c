// sgwatch run: the daemon.
import type { Command } from "commander";
import { configPath, makeLogger, readConfig, type CliContext } from "../context.js";
import { configWarnings } from "../../config/warnings.js";

export function registerRun(program: Command, ctx: CliContext, setExit: (code: number) => void): void {
  program
    .command("run")
    .description("run the daemon: poll on the configured schedule, record history, send alerts (SIGTERM to stop, SIGHUP to reload config)")
    .action(async () => {
      // Loaded when needed: the AWS SDK and friends cost a second at start-up for every other command.
      const { runDaemon } = await import("../../daemon/daemon.js");
      // Garbage is collected at ~1.5× the live heap, not 4× (daemon/heap.ts).
      (await import("../../daemon/heap.js")).limitHeapGrowth();
      const config = readConfig(ctx);
      const logger = makeLogger(ctx, config);
      // Once at start, where the operator looks first (check-config prints the same list).
      for (const w of configWarnings(config)) logger.warn({ event: "config-warning", key: w.key }, `${w.key}: ${w.message}`);
      setExit(await runDaemon({ config, logger, env: ctx.env, configPath: configPath(ctx) }));
    });
}
