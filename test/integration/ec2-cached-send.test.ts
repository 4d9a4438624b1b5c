// The EC2 collectors through the real client factory (createEc2Client, with
// cacheMiddleware) and src/aws/cached-send.ts, against a real HTTP server that
// answers or holds each request: the middleware stack is resolved once per
// command class for both readers, not per call; each call's own AbortSignal
// ends its own held request (shown by event order: abort once the server
// holds it); calls in flight at once on one client, of two classes (groups
// and interfaces, as a poll reads them) or of one class, never take each
// other's signal, and each is still read by the stream reader; and a call's
// signal ends the SDK's wait between two attempts (a fake setTimeout that
// never fires, so only the signal can end it).
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { EC2Client } from "@aws-sdk/client-ec2";
import { createEc2Client } from "../../src/aws/ec2-client.js";
import { securityGroupPages, type ResponseReader } from "../../src/aws/collect.js";
import { networkInterfacePages } from "../../src/aws/collect-interfaces.js";
import { countStackResolves, startHoldingServer, type HeldRequest, type HoldingServer } from "../support/holding-server.js";

const NS = 'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"';
const GROUPS =
  `<?xml version="1.0" encoding="UTF-8"?><DescribeSecurityGroupsResponse ${NS}><requestId>r-1</requestId><securityGroupInfo>` +
  `<item><ownerId>123456789012</ownerId><groupId>sg-0cached000000001</groupId><groupName>web</groupName><groupDescription>web tier</groupDescription><vpcId>vpc-1</vpcId>` +
  `<ipPermissions><item><ipProtocol>tcp</ipProtocol><fromPort>443</fromPort><toPort>443</toPort><groups/><ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges><ipv6Ranges/><prefixListIds/></item></ipPermissions>` +
  `<ipPermissionsEgress/></item></securityGroupInfo></DescribeSecurityGroupsResponse>`;
const INTERFACES =
  `<?xml version="1.0" encoding="UTF-8"?><DescribeNetworkInterfacesResponse ${NS}><requestId>r-2</requestId><networkInterfaceSet>` +
  `<item><networkInterfaceId>eni-0cached00000001</networkInterfaceId><interfaceType>interface</interfaceType><groupSet><item><groupId>sg-0cached000000001</groupId></item></groupSet></item>` +
  `</networkInterfaceSet></DescribeNetworkInterfacesResponse>`;

const actionOf = (h: HeldRequest): string => /Action=(\w+)/.exec(h.body)?.[1] ?? "";

describe("EC2 calls with the middleware stack resolved once", () => {
  let srv: HoldingServer;
  // Requests answered with a retryable 500 instead, held or not (fail > 0 counts them down).
  let fail = 0;
  const answer = (h: HeldRequest): void => {
    h.res.writeHead(200, { "content-type": "text/xml;charset=UTF-8" });
    h.res.end(actionOf(h) === "DescribeNetworkInterfaces" ? INTERFACES : GROUPS);
  };
  const failing = (h: HeldRequest): boolean => {
    if (fail === 0) return false;
    fail--;
    h.res.writeHead(500, { "content-type": "text/xml;charset=UTF-8" });
    h.res.end("<Response><Errors><Error><Code>InternalError</Code><Message>try again</Message></Error></Errors><RequestID>r-500</RequestID></Response>");
    return true;
  };

  beforeAll(async () => {
    srv = await startHoldingServer(answer, failing);
  });

  afterAll(async () => {
    await srv.close();
  });

  const takeHeld = (action: string): HeldRequest => {
    const i = srv.held.findIndex((h) => actionOf(h) === action);
    if (i < 0) throw new Error(`no ${action} request is held`);
    return srv.held.splice(i, 1)[0] as HeldRequest;
  };
  const makeClient = (maxAttempts = 1): { client: EC2Client; resolves: () => number } => {
    const client = createEc2Client({ region: "us-east-1", endpoint: srv.endpoint, maxAttempts, timeoutMs: 30_000, credentials: { accessKeyId: "AKIATESTEC2CACHED001", secretAccessKey: "test" } });
    return { client, resolves: countStackResolves(client) };
  };
  const groups = (client: EC2Client, reader: ResponseReader, signal?: AbortSignal) => securityGroupPages(client, reader, 1000, signal)(undefined);
  const interfaces = (client: EC2Client, reader: ResponseReader, signal?: AbortSignal) => networkInterfacePages(client, reader, 1000, signal)(undefined);
  const groupIds = (page: { items: Array<{ GroupId?: string }> }): Array<string | undefined> => page.items.map((g) => g.GroupId);

  for (const reader of ["stream", "sdk"] as const) {
    it(`resolves the stack once per command class for many calls (${reader} reader), with or without a signal`, async () => {
      const { client, resolves } = makeClient();
      const signal = new AbortController().signal;
      for (let i = 0; i < 3; i++) {
        expect(groupIds(await groups(client, reader, signal))).toEqual(["sg-0cached000000001"]);
        expect((await interfaces(client, reader, i % 2 ? signal : undefined)).items.map((n) => n.NetworkInterfaceId)).toEqual(["eni-0cached00000001"]);
      }
      await groups(client, reader);
      // One stack for DescribeSecurityGroups, one for DescribeNetworkInterfaces.
      expect(resolves()).toBe(2);
      client.destroy();
    });

    it(`ends a held request when its own signal aborts, and the client goes on working (${reader} reader)`, async () => {
      const { client } = makeClient();
      await groups(client, reader); // the stack is cached from here on
      srv.dropHeld();
      srv.hold = true;
      const abort = new AbortController();
      const arrival = srv.nextArrival();
      const call = groups(client, reader, abort.signal);
      await arrival; // the server holds the request now
      abort.abort();
      await expect(call).rejects.toMatchObject({ name: "AbortError" });
      srv.hold = false;
      expect(groupIds(await groups(client, reader))).toEqual(["sg-0cached000000001"]);
      client.destroy();
    });

    it(`ends the wait between two attempts when the call's signal aborts (${reader} reader)`, async () => {
      const { client } = makeClient(2);
      let failedAttempts = 0;
      // Innermost but one: sees each attempt's error before the SDK's retry does.
      client.middlewareStack.add(
        (next) => async (args) => {
          try {
            return await next(args);
          } catch (err) {
            failedAttempts++;
            throw err;
          }
        },
        { step: "finalizeRequest", priority: "low", name: "testSeeFailedAttempt" },
      );
      await groups(client, reader); // the stack is cached from here on
      vi.useFakeTimers({ toFake: ["setTimeout"] });
      try {
        fail = 1;
        const abort = new AbortController();
        const call = groups(client, reader, abort.signal);
        call.catch(() => undefined);
        while (failedAttempts === 0) await new Promise((r) => setImmediate(r));
        // A macrotask later the retry's microtasks are done: it waits on a timer that never fires.
        await new Promise((r) => setImmediate(r));
        abort.abort();
        await expect(call).rejects.toMatchObject({ name: "AbortError" });
      } finally {
        vi.useRealTimers();
        fail = 0;
      }
      client.destroy();
    });
  }

  it("gives groups and interfaces in flight at once on one client each its own signal", async () => {
    const { client, resolves } = makeClient();
    await groups(client, "stream");
    await interfaces(client, "stream");
    srv.dropHeld();
    srv.hold = true;
    for (const aborted of ["DescribeSecurityGroups", "DescribeNetworkInterfaces"]) {
      const g = new AbortController();
      const n = new AbortController();
      let arrival = srv.nextArrival();
      const gs = groups(client, "stream", g.signal);
      await arrival;
      arrival = srv.nextArrival();
      const ns = interfaces(client, "stream", n.signal);
      await arrival;
      (aborted === "DescribeSecurityGroups" ? g : n).abort();
      const [lost, kept] = aborted === "DescribeSecurityGroups" ? [gs, ns] : [ns, gs];
      await expect(lost).rejects.toMatchObject({ name: "AbortError" });
      answer(takeHeld(aborted === "DescribeSecurityGroups" ? "DescribeNetworkInterfaces" : "DescribeSecurityGroups"));
      await expect(kept).resolves.toMatchObject({ items: [expect.anything()] });
      srv.dropHeld();
    }
    srv.hold = false;
    // Both classes stayed on their cached stacks throughout.
    expect(resolves()).toBe(2);
    client.destroy();
  });

  it("gives two calls of one class in flight on one client each its own signal, both read by the stream reader", async () => {
    const { client } = makeClient();
    await groups(client, "stream");
    srv.dropHeld();
    srv.hold = true;
    for (const abortFirst of [false, true]) {
      const first = new AbortController();
      const second = new AbortController();
      let arrival = srv.nextArrival();
      const a = groups(client, "stream", first.signal);
      await arrival;
      arrival = srv.nextArrival();
      const b = groups(client, "stream", second.signal);
      await arrival;
      (abortFirst ? first : second).abort();
      await expect(abortFirst ? a : b).rejects.toMatchObject({ name: "AbortError" });
      // Held in the order sent: answer the call that was not aborted.
      expect(srv.held).toHaveLength(2);
      answer(srv.held[abortFirst ? 1 : 0] as HeldRequest);
      expect(groupIds(await (abortFirst ? b : a))).toEqual(["sg-0cached000000001"]);
      srv.dropHeld();
    }
    srv.hold = false;
    client.destroy();
  });
});
