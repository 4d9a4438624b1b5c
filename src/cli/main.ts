// The sgwatch CLI. Each command lives in commands/<name>.ts; this file only
// assembles them and maps errors to exit codes at one boundary.
import { Command, CommanderError } from "commander";
import { UserError, EXIT, errorMessage } from "../util/errors.js";
import { printableBlock } from "../util/printable.js";
import type { CliContext, GlobalOptions } from "./context.js";
import { registerRun } from "./commands/run.js";
import { registerPoll } from "./commands/poll.js";
import { registerChanges } from "./commands/changes.js";
import { registerEvents } from "./commands/events.js";
import { registerReport } from "./commands/report.js";
import { registerHistory } from "./commands/history.js";
import { registerRules } from "./commands/rules.js";
import { registerDiff } from "./commands/diff.js";
import { registerStatus } from "./commands/status.js";
import { registerMigrate } from "./commands/migrate.js";
import { registerCompact } from "./commands/compact.js";
import { registerCheckConfig } from "./commands/check-config.js";
import { registerSim } from "./commands/sim.js";
import { registerDemo } from "./commands/demo.js";
import { registerApprove } from "./commands/approve.js";
import { registerApprovals } from "./commands/approvals.js";
import { registerAck } from "./commands/ack.js";
import { registerAlerts } from "./commands/alerts.js";
import { registerTestEmail } from "./commands/test-email.js";
import { readFileSync } from "node:fs";
import path from "node:path";
import { packageRoot } from "../util/package-root.js";

const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  a target could not be polled (poll)
  2  bad configuration, arguments or database (nothing is changed)
  3  unapproved changes found (poll --fail-on-drift)
  4  unhealthy: a target is blind or nothing was recorded for monitoring.blindAfter (status --health)

Config: --config PATH, else $SGWATCH_CONFIG, else ./config.yaml`;

function version(): string {
  const pkg = JSON.parse(readFileSync(path.join(packageRoot(), "package.json"), "utf8")) as { version: string };
  return pkg.version;
}

export function buildProgram(ctx: Omit<CliContext, "globals">, setExit: (code: number) => void): Command {
  const program = new Command();
  const full: CliContext = { ...ctx, globals: () => program.opts<GlobalOptions>() };
  program
    .name("sgwatch")
    .description("Security-group drift monitor: polls EC2, keeps history in SQLite, alerts on unapproved changes")
    .version(version())
    .option("-c, --config <path>", "config file (default: $SGWATCH_CONFIG or ./config.yaml)")
    .option("--db <path>", "database file to read (default: the config's database)")
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText("after", EXIT_CODES_HELP)
    .exitOverride();
  // commander quotes unknown options and bad arguments back: they are the user's bytes.
  program.configureOutput({ writeOut: (s) => ctx.out.write(printableBlock(s)), writeErr: (s) => ctx.err.write(printableBlock(s)) });
  registerRun(program, full, setExit);
  registerPoll(program, full, setExit);
  registerChanges(program, full);
  registerEvents(program, full);
  registerReport(program, full);
  registerHistory(program, full);
  registerRules(program, full);
  registerDiff(program, full);
  registerStatus(program, full, setExit);
  registerMigrate(program, full);
  registerCompact(program, full);
  registerCheckConfig(program, full, setExit);
  registerApprove(program, full);
  registerApprovals(program, full);
  registerAck(program, full);
  registerAlerts(program, full);
  registerTestEmail(program, full);
  registerSim(program, full);
  registerDemo(program, full, setExit);
  const override = (c: Command): void => {
    c.exitOverride();
    c.commands.forEach(override);
  };
  program.commands.forEach(override);
  return program;
}

/** Run the CLI; resolves with the exit code. */
export async function main(argv: string[], ctx: Omit<CliContext, "globals">): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(ctx, (c) => (code = c));
  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof UserError) {
      // Messages quote arguments, files and stored values: the last guard before the terminal.
      ctx.err.write(`sgwatch: ${printableBlock(err.message)}\n`);
      return err.exitCode;
    }
    ctx.err.write(`sgwatch: internal error: ${printableBlock(errorMessage(err))}\n`);
    if (ctx.env.SGWATCH_DEBUG) ctx.err.write(`${printableBlock((err as Error).stack ?? "")}\n`);
    return 70;
  }
}

/** The process entry point (bin/sgwatch.js). */
export function runCli(): void {
  // `sgwatch changes | head` closes the pipe early: that is the reader being
  // done, not an error, so stop quietly as other Unix tools do.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
  main(process.argv.slice(2), { env: process.env, out: process.stdout, err: process.stderr }).then(
    (code) => {
      process.exitCode = code;
      // Every command has finished its work here (the daemon resolves only after
      // shutdown); exit explicitly so a lingering socket cannot keep it alive.
      setTimeout(() => process.exit(code), 50).unref();
    },
    (err: unknown) => {
      process.stderr.write(`sgwatch: ${printableBlock(errorMessage(err))}\n`);
      process.exit(70);
    },
  );
}
