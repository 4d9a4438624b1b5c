// The CloudTrail sweep's figures that are about simulated time, not machine
// time: catching up a backlog within LookupEvents' 2 calls/s budget, and the
// lag from a call to its alert behind a 5-minute delivery delay. Real time
// would make them take minutes (10,000 events are 200 pages, 100 s of budget;
// a 5-minute delay is 5 minutes), so the simulator and the real App run here
// in one process on one fake clock, as test/integration/trail-sweep.test.ts
// does: the App's sleep (the budget's waits) moves the clock, the simulator
// counts and throttles LookupEvents on the same clock, and every call is the
// real SDK over HTTP. Nothing here is about CPU or memory, so one process is
// the right shape.
import path from "node:path";
import pino from "pino";
import BetterSqlite3 from "better-sqlite3";
import { AuthorizeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import { App } from "../src/daemon/app.js";
import { configSchema } from "../src/config/schema.js";
import { createEc2Client } from "../src/aws/ec2-client.js";
import { createLogger } from "../src/logging/logger.js";
import { startSimulator, type Simulator } from "../src/sim/server.js";
import { SimState } from "../src/sim/state.js";
import { generateAccount } from "../src/sim/generate.js";
import type { AppCycleResult } from "../src/daemon/app.js";
import { serve } from "./ipc.js";

const MIN = 60_000;
const ACCOUNT = "123456789012";
const REGION = "us-east-1";
/** sgwatch's own key (read-only in a real account). */
const MONITOR = { accessKeyId: "AKIABENCHMONITOR0001", secretAccessKey: "bench" };
/** 2026-03-02 10:00 UTC, the instant the tests' fake clocks start from. */
const START = Date.parse("2026-03-02T10:00:00.000Z");

/** The backlog figure. */
export interface BacklogResult {
  /** Events in the burst (seeded as CloudTrail records, all within one cycle). */
  events: number;
  /** Of them, stored in trail_events after catching up (each once). */
  stored: number;
  /** cloudtrail.maxPagesPerCycle used. */
  maxPagesPerCycle: number;
  /** Cycles from the first that saw the burst to the first with nothing left to read. */
  cycles: number;
  /** Cycles until every event of the burst was stored (the rest re-read the burst for late events). */
  storedAfterCycles: number;
  /** Simulated seconds of budget until then. */
  storedAfterSeconds: number;
  /** Cycles that ended with a backlog (a trail-behind warning each). */
  behindCycles: number;
  /** LookupEvents calls of those cycles. */
  calls: number;
  /** Simulated seconds the sweeps spent waiting for and making calls (the budget's time), summed over the cycles. */
  budgetSeconds: number;
  /** From the simulator: ThrottlingExceptions, and the most calls accepted in any one second. */
  throttled: number;
  maxPerSecond: number;
}

/** One probe of the lag figure. */
export interface LagProbe {
  /** How long after a cycle the denied call was made, ms. */
  offsetMs: number;
  /** Call → failed-attempts alert in the outbox, ms (simulated). */
  lagMs: number;
  /** Call → alert delivered by the log channel, ms (simulated). */
  deliveredMs: number;
}

/** The lag figure. */
export interface LagResult {
  delayMs: number;
  cycleMs: number;
  probes: LagProbe[];
  /** The worst probe. */
  maxLagMs: number;
  /** delay + one cycle. */
  boundMs: number;
}

export interface TrailCommands {
  backlog: { args: { events: number; maxPagesPerCycle: number; workDir: string }; result: BacklogResult };
  lag: { args: { delayMs: number; cycleMs: number; offsetsMs: number[]; workDir: string }; result: LagResult };
}

/** A world: a simulated account on a fake clock, 2 LookupEvents calls/s, and an App sweeping it. */
interface World {
  sim: Simulator;
  app: App;
  now(): number;
  advance(ms: number): void;
  /** Simulated time the App spent sleeping (budget waits) so far. */
  slept(): number;
  close(): Promise<void>;
}

async function world(dbPath: string, cloudtrail: Record<string, unknown>): Promise<World> {
  let t = START;
  let slept = 0;
  const clock = (): Date => new Date(t);
  const state = new SimState({ seed: 11, clock });
  generateAccount(state, { seed: 11, groups: 5, rules: 20, account: ACCOUNT, region: REGION });
  const sim = await startSimulator({ state, clock });
  sim.cloudtrail.lookupRateLimit = 2; // AWS: 2 LookupEvents calls a second per account and region
  sim.mapAccessKey(MONITOR.accessKeyId, ACCOUNT);
  const config = configSchema.parse({
    database: dbPath,
    targets: [{ account: ACCOUNT, regions: [REGION], endpoint: sim.endpoint }],
    cloudtrail: { enabled: true, ...cloudtrail },
  });
  const logger = createLogger({ level: "info", destination: pino.destination({ dest: "/dev/null", sync: true }) });
  const app = new App({
    config,
    logger,
    env: {},
    clock,
    credentials: MONITOR,
    sleep: async (ms) => {
      t += ms;
      slept += ms;
    },
  });
  return {
    sim,
    app,
    now: () => t,
    advance: (ms) => void (t += ms),
    slept: () => slept,
    close: async () => {
      await app.close();
      await sim.close();
    },
  };
}

/** A successful AuthorizeSecurityGroupIngress in CloudTrail's documented record form. */
function record(i: number, at: number, groupId: string): Record<string, unknown> {
  return {
    eventVersion: "1.08",
    userIdentity: { type: "IAMUser", principalId: "AIDABENCHDEPLOY", arn: `arn:aws:iam::${ACCOUNT}:user/deploy`, accountId: ACCOUNT, accessKeyId: "AKIABENCHDEPLOY00001", userName: "deploy" },
    eventTime: new Date(Math.floor(at / 1000) * 1000).toISOString().replace(".000Z", "Z"),
    eventSource: "ec2.amazonaws.com",
    eventName: "AuthorizeSecurityGroupIngress",
    awsRegion: REGION,
    sourceIPAddress: "10.20.30.40",
    userAgent: "terraform/1.9.5",
    requestParameters: {
      groupId,
      ipPermissions: { items: [{ ipProtocol: "tcp", fromPort: 10000 + (i % 50000), toPort: 10000 + (i % 50000), groups: {}, ipRanges: { items: [{ cidrIp: "10.50.0.0/16" }] }, ipv6Ranges: {}, prefixListIds: {} }] },
    },
    responseElements: { _return: true },
    requestID: `bench-request-${i}`,
    eventID: `bench-backlog-${String(i).padStart(6, "0")}`,
    readOnly: false,
    eventType: "AwsApiCall",
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: "Management",
  };
}

function sweepOf(r: AppCycleResult): NonNullable<AppCycleResult["trail"]>[number] {
  const s = r.trail?.[0];
  if (!s) throw new Error("the cycle ran no CloudTrail sweep");
  if (!s.ok) throw new Error(`the CloudTrail sweep failed: ${s.error ?? "?"}`);
  return s;
}

serve<TrailCommands>({
  backlog: async ({ events, maxPagesPerCycle, workDir }) => {
    const w = await world(path.join(workDir, "trail-backlog.db"), { maxPagesPerCycle });
    try {
      await w.app.cycle(); // baseline poll and the first (quiet) sweep: the cursor starts here
      const groupId = [...w.sim.state.account(ACCOUNT).region(REGION).groups.keys()][0] as string;
      // The burst: `events` calls spread over the next five minutes (one cycle), delivered at once.
      const from = w.now() + 1000;
      w.sim.cloudtrail.seed(Array.from({ length: events }, (_, i) => record(i, from + Math.floor((i * (5 * MIN - 2000)) / events), groupId)));
      w.advance(5 * MIN);
      let cycles = 0;
      let behindCycles = 0;
      let calls = 0;
      let budgetMs = 0;
      let storedAfterCycles = 0;
      let storedAfterSeconds = 0;
      const stored = (): number => (w.app.db.prepare("SELECT count(*) AS n FROM trail_events WHERE event_id LIKE 'bench-backlog-%'").get() as { n: number }).n;
      for (;;) {
        const before = w.now();
        const s = sweepOf(await w.app.cycle());
        cycles++;
        calls += s.calls;
        budgetMs += w.now() - before;
        if (s.backlog !== null) behindCycles++;
        if (storedAfterCycles === 0 && stored() === events) {
          storedAfterCycles = cycles;
          storedAfterSeconds = budgetMs / 1000;
        }
        const cursor = w.app.db.prepare("SELECT backlog_from, recheck_from FROM trail_cursors").get() as { backlog_from: string | null; recheck_from: string | null };
        if (cursor.backlog_from === null && cursor.recheck_from === null) break;
        if (cycles > 1000) throw new Error("the backlog was not caught up in 1000 cycles");
        w.advance(5 * MIN);
      }
      const stats = w.sim.cloudtrail.lookupStats(ACCOUNT, REGION);
      return { events, stored: stored(), maxPagesPerCycle, cycles, storedAfterCycles, storedAfterSeconds, behindCycles, calls, budgetSeconds: budgetMs / 1000, throttled: stats.throttled, maxPerSecond: stats.maxPerSecond };
    } finally {
      await w.close();
    }
  },
  lag: async ({ delayMs, cycleMs, offsetsMs, workDir }) => {
    const dbPath = path.join(workDir, "trail-lag.db");
    const w = await world(dbPath, {});
    const reader = new BetterSqlite3(dbPath, { readonly: true });
    try {
      w.sim.cloudtrail.delayMs = delayMs;
      let nextCycle = w.now();
      const cycle = async (): Promise<void> => {
        w.advance(Math.max(0, nextCycle - w.now()));
        await w.app.cycle();
        await w.app.dispatch();
        nextCycle += cycleMs;
      };
      await cycle(); // baseline
      const groupId = [...w.sim.state.account(ACCOUNT).region(REGION).groups.keys()][0] as string;
      const probes: LagProbe[] = [];
      for (const [i, offsetMs] of offsetsMs.entries()) {
        // A key of its own per probe: IAM denies it, so each call is its own failed-attempts alert.
        const key = `AKIABENCHSTOLEN${String(i).padStart(5, "0")}`;
        w.sim.mapAccessKey(key, ACCOUNT);
        w.sim.cloudtrail.keys.deny(key);
        const ec2 = createEc2Client({ region: REGION, endpoint: w.sim.endpoint, maxAttempts: 1, timeoutMs: 30_000, credentials: { accessKeyId: key, secretAccessKey: "bench" } });
        w.advance(Math.max(0, nextCycle - cycleMs + offsetMs - w.now()));
        const calledAt = w.now();
        await ec2
          .send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }))
          .then(
            () => {
              throw new Error("the simulator allowed a denied key");
            },
            (e: unknown) => {
              if (!(e instanceof Error) || e.name !== "UnauthorizedOperation") throw e;
            },
          );
        ec2.destroy();
        const alert = (): { created_at: string; sent_at: string | null } | undefined =>
          reader.prepare("SELECT created_at, sent_at FROM outbox WHERE kind = 'failed-attempts' AND instr(payload, ?) > 0 ORDER BY id LIMIT 1").get(key) as
            | { created_at: string; sent_at: string | null }
            | undefined;
        for (let n = 0; alert()?.sent_at == null; n++) {
          if (n > 100) throw new Error(`no failed-attempts alert for ${key} after 100 cycles`);
          await cycle();
        }
        const a = alert() as { created_at: string; sent_at: string };
        probes.push({ offsetMs, lagMs: Date.parse(a.created_at) - calledAt, deliveredMs: Date.parse(a.sent_at) - calledAt });
      }
      return { delayMs, cycleMs, probes, maxLagMs: Math.max(...probes.map((p) => p.deliveredMs)), boundMs: delayMs + cycleMs };
    } finally {
      reader.close();
      await w.close();
    }
  },
});
