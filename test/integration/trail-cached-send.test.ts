// LookupEvents through a CloudTrail client with cacheMiddleware (src/aws/
// cached-send.ts), against a real HTTP server that answers or holds each
// request: the middleware stack is resolved once, not per call; each call's
// own AbortSignal still ends its own request (shown by event order: abort
// once the server holds the request); and two calls in flight on one client
// never take each other's signal.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { CloudTrailClient, LookupEventsCommand, type LookupEventsCommandOutput } from "@aws-sdk/client-cloudtrail";
import { sendCached } from "../../src/aws/cached-send.js";

interface Held {
  res: ServerResponse;
}

describe("LookupEvents with the middleware stack resolved once", () => {
  let server: Server;
  let endpoint: string;
  // Requests the server holds (hold = true) until the test answers them.
  let hold = false;
  const held: Held[] = [];
  const arrived: Array<() => void> = [];
  const answer = (res: ServerResponse): void => {
    res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
    res.end(JSON.stringify({ Events: [] }));
  };

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on("end", () => {
        if (hold) held.push({ res });
        else answer(res);
        arrived.shift()?.();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const h of held) h.res.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const nextArrival = (): Promise<void> => new Promise((r) => arrived.push(r));
  // Requests held by an earlier test (aborted by their client) are dropped, so each test answers its own.
  const dropHeld = (): void => {
    for (const h of held.splice(0)) h.res.destroy();
  };
  const command = (): LookupEventsCommand =>
    new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "ReadOnly", AttributeValue: "false" }], StartTime: new Date(0), EndTime: new Date(1000), MaxResults: 50 });
  const sendLookup = (client: CloudTrailClient, c: LookupEventsCommand, signal?: AbortSignal): Promise<LookupEventsCommandOutput> => sendCached(client, c, signal);
  const makeClient = (): { client: CloudTrailClient; resolves: () => number } => {
    const client = new CloudTrailClient({
      region: "us-east-1",
      endpoint,
      credentials: { accessKeyId: "AKIATESTCACHEDSEND01", secretAccessKey: "test" },
      maxAttempts: 1,
      cacheMiddleware: true,
    });
    let resolved = 0;
    // The outer function runs when the SDK resolves a stack; the inner one on every call.
    client.middlewareStack.add(
      (next) => {
        resolved++;
        return (args) => next(args);
      },
      { step: "initialize", name: "testCountResolves" },
    );
    return { client, resolves: () => resolved };
  };

  it("resolves the stack once for many calls, with or without a signal", async () => {
    const { client, resolves } = makeClient();
    const signal = new AbortController().signal;
    for (let i = 0; i < 3; i++) await sendLookup(client, command(), signal);
    await sendLookup(client, command());
    expect(resolves()).toBe(1);
    client.destroy();
  });

  it("ends a held request when its own signal aborts, and the client goes on working", async () => {
    const { client } = makeClient();
    await sendLookup(client, command()); // the stack is cached from here on
    hold = true;
    const abort = new AbortController();
    const arrival = nextArrival();
    const call = sendLookup(client, command(), abort.signal);
    await arrival; // the server holds the request now
    abort.abort();
    await expect(call).rejects.toMatchObject({ name: "AbortError" });
    hold = false;
    await expect(sendLookup(client, command())).resolves.toMatchObject({ Events: [] });
    client.destroy();
  });

  it("gives two calls in flight on one client each its own signal", async () => {
    const { client } = makeClient();
    await sendLookup(client, command());
    dropHeld();
    hold = true;
    const first = new AbortController();
    const second = new AbortController();
    let arrival = nextArrival();
    const a = sendLookup(client, command(), first.signal);
    await arrival;
    arrival = nextArrival();
    const b = sendLookup(client, command(), second.signal);
    await arrival;
    second.abort();
    await expect(b).rejects.toMatchObject({ name: "AbortError" });
    const waiting = held.shift();
    if (!waiting) throw new Error("the first request is not held");
    answer(waiting.res);
    await expect(a).resolves.toMatchObject({ Events: [] });
    dropHeld(); // the second's request, aborted
    // And the other way round: aborting the first leaves the second alone.
    const third = new AbortController();
    const fourth = new AbortController();
    arrival = nextArrival();
    const c = sendLookup(client, command(), third.signal);
    await arrival;
    arrival = nextArrival();
    const d = sendLookup(client, command(), fourth.signal);
    await arrival;
    third.abort();
    await expect(c).rejects.toMatchObject({ name: "AbortError" });
    const last = held.pop();
    if (!last) throw new Error("the fourth request is not held");
    answer(last.res);
    await expect(d).resolves.toMatchObject({ Events: [] });
    hold = false;
    client.destroy();
  });
});
