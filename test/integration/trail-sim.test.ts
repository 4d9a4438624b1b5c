// The simulator's CloudTrail as a stand-in for AWS, driven over HTTP as a
// test or demo in another process would: records seeded in CloudTrail's own
// JSON form (a trail's log file) are returned by LookupEvents and stored by
// the real sweep as they are; a bad record is refused naming it; keys are
// denied and placed on networks through the admin endpoint; and the two
// lookup strategies are measured in LookupEvents calls (docs/cloudtrail.md).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { AuthorizeSecurityGroupIngressCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { startSimulator, type Simulator } from "../../src/sim/server.js";
import { seedDemoAccount, type DemoAccount } from "../../src/sim/seed-demo.js";
import { loadSeedFile } from "../../src/sim/cloudtrail/seed.js";
import { readRange, type LookupStrategy } from "../../src/trail/collect.js";
import { App } from "../../src/daemon/app.js";
import { ec2As } from "../support/ec2-as.js";
import { INTRUDER, MONITOR } from "../support/sim-harness.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { writeTestConfig, loadTestConfig, TEST_ACCOUNT } from "../support/config-file.js";
import { captureLog } from "../support/log-capture.js";
import { fakeClock, type FakeClock } from "../support/fake-clock.js";
import { runCli, startCli } from "../support/cli.js";

const FIXTURE = path.join(import.meta.dirname, "..", "fixtures", "cloudtrail", "captured-records.json");
const REGION = "us-east-1";

describe("the simulator's CloudTrail over HTTP", () => {
  let sim: Simulator;
  let clock: FakeClock;
  let demo: DemoAccount;
  let ct: CloudTrailClient;
  let tmp: TempDir;
  let intruder: EC2Client;

  const admin = async (method: string, route: string, body?: unknown): Promise<{ status: number; data: Record<string, unknown> }> => {
    const res = await fetch(`${sim.endpoint}/__sim/${route}`, { method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, data: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    tmp = makeTempDir();
    clock = fakeClock("2026-03-02T10:00:00.000Z");
    sim = await startSimulator({ clock: clock.clock });
    demo = seedDemoAccount(sim.state, { region: REGION });
    ct = new CloudTrailClient({ region: REGION, endpoint: sim.endpoint, credentials: MONITOR, maxAttempts: 1 });
    intruder = ec2As(sim, INTRUDER, "127.0.0.1", "stolen/1.0");
  });

  afterAll(async () => {
    ct?.destroy();
    intruder?.destroy();
    await sim?.close();
    tmp?.remove();
  });

  it("replays records seeded from a trail's log file: LookupEvents returns them and the sweep stores them as they are", async () => {
    const file = JSON.parse(readFileSync(FIXTURE, "utf8")) as { Records: Array<Record<string, unknown>> };
    expect(await admin("POST", "cloudtrail/records", file)).toEqual({ status: 201, data: { added: 2 } });
    const out = await ct.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "ResourceName", AttributeValue: "sg-0123456789abcdef0" }] }));
    expect(out.Events?.map((e) => [e.EventId, e.EventName, e.Username, e.AccessKeyId])).toEqual([
      ["7c6b5a49-3827-4165-9e0d-1c2b3a4f5e6d", "RevokeSecurityGroupIngress", "deploy-42", "ASIAEXAMPLEDEPLOY042"],
      ["0b5ce4e5-1a2b-4c3d-9e8f-7a6b5c4d3e2f", "AuthorizeSecurityGroupIngress", "mallory", "AKIAEXAMPLEMALLORY01"],
    ]);
    expect(JSON.parse(out.Events?.[1]?.CloudTrailEvent ?? "{}")).toEqual(file.Records[0]);

    const files = writeTestConfig({ dir: tmp.path, endpoint: sim.endpoint, extra: { targets: [{ account: TEST_ACCOUNT, regions: [REGION], endpoint: sim.endpoint, cloudtrail: { enabled: true } }] } });
    const app = new App({ config: loadTestConfig(files), logger: captureLog().logger, env: {}, clock: clock.clock, credentials: MONITOR, sleep: async (ms) => void clock.advance(ms) });
    try {
      await app.sweep();
    } finally {
      await app.close();
    }
    const db = new BetterSqlite3(files.databasePath, { readonly: true });
    try {
      expect(db.prepare("SELECT event_name, outcome, error_code, rules, who, who_key, who_ip, vpc_endpoint_id FROM trail_events_readable WHERE group_id = 'sg-0123456789abcdef0' ORDER BY time").all()).toEqual([
        {
          event_name: "AuthorizeSecurityGroupIngress",
          outcome: "failed",
          error_code: "Client.UnauthorizedOperation",
          rules: "add ingress TCP 3389 from 0.0.0.0/0",
          who: "arn:aws:iam::123456789012:user/mallory",
          who_key: "AKIAEXAMPLEMALLORY01",
          who_ip: "192.0.2.77",
          vpc_endpoint_id: null,
        },
        {
          event_name: "RevokeSecurityGroupIngress",
          outcome: "ok",
          error_code: null,
          rules: "remove ingress TCP 8443 from 10.0.0.0/8",
          who: "arn:aws:sts::123456789012:assumed-role/deploy-web/deploy-42",
          who_key: "ASIAEXAMPLEDEPLOY042",
          who_ip: "10.20.1.5",
          vpc_endpoint_id: "vpce-0f1e2d3c4b5a69788",
        },
      ]);
    } finally {
      db.close();
    }
  });

  it("refuses a bad record naming it and the field, and adds none of the batch", async () => {
    const res = await admin("POST", "cloudtrail/records", { Records: [{ eventID: "x", eventTime: "2026-03-02T10:00:00Z", eventName: "CreateTags", eventSource: "ec2.amazonaws.com", awsRegion: REGION, recipientAccountId: TEST_ACCOUNT }, { eventID: "y" }] });
    expect(res).toEqual({ status: 400, data: { error: "record 1: eventTime is missing or not a string" } });
    const out = await ct.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "EventId", AttributeValue: "x" }] }));
    expect(out.Events).toEqual([]);
    const bad = path.join(tmp.path, "bad.json");
    await import("node:fs/promises").then((fs) => fs.writeFile(bad, "{ not json"));
    await expect(loadSeedFile(bad)).rejects.toThrow(`CloudTrail records file ${bad} cannot be read as JSON`);
    await expect(loadSeedFile(FIXTURE)).resolves.toHaveLength(2);
  });

  it("denies a key through the admin endpoint and records the failed call from the key's address", async () => {
    expect((await admin("POST", "cloudtrail/keys", { accessKeyId: INTRUDER.accessKeyId, deny: ["AuthorizeSecurityGroupIngress"], sourceIp: "198.51.100.99" })).status).toBe(200);
    expect((await admin("POST", "cloudtrail/keys", { accessKeyId: INTRUDER.accessKeyId, deny: "yes" })).status).toBe(400);
    clock.advance(60_000);
    await expect(
      intruder.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: demo.groups.db, IpPermissions: [{ IpProtocol: "tcp", FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] })),
    ).rejects.toMatchObject({ name: "UnauthorizedOperation" });
    expect(sim.state.account(TEST_ACCOUNT).region(REGION).getGroup(demo.groups.db).rules.some((r) => r.fromPort === 5432 && r.peer.kind === "ipv4" && r.peer.cidr === "0.0.0.0/0")).toBe(false);
    const out = await ct.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "AccessKeyId", AttributeValue: INTRUDER.accessKeyId }] }));
    expect(out.Events).toHaveLength(1);
    expect(JSON.parse(out.Events?.[0]?.CloudTrailEvent ?? "{}")).toMatchObject({
      eventName: "AuthorizeSecurityGroupIngress",
      errorCode: "Client.UnauthorizedOperation",
      sourceIPAddress: "198.51.100.99",
      responseElements: null,
      userIdentity: { type: "IAMUser", accessKeyId: INTRUDER.accessKeyId },
    });
  });

  it("measures the lookup strategies in LookupEvents calls: quiet, and with 120 security-group events", async () => {
    const calls = async (strategy: LookupStrategy, from: Date, to: Date): Promise<{ calls: number; events: number }> => {
      let n = 0;
      const r = await readRange(ct, from, to, { pace: async () => void n++, maxPages: 100, strategy });
      expect(n).toBe(r.pages);
      return { calls: n, events: r.events.length };
    };
    clock.advance(3_600_000);
    const quietFrom = clock.now();
    clock.advance(300_000);
    expect(await calls("writes", quietFrom, clock.now())).toEqual({ calls: 1, events: 0 });
    expect(await calls("by-name", quietFrom, clock.now())).toEqual({ calls: 11, events: 0 });

    const busyFrom = clock.now();
    const region = sim.state.account(TEST_ACCOUNT).region(REGION);
    for (let i = 0; i < 60; i++) {
      clock.advance(1000);
      region.authorizeIngress(demo.groups.web, [{ ipProtocol: "tcp", fromPort: 20000 + i, toPort: 20000 + i, ipRanges: [{ cidrIp: "10.60.0.0/16" }] }]);
      region.revokeIngress(demo.groups.web, [{ ipProtocol: "tcp", fromPort: 20000 + i, toPort: 20000 + i, ipRanges: [{ cidrIp: "10.60.0.0/16" }] }]);
    }
    clock.advance(1000);
    expect(await calls("writes", busyFrom, clock.now())).toEqual({ calls: 3, events: 120 });
    expect(await calls("by-name", busyFrom, clock.now())).toEqual({ calls: 13, events: 120 });
  });

  it("`sgwatch sim --trail-records FILE` replays the file; a bad file exits 2 naming it", async () => {
    const bad = path.join(tmp.path, "bad-records.json");
    await import("node:fs/promises").then((fs) => fs.writeFile(bad, JSON.stringify({ Records: [{ eventID: "x" }] })));
    const r = await runCli(["sim", "--trail-records", bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--trail-records: CloudTrail records file ${bad}: record 0: eventTime is missing or not a string`);

    const child = startCli(["sim", "--trail-records", FIXTURE]);
    try {
      const started = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no endpoint printed: ${child.lines.join("\n")}`)), 30_000);
        const check = (): void => {
          const line = child.lines.find((l) => l.startsWith("EC2 simulator listening on "));
          if (line !== undefined) {
            clearTimeout(timer);
            resolve(line.slice("EC2 simulator listening on ".length).trim());
          } else setTimeout(check, 20);
        };
        check();
      });
      const client = new CloudTrailClient({ region: REGION, endpoint: started, credentials: MONITOR, maxAttempts: 1 });
      try {
        const out = await client.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "Username", AttributeValue: "mallory" }] }));
        expect(out.Events?.map((e) => e.EventId)).toEqual(["0b5ce4e5-1a2b-4c3d-9e8f-7a6b5c4d3e2f"]);
      } finally {
        client.destroy();
      }
    } finally {
      child.child.kill("SIGTERM");
      await child.exited;
    }
  });
});
