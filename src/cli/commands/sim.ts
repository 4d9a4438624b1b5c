// sgwatch sim: the EC2 simulator on its own, for trying sgwatch or the AWS CLI
// against it (aws ec2 describe-security-groups --endpoint-url URL).
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { UserError } from "../../util/errors.js";
import { existsSync } from "node:fs";

interface SimOptions {
  port: string;
  host: string;
  seed?: string;
  save?: string;
  trailRecords?: string;
}

export function registerSim(program: Command, ctx: CliContext): void {
  program
    .command("sim")
    .description("run the EC2 simulator alone and print its endpoint (Ctrl-C to stop)")
    .option("--port <port>", "TCP port (0 = any free port)", "0")
    .option("--host <host>", "address to bind", "127.0.0.1")
    .option("--seed <demo|file.json>", "start with the demo account, or with state loaded from a JSON file")
    .option("--save <file.json>", "save the state to this file on exit")
    .option("--trail-records <file.json>", "CloudTrail records to replay through LookupEvents ({\"Records\": [...]} as a trail delivers them); see docs/cloudtrail.md")
    .addHelpText("after", "\nFaults: POST /__sim/faults (JSON), DELETE /__sim/faults; state: GET /__sim/state. See docs/simulator.md.")
    .action(async (opts: SimOptions) => {
      const { startSimulator } = await import("../../sim/server.js");
      const { seedDemoAccount } = await import("../../sim/seed-demo.js");
      const { loadStateFile, saveStateFile, SimState } = await import("../../sim/state.js");
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--port: expected 0-65535, got "${opts.port}"`);
      let state = new SimState();
      if (opts.seed === "demo") seedDemoAccount(state);
      else if (opts.seed) {
        if (!existsSync(opts.seed)) throw new UserError(`--seed: no such file ${opts.seed}`);
        state = await loadStateFile(opts.seed);
      }
      let records: unknown[] = [];
      if (opts.trailRecords) {
        const { loadSeedFile } = await import("../../sim/cloudtrail/seed.js");
        records = await loadSeedFile(opts.trailRecords).catch((e: unknown) => {
          throw new UserError(`--trail-records: ${e instanceof Error ? e.message : String(e)}`);
        });
      }
      const sim = await startSimulator({ port, host: opts.host, state });
      if (records.length > 0) sim.cloudtrail.seed(records);
      ctx.out.write(`EC2 simulator listening on ${sim.endpoint}\n`);
      ctx.out.write(`try: aws ec2 describe-security-groups --endpoint-url ${sim.endpoint} --region us-east-1\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => resolve();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      if (opts.save) {
        await saveStateFile(sim.state, opts.save);
        ctx.out.write(`state saved to ${opts.save}\n`);
      }
      await sim.close();
    });
}
