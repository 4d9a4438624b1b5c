// The EC2 simulator over HTTP, seeded with the demo account, plus real AWS SDK
// clients acting as named people (to make drift) and the credentials the
// monitor uses. Unmapped access keys act in the demo account (123456789012).
import { EC2Client } from "@aws-sdk/client-ec2";
import { startSimulator, type Simulator } from "../../src/sim/server.js";
import { SimState } from "../../src/sim/state.js";
import { seedDemoAccount, type DemoAccount } from "../../src/sim/seed-demo.js";

/** An access key pair. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** What sgwatch polls with. */
export const MONITOR: Credentials = { accessKeyId: "AKIATESTSGWATCH00001", secretAccessKey: "test-monitor-secret" };
/** An engineer working a ticket. */
export const ENGINEER: Credentials = { accessKeyId: "AKIATESTENGINEER0001", secretAccessKey: "test-engineer-secret" };
/** A stolen key. */
export const INTRUDER: Credentials = { accessKeyId: "AKIATESTINTRUDER0001", secretAccessKey: "test-intruder-secret" };

/** A running, seeded simulator. */
export interface SimHarness {
  readonly sim: Simulator;
  /** Base URL for the SDK and for sgwatch's target endpoint. */
  readonly endpoint: string;
  /** The demo account seeded in the first region. */
  readonly demo: DemoAccount;
  /** The demo account per seeded region. */
  readonly demos: ReadonlyMap<string, DemoAccount>;
  /** A real EC2 client acting as `who` (default ENGINEER) in `region` (default the first). */
  client(who?: Credentials, region?: string): EC2Client;
  /** Stop the simulator and destroy every client made. */
  close(): Promise<void>;
}

/** Options of startSimHarness. */
export interface SimHarnessOptions {
  /** Regions to seed the demo account in; default us-east-1. */
  regions?: string[];
  /** Seed of generated ids (the same seed gives the same group and rule ids); random when unset. */
  seed?: number;
  /** How injected latency is waited out (the simulator's `sleep`): a test can hold a call until it releases it. */
  sleep?: (ms: number) => Promise<void>;
  /** The simulator's clock (CloudTrail event times); default the wall clock. */
  clock?: () => Date;
}

export async function startSimHarness(opts: SimHarnessOptions = {}): Promise<SimHarness> {
  // The SDK's notice that future releases need Node 22 is noise in test output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const regions = opts.regions ?? ["us-east-1"];
  const sim = await startSimulator({ port: 0, ...(opts.seed === undefined ? {} : { state: new SimState({ seed: opts.seed }) }), ...(opts.sleep ? { sleep: opts.sleep } : {}), ...(opts.clock ? { clock: opts.clock } : {}) });
  const demos = new Map<string, DemoAccount>();
  for (const region of regions) demos.set(region, seedDemoAccount(sim.state, { region }));
  const clients: EC2Client[] = [];
  const first = demos.get(regions[0] as string) as DemoAccount;
  return {
    sim,
    endpoint: sim.endpoint,
    demo: first,
    demos,
    client(who = ENGINEER, region = first.region) {
      const c = new EC2Client({ region, endpoint: sim.endpoint, credentials: who, maxAttempts: 1 });
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) c.destroy();
      await sim.close();
    },
  };
}
