// sgwatch sim: the EC2 simulator on its own, for trying sgwatch or the AWS CLI
// against it (aws ec2 describe-security-groups --endpoint-url URL).
// Everything a person can get wrong here (a port in use, a state file that is
// not one, a bad --generate spec) is a UserError naming it: exit 2, no stack.
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import type { SimState } from "../../sim/state.js";
import { UserError, errorMessage } from "../../util/errors.js";
import { oneLine } from "../../alerts/render/sanitize.js";

interface SimOptions {
  port: string;
  host: string;
  seed?: string;
  generate?: string;
  save?: string;
  trailRecords?: string;
}

const HELP_AFTER = `
Examples:
  sgwatch sim --seed demo                        the demo account (web, app, db, bastion)
  sgwatch sim --generate groups=2000,rules=20000 a large account, the same one for the same spec
  sgwatch sim --seed state.json --save state.json

--generate takes groups=N (required), rules=M (total, including each group's
default egress rule; default 10 per group), seed=S, account=ID, region=R.

Faults: POST /__sim/faults (JSON), DELETE /__sim/faults; state: GET /__sim/state.
Actions, admin endpoints, fault kinds, CloudTrail and state files: docs/simulator.md`;

export function registerSim(program: Command, ctx: CliContext): void {
  program
    .command("sim")
    .description("run the EC2 simulator alone and print its endpoint (Ctrl-C to stop); see docs/simulator.md")
    .option("--port <port>", "TCP port (0 = any free port)", "0")
    .option("--host <host>", "address to bind", "127.0.0.1")
    .option("--seed <demo|file.json>", "start with the demo account, or with state loaded from a JSON file (see --save)")
    .option("--generate <spec>", "add a generated account: groups=N,rules=M[,seed=S][,account=ID][,region=R]")
    .option("--save <file.json>", "save the state to this file on exit")
    .option("--trail-records <file.json>", "CloudTrail records to replay through LookupEvents ({\"Records\": [...]} as a trail delivers them); see docs/cloudtrail.md")
    .addHelpText("after", HELP_AFTER)
    .action(async (opts: SimOptions) => {
      const { startSimulator } = await import("../../sim/server.js");
      const { generateAccount } = await import("../../sim/generate.js");
      const { parseGenerateSpec } = await import("../../sim/generate-spec.js");
      const port = Number(opts.port);
      if (!/^\d+$/.test(opts.port) || port > 65535) throw new UserError(`--port: expected 0-65535, got "${opts.port}"`);
      // Checked before anything is built, so a typo costs nothing.
      let generate: ReturnType<typeof parseGenerateSpec> | undefined;
      if (opts.generate !== undefined) {
        try {
          generate = parseGenerateSpec(opts.generate);
        } catch (err) {
          throw new UserError(`--generate: ${oneLine(errorMessage(err), 1000)}`);
        }
      }
      let records: unknown[] = [];
      if (opts.trailRecords) {
        const { loadSeedFile } = await import("../../sim/cloudtrail/seed.js");
        records = await loadSeedFile(opts.trailRecords).catch((e: unknown) => {
          throw new UserError(`--trail-records: ${e instanceof Error ? e.message : String(e)}`);
        });
      }
      // Ids come from the state's own generator: seeding it too makes the same spec the same account, ids included.
      const state = await initialState(opts.seed, generate?.seed);
      if (generate) {
        const made = generateAccount(state, generate);
        ctx.out.write(`generated ${made.groupIds.length} groups, ${made.ruleCount} rules in account ${made.account}, ${made.region} (seed ${generate.seed})\n`);
      }
      const sim = await startSimulator({ port, host: opts.host, state }).catch((err: unknown) => {
        throw listenError(err, opts.host, port);
      });
      if (records.length > 0) sim.cloudtrail.seed(records);
      ctx.out.write(`EC2 simulator listening on ${sim.endpoint}\n`);
      ctx.out.write(`try: aws ec2 describe-security-groups --endpoint-url ${sim.endpoint} --region us-east-1\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => resolve();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      try {
        if (opts.save) {
          const { saveStateFile } = await import("../../sim/state.js");
          await saveStateFile(sim.state, opts.save).catch((err: unknown) => {
            throw new UserError(`--save: cannot write ${opts.save}: ${errorMessage(err)}`, undefined, { cause: err });
          });
          ctx.out.write(`state saved to ${opts.save}\n`);
        }
      } finally {
        await sim.close();
      }
    });
}

async function initialState(seed: string | undefined, idSeed: number | undefined): Promise<SimState> {
  const { SimState, loadStateFile } = await import("../../sim/state.js");
  const stateOpts = idSeed === undefined ? {} : { seed: idSeed };
  const state = new SimState(stateOpts);
  if (seed === undefined) return state;
  if (seed === "demo") {
    const { seedDemoAccount } = await import("../../sim/seed-demo.js");
    seedDemoAccount(state);
    return state;
  }
  try {
    return await loadStateFile(seed, stateOpts);
  } catch (err) {
    // The problem quotes the file's own text (account ids, region names): untrusted.
    throw new UserError(`--seed: ${oneLine(seedProblem(err, seed), 1000)} (expected "demo" or a file written by --save)`, undefined, { cause: err });
  }
}

// "simulator state file x.json is malformed: accounts must be an object", or the file system's reason.
function seedProblem(err: unknown, file: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return `no such file ${file}`;
  if (code === "EISDIR") return `${file} is a directory`;
  if (code === "EACCES") return `cannot read ${file}: permission denied`;
  const cause = err instanceof Error && err.cause !== undefined ? `: ${errorMessage(err.cause)}` : "";
  return `${errorMessage(err)}${cause}`;
}

function listenError(err: unknown, host: string, port: number): Error {
  const code = (err as NodeJS.ErrnoException).code;
  const where = `${host}:${port}`;
  if (code === "EADDRINUSE") return new UserError(`--port: ${where} is already in use; pick another port, or 0 for any free one`, undefined, { cause: err });
  if (code === "EACCES") return new UserError(`--port: not allowed to listen on ${where} (ports below 1024 need privileges)`, undefined, { cause: err });
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return new UserError(`--host: cannot listen on ${host}: no such local address`, undefined, { cause: err });
  }
  return err instanceof Error ? err : new Error(errorMessage(err));
}
