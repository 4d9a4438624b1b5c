// Proves that errors and injected faults reach the real SDK the way AWS's
// would: typed errors with AWS's codes and HTTP statuses, retryable throttles,
// dropped connections and unparseable bodies as SDK failures, and pagination
// faults that a collector must detect. Faults are driven both in-process and
// over the /__sim/ admin endpoint.

import {
  CreateSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  paginateDescribeSecurityGroups,
} from "@aws-sdk/client-ec2";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../../src/sim/server.js";
import { ec2Client, sdkError } from "./sdk-client.js";

let sim: Simulator;
let ec2: EC2Client;

beforeEach(async () => {
  sim = await startSimulator({ faultSeed: 42 });
  ec2 = ec2Client(sim.endpoint);
  for (let i = 0; i < 23; i++) sim.state.account("123456789012").region("us-east-1").createGroup({ groupName: `g${i}`, description: "d" });
});

afterEach(async () => {
  ec2.destroy();
  expect(sim.unexpectedErrors).toEqual([]);
  await sim.close();
});

const describeAll = () => ec2.send(new DescribeSecurityGroupsCommand({}));

async function collectAll(client: EC2Client, limit = 50): Promise<string[]> {
  const ids: string[] = [];
  let pages = 0;
  for await (const page of paginateDescribeSecurityGroups({ client, pageSize: 5 }, {})) {
    ids.push(...(page.SecurityGroups ?? []).map((g) => g.GroupId as string));
    if (++pages >= limit) throw new Error("pagination did not end");
  }
  return ids;
}

describe("API errors", () => {
  it.each([
    ["unknown group", new DescribeSecurityGroupsCommand({ GroupIds: ["sg-0123456789abcdef0"] }), "InvalidGroup.NotFound"],
    ["malformed group id", new DescribeSecurityGroupsCommand({ GroupIds: ["nope"] }), "InvalidGroupId.Malformed"],
    ["MaxResults below 5", new DescribeSecurityGroupsCommand({ MaxResults: 4 }), "InvalidParameterValue"],
    ["MaxResults above 1000", new DescribeSecurityGroupsCommand({ MaxResults: 1001 }), "InvalidParameterValue"],
    ["forged NextToken", new DescribeSecurityGroupsCommand({ MaxResults: 5, NextToken: "garbage" }), "InvalidPaginationToken"],
    ["missing description", new CreateSecurityGroupCommand({ GroupName: "x", Description: undefined as unknown as string }), "MissingParameter"],
  ])("%s → %s (400)", async (_label, command, code) => {
    const err = await sdkError(ec2.send(command as DescribeSecurityGroupsCommand));
    expect(err.name).toBe(code);
    expect(err.$metadata?.httpStatusCode).toBe(400);
    expect(err.$fault).toBe("client");
  });

  it("a NextToken from another query is refused", async () => {
    const first = await ec2.send(new DescribeSecurityGroupsCommand({ MaxResults: 5 }));
    const err = await sdkError(
      ec2.send(new DescribeSecurityGroupsCommand({ MaxResults: 5, NextToken: first.NextToken, Filters: [{ Name: "group-name", Values: ["*"] }] })),
    );
    expect(err.name).toBe("InvalidPaginationToken");
  });

  it("unknown action → InvalidAction; unsigned request → AuthFailure", async () => {
    const unknown = await fetch(sim.endpoint, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIAX/20261128/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0",
      },
      body: "Action=LaunchMissiles&Version=2016-11-15",
    });
    expect(unknown.status).toBe(400);
    const text = await unknown.text();
    expect(text).toContain("<Code>InvalidAction</Code>");
    expect(text).toMatch(/<RequestID>[0-9a-f-]{36}<\/RequestID>/);
    const unsigned = await fetch(sim.endpoint, { method: "POST", body: "Action=DescribeSecurityGroups&Version=2016-11-15" });
    expect(unsigned.status).toBe(401);
    expect(await unsigned.text()).toContain("<Code>AuthFailure</Code>");
  });
});

describe("faults through the SDK (maxAttempts 1)", () => {
  it.each([
    ["throttle", "RequestLimitExceeded", 503],
    ["internal-error", "InternalError", 500],
    ["auth-failure", "AuthFailure", 401],
    ["unauthorized", "UnauthorizedOperation", 403],
  ] as const)("%s → %s %i, for the next N calls only", async (kind, name, status) => {
    sim.faults.add({ kind, action: "DescribeSecurityGroups", count: 2 });
    for (let i = 0; i < 2; i++) {
      const err = await sdkError(describeAll());
      expect(err.name).toBe(name);
      expect(err.$metadata?.httpStatusCode).toBe(status);
    }
    await expect(describeAll()).resolves.toBeDefined();
    expect(sim.requests.map((r) => r.fault)).toEqual([kind, kind, undefined]);
  });

  it("throttling is retried by the SDK's default retry strategy", async () => {
    sim.faults.add({ kind: "throttle", count: 2 });
    const patient = ec2Client(sim.endpoint, { maxAttempts: 3 });
    const out = await patient.send(new DescribeSecurityGroupsCommand({}));
    expect(out.SecurityGroups).toHaveLength(23);
    expect(out.$metadata.attempts).toBe(3);
    patient.destroy();
  });

  it("auth failure until cleared", async () => {
    sim.faults.add({ kind: "auth-failure" });
    for (let i = 0; i < 3; i++) expect((await sdkError(describeAll())).name).toBe("AuthFailure");
    sim.faults.clear();
    await expect(describeAll()).resolves.toBeDefined();
  });

  it("scoped faults leave other actions, accounts and regions alone", async () => {
    sim.faults.add({ kind: "unauthorized", action: "DescribeSecurityGroups", region: "eu-west-1" });
    sim.faults.add({ kind: "throttle", account: "999999999999" });
    await expect(describeAll()).resolves.toBeDefined();
    const eu = ec2Client(sim.endpoint, { region: "eu-west-1" });
    expect((await sdkError(eu.send(new DescribeSecurityGroupsCommand({})))).name).toBe("UnauthorizedOperation");
    await expect(eu.send(new CreateSecurityGroupCommand({ GroupName: "ok", Description: "d" }))).resolves.toBeDefined();
    eu.destroy();
  });

  it("latency is added per call: the delayed call is held, the next is not", async () => {
    // The simulator's sleep is handed in and released by the test, so the
    // delay is proved by what happens while it lasts, not by a stopwatch.
    const held: Array<{ ms: number; release: () => void }> = [];
    let slept!: () => void;
    const asleep = new Promise<void>((r) => (slept = r));
    const slow = await startSimulator({
      sleep: (ms) =>
        new Promise<void>((release) => {
          held.push({ ms, release });
          slept();
        }),
    });
    const client = ec2Client(slow.endpoint);
    try {
      slow.faults.add({ kind: "latency", latencyMs: 150, count: 1 });
      let firstDone = false;
      const first = client.send(new DescribeSecurityGroupsCommand({})).finally(() => (firstDone = true));
      await asleep;
      expect(held.map((h) => h.ms)).toEqual([150]);
      // A second call goes through while the first is still held: only one call was delayed.
      await expect(client.send(new DescribeSecurityGroupsCommand({}))).resolves.toBeDefined();
      expect(firstDone).toBe(false);
      expect(slow.requests.map((r) => r.status)).toEqual([0, 200]);
      held[0]?.release();
      await expect(first).resolves.toBeDefined();
      expect(held).toHaveLength(1);
      expect(slow.requests.map((r) => r.status)).toEqual([200, 200]);
    } finally {
      client.destroy();
      await slow.close();
    }
  });

  it("connection reset surfaces as a network error, not a response", async () => {
    sim.faults.add({ kind: "connection-reset", count: 1 });
    const err = await sdkError(describeAll());
    expect(err.$metadata?.httpStatusCode).toBeUndefined();
    expect(`${err.name} ${err.message} ${String((err as { code?: string }).code)}`).toMatch(/ECONNRESET|socket hang up|reset/i);
    expect(sim.requests[0]).toMatchObject({ fault: "connection-reset", status: 0 });
    await expect(describeAll()).resolves.toBeDefined();
  });

  it.each(["truncated-body", "malformed-body"] as const)("%s is a deserialization failure", async (kind) => {
    sim.faults.add({ kind, count: 1 });
    const err = await sdkError(describeAll());
    expect(err.message).toMatch(/XML|parse|Deserialization/i);
    await expect(describeAll()).resolves.toBeDefined();
  });

  it("InternalError on page 3 of a paginated DescribeSecurityGroups", async () => {
    sim.faults.add({ kind: "internal-error", action: "DescribeSecurityGroups", page: 3, count: 1 });
    const seen: string[] = [];
    const err = await sdkError(
      (async () => {
        for await (const page of paginateDescribeSecurityGroups({ client: ec2, pageSize: 5 }, {})) {
          seen.push(...(page.SecurityGroups ?? []).map((g) => g.GroupId as string));
        }
      })(),
    );
    expect(err.name).toBe("InternalError");
    expect(err.$metadata?.httpStatusCode).toBe(500);
    expect(seen).toHaveLength(10);
    expect(await collectAll(ec2)).toHaveLength(23);
  });

  it("a NextToken that repeats forever", async () => {
    sim.faults.add({ kind: "repeat-next-token", action: "DescribeSecurityGroups" });
    await expect(collectAll(ec2, 12)).rejects.toThrow("pagination did not end");
    const tokens = sim.requests.slice(1).map((r) => r.fault);
    expect(tokens.every((f) => f === "repeat-next-token")).toBe(true);
  });

  it("probabilistic throttling is reproducible from the seed", async () => {
    const run = async (): Promise<(string | undefined)[]> => {
      sim.faults.clear();
      sim.faults.seed(7);
      sim.faults.add({ kind: "throttle", probability: 0.3 });
      const outcomes: (string | undefined)[] = [];
      for (let i = 0; i < 30; i++) {
        outcomes.push(await describeAll().then(() => undefined, (e: Error) => e.name));
      }
      return outcomes;
    };
    const a = await run();
    const b = await run();
    expect(a).toEqual(b);
    const throttled = a.filter((x) => x === "RequestLimitExceeded").length;
    expect(throttled).toBeGreaterThan(2);
    expect(throttled).toBeLessThan(20);
  });
});

describe("admin endpoint", () => {
  const admin = (path: string, init?: RequestInit) => fetch(`${sim.endpoint}/__sim/${path}`, init);

  it("adds, lists and clears faults over HTTP", async () => {
    const added = await admin("faults", {
      method: "POST",
      body: JSON.stringify([{ kind: "throttle", action: "DescribeSecurityGroups", count: 1 }, { kind: "latency", latencyMs: 1 }]),
    });
    expect(added.status).toBe(201);
    expect(((await added.json()) as { ids: string[] }).ids).toHaveLength(2);
    expect(((await (await admin("faults")).json()) as unknown[]).length).toBe(2);
    expect((await sdkError(describeAll())).name).toBe("RequestLimitExceeded");
    const cleared = await admin("faults", { method: "DELETE" });
    expect(await cleared.json()).toEqual({ cleared: 1 });
    await expect(describeAll()).resolves.toBeDefined();
  });

  it("rejects an invalid fault with every problem named", async () => {
    const res = await admin("faults", { method: "POST", body: JSON.stringify({ kind: "meteor", count: 0 }) });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { problems: string[] };
    expect(body.problems.join("\n")).toMatch(/kind must be one of/);
    expect(body.problems.join("\n")).toMatch(/count must be/);
  });

  it("GET state, POST reset (empty or from JSON), requests and mutations", async () => {
    const state = (await (await admin("state")).json()) as { accounts: Record<string, Record<string, { groups: unknown[] }>> };
    expect(state.accounts["123456789012"]?.["us-east-1"]?.groups).toHaveLength(23);
    await describeAll();
    expect(((await (await admin("requests")).json()) as unknown[]).length).toBe(1);
    expect(((await (await admin("mutations")).json()) as unknown[]).length).toBeGreaterThan(0);
    await admin("reset", { method: "POST" });
    expect((await describeAll()).SecurityGroups).toEqual([]);
    await admin("reset", { method: "POST", body: JSON.stringify(state) });
    expect((await describeAll()).SecurityGroups).toHaveLength(23);
  });

  it("maps access keys over HTTP", async () => {
    await admin("access-keys", { method: "POST", body: JSON.stringify({ accessKeyId: "AKIAREMOTE", accountId: "555555555555" }) });
    const other = ec2Client(sim.endpoint, { accessKeyId: "AKIAREMOTE" });
    expect((await other.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups).toEqual([]);
    expect(sim.requests.at(-1)?.account).toBe("555555555555");
    other.destroy();
  });
});
