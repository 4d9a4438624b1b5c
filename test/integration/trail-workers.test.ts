// The CloudTrail sweep with fetch workers (aws.fetchThreads > 0): each
// LookupEvents call is made by a worker thread with its own CloudTrail client,
// over HTTP to the simulator, while the budget, the cursor and the store stay
// on the main thread. Proves, with a main-thread client factory that counts
// (it must never be asked) and a worker-side factory loaded by URL:
// - successful and denied calls are stored once each, read through a worker;
// - CloudTrail's error crosses the thread by name, so a failing sweep is
//   recorded and turns trail-blind exactly as on the main thread, and the
//   poll history is untouched;
// - the 2 calls/s budget still holds per account-region (the simulator counts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import BetterSqlite3, { type Database } from "better-sqlite3";
import { AuthorizeSecurityGroupIngressCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { App } from "../../src/daemon/app.js";
import { createCloudTrailClient } from "../../src/trail/cloudtrail-client.js";
import type { CloudTrailClientFactory } from "../../src/trail/clients.js";
import { startSimulator, type Simulator } from "../../src/sim/server.js";
import { seedDemoAccount, type DemoAccount } from "../../src/sim/seed-demo.js";
import { ec2As } from "../support/ec2-as.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { ENGINEER, INTRUDER, MONITOR } from "../support/sim-harness.js";
import { writeTestConfig, loadTestConfig, TEST_ACCOUNT, type TestConfigFiles } from "../support/config-file.js";
import { captureLog } from "../support/log-capture.js";
import { fakeClock, REFERENCE_INSTANT, type FakeClock } from "../support/fake-clock.js";

const MIN = 60_000;
const REGION = "us-east-1";
// Worker threads load compiled JavaScript: `npm test` builds dist/ first.
const WORKER_TRAIL_CLIENTS = new URL("../../dist/src/trail/cloudtrail-client.js", import.meta.url).href;

describe("the CloudTrail sweep on the fetch workers", { timeout: 60_000 }, () => {
  let tmp: TempDir;
  let sim: Simulator;
  let demo: DemoAccount;
  let clock: FakeClock;
  let files: TestConfigFiles;
  let app: App;
  let reader: Database;
  let engineer: EC2Client;
  let intruder: EC2Client;
  let mainThreadClients = 0;

  const countingFactory: CloudTrailClientFactory = (spec) => {
    mainThreadClients++;
    return createCloudTrailClient(spec);
  };
  const perm = (port: number, cidr: string) => [{ IpProtocol: "tcp", FromPort: port, ToPort: port, IpRanges: [{ CidrIp: cidr }] }];

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    tmp = makeTempDir();
    clock = fakeClock(REFERENCE_INSTANT);
    sim = await startSimulator({ clock: clock.clock, trustForwardedFor: true });
    sim.cloudtrail.lookupRateLimit = 2;
    demo = seedDemoAccount(sim.state, { region: REGION });
    engineer = ec2As(sim, ENGINEER, "198.51.100.7", "terraform/1.9.5");
    intruder = ec2As(sim, INTRUDER, "203.0.113.66", "curl-like-tool/0.1");
    files = writeTestConfig({ dir: tmp.path, endpoint: sim.endpoint, extra: { cloudtrail: { enabled: true }, aws: { fetchThreads: 1 } } });
    app = new App({
      config: loadTestConfig(files),
      logger: captureLog().logger,
      env: {},
      clock: clock.clock,
      credentials: MONITOR,
      sleep: async (ms) => void clock.advance(ms),
      cloudTrailClientFactory: countingFactory,
      trailClientModule: WORKER_TRAIL_CLIENTS,
    });
    reader = new BetterSqlite3(files.databasePath, { readonly: true });
    await app.cycle(); // baseline poll and the first sweep
  });

  afterAll(async () => {
    reader?.close();
    engineer?.destroy();
    intruder?.destroy();
    await app?.close();
    await sim?.close();
    tmp?.remove();
  });

  it("stores successful and denied calls read by a worker, once each, and makes no CloudTrail client on the main thread", async () => {
    clock.advance(MIN);
    await engineer.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: demo.groups.app, IpPermissions: perm(443, "10.0.0.0/8") }));
    sim.cloudtrail.keys.deny(INTRUDER.accessKeyId);
    await expect(intruder.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: demo.groups.bastion, IpPermissions: perm(22, "0.0.0.0/0") }))).rejects.toMatchObject({
      name: "UnauthorizedOperation",
    });
    sim.cloudtrail.keys.allow(INTRUDER.accessKeyId);
    clock.advance(MIN);
    await app.cycle();
    await app.cycle(); // the overlap window is read again: nothing stored twice

    const rows = reader
      .prepare("SELECT access_key_id, event_name, error_code, rules_text FROM trail_events WHERE access_key_id IN (?, ?) ORDER BY event_time, access_key_id")
      .all(ENGINEER.accessKeyId, INTRUDER.accessKeyId);
    expect(rows).toEqual([
      { access_key_id: ENGINEER.accessKeyId, event_name: "AuthorizeSecurityGroupIngress", error_code: null, rules_text: "add ingress TCP 443 from 10.0.0.0/8" },
      { access_key_id: INTRUDER.accessKeyId, event_name: "AuthorizeSecurityGroupIngress", error_code: "Client.UnauthorizedOperation", rules_text: "add ingress TCP 22 from 0.0.0.0/0" },
    ]);
    expect(reader.prepare("SELECT count(*) AS n FROM outbox WHERE kind = 'failed-attempts'").get()).toEqual({ n: 1 });
    expect(mainThreadClients).toBe(0);
    const stats = sim.cloudtrail.lookupStats(TEST_ACCOUNT, REGION);
    expect(stats.calls).toBeGreaterThanOrEqual(3);
    expect(stats).toMatchObject({ throttled: 0 });
    expect(stats.maxPerSecond).toBeLessThanOrEqual(2);
  });

  it("a failing sweep on a worker fails by CloudTrail's error name, leaves the polls alone, and turns trail-blind after three", async () => {
    const pollTables = (): string => JSON.stringify(["polls", "group_versions", "rule_versions", "change_events"].map((t) => reader.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()));
    clock.advance(5 * MIN);
    await app.cycle();
    const polled = pollTables();
    sim.cloudtrail.makeUnavailable({ code: "AccessDeniedException", message: "User is not authorized to perform: cloudtrail:LookupEvents" });
    try {
      for (let i = 1; i <= 3; i++) {
        clock.advance(MIN);
        const [r] = await app.sweep();
        expect(r).toMatchObject({ ok: false, error: "AccessDeniedException: User is not authorized to perform: cloudtrail:LookupEvents", becameBlind: i === 3 });
        expect(pollTables()).toBe(polled);
      }
    } finally {
      sim.cloudtrail.restore();
    }
    expect(reader.prepare("SELECT count(*) AS n FROM outbox WHERE kind = 'trail-blind'").get()).toEqual({ n: 1 });
    clock.advance(MIN);
    const [back] = await app.sweep();
    expect(back).toMatchObject({ ok: true, restored: true });
    expect(mainThreadClients).toBe(0);
  });
});
