// The CloudTrail clients of a fleet share one keep-alive connection pool
// (src/aws/shared-agents.ts, used by src/trail/clients.ts), against a real
// HTTP server that counts the connections it accepts: a quiet sweep's calls
// for many account-regions reuse one connection instead of opening one each;
// destroying one client (a reload dropping a target) does not cut another
// client's request in flight; close() ends the pool.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { LookupEventsCommand, type CloudTrailClient, type LookupEventsCommandOutput } from "@aws-sdk/client-cloudtrail";
import { cloudTrailClients } from "../../src/trail/clients.js";
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
