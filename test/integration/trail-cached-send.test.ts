// LookupEvents through a CloudTrail client with cacheMiddleware (src/aws/
// cached-send.ts), against a real HTTP server that answers or holds each
// request: the middleware stack is resolved once, not per call; each call's
// own AbortSignal still ends its own request (shown by event order: abort
// once the server holds the request); and two calls in flight on one client
// never take each other's signal.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloudTrailClient, LookupEventsCommand, type LookupEventsCommandOutput } from "@aws-sdk/client-cloudtrail";
import { sendCached } from "../../src/aws/cached-send.js";
import { countStackResolves, startHoldingServer, type HeldRequest, type HoldingServer } from "../support/holding-server.js";

describe("LookupEvents with the middleware stack resolved once", () => {
  let srv: HoldingServer;
  const answer = (h: HeldRequest): void => {
    h.res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
    h.res.end(JSON.stringify({ Events: [] }));
  };

  beforeAll(async () => {
    srv = await startHoldingServer(answer);
  });

  afterAll(async () => {
    await srv.close();
  });

  const command = (): LookupEventsCommand =>
    new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "ReadOnly", AttributeValue: "false" }], StartTime: new Date(0), EndTime: new Date(1000), MaxResults: 50 });
  const sendLookup = (client: CloudTrailClient, c: LookupEventsCommand, signal?: AbortSignal): Promise<LookupEventsCommandOutput> => sendCached(client, c, signal);
  const makeClient = (): { client: CloudTrailClient; resolves: () => number } => {
    const client = new CloudTrailClient({
      region: "us-east-1",
      endpoint: srv.endpoint,
      credentials: { accessKeyId: "AKIATESTCACHEDSEND01", secretAccessKey: "test" },
      maxAttempts: 1,
      cacheMiddleware: true,
    });
    return { client, resolves: countStackResolves(client) };
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
    srv.hold = true;
    const abort = new AbortController();
    const arrival = srv.nextArrival();
    const call = sendLookup(client, command(), abort.signal);
    await arrival; // the server holds the request now
    abort.abort();
    await expect(call).rejects.toMatchObject({ name: "AbortError" });
    srv.hold = false;
    await expect(sendLookup(client, command())).resolves.toMatchObject({ Events: [] });
    client.destroy();
  });

  it("gives two calls in flight on one client each its own signal", async () => {
    const { client } = makeClient();
    await sendLookup(client, command());
    srv.dropHeld();
    srv.hold = true;
    const first = new AbortController();
    const second = new AbortController();
    let arrival = srv.nextArrival();
    const a = sendLookup(client, command(), first.signal);
    await arrival;
    arrival = srv.nextArrival();
    const b = sendLookup(client, command(), second.signal);
    await arrival;
    second.abort();
    await expect(b).rejects.toMatchObject({ name: "AbortError" });
    const waiting = srv.held.shift();
    if (!waiting) throw new Error("the first request is not held");
    answer(waiting);
    await expect(a).resolves.toMatchObject({ Events: [] });
    srv.dropHeld(); // the second's request, aborted
    // And the other way round: aborting the first leaves the second alone.
    const third = new AbortController();
    const fourth = new AbortController();
    arrival = srv.nextArrival();
    const c = sendLookup(client, command(), third.signal);
    await arrival;
    arrival = srv.nextArrival();
    const d = sendLookup(client, command(), fourth.signal);
    await arrival;
    third.abort();
    await expect(c).rejects.toMatchObject({ name: "AbortError" });
    const last = srv.held.pop();
    if (!last) throw new Error("the fourth request is not held");
    answer(last);
    await expect(d).resolves.toMatchObject({ Events: [] });
    srv.hold = false;
    client.destroy();
  });
});
