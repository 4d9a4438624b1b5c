// The clients of a fleet share one keep-alive connection pool
// (src/aws/shared-agents.ts): a daemon's EC2 clients, through the simulator
// behind a proxy that counts connections; and its CloudTrail clients
// (src/trail/clients.ts), against a real
// HTTP server that counts the connections it accepts: a quiet sweep's calls
// for many account-regions reuse one connection instead of opening one each;
// destroying one client (a reload dropping a target) does not cut another
// client's request in flight; close() ends the pool.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { LookupEventsCommand, type CloudTrailClient, type LookupEventsCommandOutput } from "@aws-sdk/client-cloudtrail";
import { stringify } from "yaml";
import { cloudTrailClients } from "../../src/trail/clients.js";
import { App } from "../../src/daemon/app.js";
import { parseConfigText } from "../../src/config/load.js";
import { startSimulator, type Simulator } from "../../src/sim/server.js";
import { seedDemoAccount } from "../../src/sim/seed-demo.js";
import { startCountingProxy, type CountingProxy } from "../support/counting-proxy.js";
import { testConfigObject } from "../support/config-file.js";
import { captureLog } from "../support/log-capture.js";
import { MONITOR } from "../support/sim-harness.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { sendCached } from "../../src/aws/cached-send.js";

const sendLookup = (client: CloudTrailClient, c: LookupEventsCommand): Promise<LookupEventsCommandOutput> => sendCached(client, c);

describe("CloudTrail clients share one connection pool", () => {
  let server: Server;
  let endpoint: string;
  const sockets = new Set<Socket>();
  let connections = 0;
  let hold = false;
  const held: ServerResponse[] = [];
  const arrived: Array<() => void> = [];
  const answer = (res: ServerResponse): void => {
    res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
    res.end(JSON.stringify({ Events: [] }));
  };

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on("end", () => {
        if (hold) held.push(res);
        else answer(res);
        arrived.shift()?.();
      });
    });
    server.on("connection", (s: Socket) => {
      connections++;
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const r of held) r.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const command = (): LookupEventsCommand =>
    new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "ReadOnly", AttributeValue: "false" }], StartTime: new Date(0), EndTime: new Date(1000), MaxResults: 50 });
  const trail = () => cloudTrailClients({ maxAttempts: 1, timeoutMs: 10_000, credentials: { accessKeyId: "AKIATESTSHAREDPOOL01", secretAccessKey: "test" } });
  const target = (i: number) => ({ account: String(100000000000 + i), region: "us-east-1", endpoint });

  it("twenty account-regions called one after another use one connection", async () => {
    const t = trail();
    const before = connections;
    try {
      for (let i = 0; i < 20; i++) {
        const out = await sendLookup(await t.clientFor(target(i)), command());
        expect(out.Events).toEqual([]);
      }
      expect(connections - before).toBe(1);
    } finally {
      t.close();
    }
  });

  it("destroying one client leaves another client's request in flight alone; close() ends the pool", async () => {
    const t = trail();
    try {
      const a = await t.clientFor(target(1));
      const b = await t.clientFor(target(2));
      await sendLookup(a, command()); // a connection in the pool
      hold = true;
      const arrival = new Promise<void>((r) => arrived.push(r));
      const inFlight = sendLookup(b, command());
      await arrival;
      hold = false;
      a.destroy();
      answer(held.shift() as ServerResponse);
      await expect(inFlight).resolves.toMatchObject({ Events: [] });
      expect(sockets.size).toBeGreaterThan(0);
    } finally {
      t.close();
    }
    // The pool's idle connections are closed by close(): the server sees them go.
    await new Promise<void>((r) => {
      const check = (): void => (sockets.size === 0 ? r() : void setImmediate(check));
      check();
    });
    expect(sockets.size).toBe(0);
  });
});

describe("a daemon's EC2 clients share one connection pool", () => {
  const ACCOUNT = "444455556666";
  const REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"];
  let sim: Simulator;
  let proxy: CountingProxy;
  let tmp: TempDir;

  beforeAll(async () => {
    sim = await startSimulator();
    sim.mapAccessKey(MONITOR.accessKeyId, ACCOUNT);
    for (const region of REGIONS) seedDemoAccount(sim.state, { account: ACCOUNT, region });
    proxy = await startCountingProxy(sim.endpoint);
    tmp = makeTempDir();
  });

  afterAll(async () => {
    await proxy?.close();
    await sim?.close();
    tmp?.remove();
  });

  it("five account-regions polled one after another open the connections of one, not five", async () => {
    const raw = testConfigObject({ dir: tmp.path, endpoint: proxy.endpoint });
    raw.targets = [{ accounts: [ACCOUNT], regions: REGIONS, endpoint: proxy.endpoint }];
    raw.concurrency = 1;
    const app = new App({ config: parseConfigText(stringify(raw), tmp.join("config.yaml"), {}), logger: captureLog("warn").logger, env: {}, credentials: MONITOR });
    try {
      const r = await app.cycle();
      expect(r.targets.map((t) => t.ok)).toEqual(REGIONS.map(() => true));
      expect(proxy.total("DescribeSecurityGroups")).toBeGreaterThanOrEqual(REGIONS.length);
      expect(proxy.total("DescribeNetworkInterfaces")).toBeGreaterThanOrEqual(REGIONS.length);
      // One target's groups and interfaces are read at once (two connections);
      // each later target reuses them. Clients of their own would open two each.
      expect(proxy.connections()).toBeLessThanOrEqual(2);
    } finally {
      await app.close();
    }
  });
});
