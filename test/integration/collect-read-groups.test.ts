// collectReadGroups with sgwatch's streaming reader reads each group (its
// fingerprint and canonical form) as soon as the group's element closes,
// while the rest of its page is still on the wire: so no raw group lives
// until its page is complete, which is what kept the daemon's peak RSS high
// (docs/performance.md, "What moved the peak"). Proved by the order of
// events, through the real SDK over HTTP: the server sends a page up to the
// end of its first group, then sends the rest only once the test's `read` has
// seen that group. A collector that read groups after their page was complete
// would leave the server waiting for a read that cannot come before the rest
// of the page, and the test fails (after a bound only a failing run reaches).
// And what `read` throws fails the collection with that error, untouched and
// not retried by the SDK.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EC2Client } from "@aws-sdk/client-ec2";
import { collectReadGroups } from "../../src/aws/collect.js";
import { createEc2Client } from "../../src/aws/ec2-client.js";
import { readGroup, NormalizeError, type ReadGroup } from "../../src/model/normalize.js";

/** Bounds only a failing run: a passing one never waits this long. */
const NEVER_MS = 10_000;

function group(id: string): string {
  return (
    `<item><ownerId>123456789012</ownerId><groupId>${id}</groupId><groupName>n-${id}</groupName><groupDescription>d</groupDescription>` +
    `<ipPermissions><item><ipProtocol>tcp</ipProtocol><fromPort>22</fromPort><toPort>22</toPort><ipRanges><item><cidrIp>10.0.0.0/8</cidrIp></item></ipRanges></item></ipPermissions>` +
    `<ipPermissionsEgress/></item>`
  );
}

const HEAD = `<?xml version="1.0" encoding="UTF-8"?>\n<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><securityGroupInfo>`;
const TAIL = `</securityGroupInfo></DescribeSecurityGroupsResponse>`;

describe("collectReadGroups with the stream reader", { timeout: 60_000 }, () => {
  let server: Server;
  let client: EC2Client;
  let requests = 0;
  /** Resolved by the test's read of the first group; the server holds the rest of the page until then. */
  let firstRead: () => void = () => undefined;
  /** Whether the rest of the page was sent because the first group had been read (false: the bound ran out). */
  let heldUntilRead: boolean | null = null;

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests++;
      req.resume();
      req.on("end", () => {
        const seen = new Promise<boolean>((resolve) => {
          firstRead = () => resolve(true);
          setTimeout(() => resolve(false), NEVER_MS).unref();
        });
        res.writeHead(200, { "content-type": "text/xml;charset=UTF-8" });
        res.write(HEAD + group("sg-0001"));
        void seen.then((read) => {
          heldUntilRead ??= read;
          res.end(group("sg-0002") + group("sg-0003") + TAIL);
        });
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    client = createEc2Client({ region: "us-east-1", endpoint, maxAttempts: 3, timeoutMs: 30_000, credentials: { accessKeyId: "AKIAREADGROUPS000001", secretAccessKey: "x" } });
  });

  afterAll(async () => {
    client?.destroy();
    server?.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it("reads each group as its element closes, before the rest of its page has arrived", async () => {
    heldUntilRead = null;
    const read: Array<{ id: string; index: number }> = [];
    const pages: ReadGroup[][] = [];
    const r = await collectReadGroups(client, {
      reader: "stream",
      maxPages: 10,
      read: (g, index) => {
        read.push({ id: g.GroupId as string, index });
        if (index === 0) firstRead();
        return readGroup(g, () => undefined, index);
      },
      sink: (page) => void pages.push(page),
    });
    expect(heldUntilRead).toBe(true);
    expect(r.pages).toBe(1);
    expect(read).toEqual([
      { id: "sg-0001", index: 0 },
      { id: "sg-0002", index: 1 },
      { id: "sg-0003", index: 2 },
    ]);
    // The sink gets the page as read: canonical groups, not raw ones.
    expect(pages.map((p) => p.map((g) => [g.groupId, g.state?.rules.length]))).toEqual([
      [
        ["sg-0001", 1],
        ["sg-0002", 1],
        ["sg-0003", 1],
      ],
    ]);
  });

  it("fails with what read throws, once the response is in, without a retry", async () => {
    requests = 0;
    const refused = new NormalizeError("sg-0002", "sg-0002", "SecurityGroups[1].IpPermissions[0].IpProtocol", "is not a protocol");
    let sunk = 0;
    const run = collectReadGroups(client, {
      reader: "stream",
      maxPages: 10,
      read: (g, index) => {
        if (index === 0) firstRead();
        if (index === 1) throw refused;
        return readGroup(g, () => undefined, index);
      },
      sink: () => void sunk++,
    });
    await expect(run).rejects.toBe(refused);
    expect(requests).toBe(1);
    expect(sunk).toBe(0);
  });
});
