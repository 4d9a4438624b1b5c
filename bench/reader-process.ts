// Figure 7's process (issue 14, the reader): CPU per target-poll of what a
// fetch does with a response, aws.reader stream against sdk, in one process,
// alternating, with nothing else on the path: the bodies of one fleet
// target's pages (groups, rules, and one network interface per group) are
// captured from the simulator once, then served by a request handler that
// answers from memory. So each poll is the SDK's whole request path
// (serialise, endpoint, sign, retry middleware, deserialise or hand the body
// to the stream reader) plus fingerprinting (readGroups, every group
// unchanged, as at a quiet poll) and readAttachments: network and simulator
// time are out, which a loaded shared machine would otherwise add to both
// sides unevenly. Driven by bench/reader-figure.ts over IPC; its own process,
// so its CPU time is the readers' alone (and --profile profiles only them).
import { Readable } from "node:stream";
import { EC2Client } from "@aws-sdk/client-ec2";
import { collectSecurityGroups, type ResponseReader } from "../src/aws/collect.js";
import { collectNetworkInterfaces } from "../src/aws/collect-interfaces.js";
import { readAttachments } from "../src/model/attachment.js";
import { readGroups } from "../src/model/normalize.js";
import { startSimulator } from "../src/sim/server.js";
import { SimState } from "../src/sim/state.js";
import { generateAccount } from "../src/sim/generate.js";
import { createInterface } from "../src/sim/network-interfaces.js";
import { serve } from "./ipc.js";

export interface ReaderCommands {
  /**
   * CPU per target-poll (ms) of each reader in `readers`: `rounds` rounds of
   * `polls` polls each, alternating which reader goes first, after a warm-up.
   */
  measure: {
    args: { groups: number; rules: number; polls: number; rounds: number; readers: ResponseReader[] };
    result: { perRound: Record<ResponseReader, number[]>; bytes: { securityGroups: number; networkInterfaces: number } };
  };
}

const ACCOUNT = "123456789012";
const REGION = "us-east-1";
const KEY = { accessKeyId: "AKIABENCHREADER00001", secretAccessKey: "bench" };
// Enough for the JIT to settle on both paths before anything counts.
const WARM_UP_POLLS = 30;

/** Bodies by command, captured from the simulator. */
async function capture(groups: number, rules: number): Promise<Map<string, Buffer>> {
  const state = new SimState({ seed: 3 });
  generateAccount(state, { seed: 3, groups, rules, account: ACCOUNT, region: REGION });
  const region = state.account(ACCOUNT).region(REGION);
  [...region.groups.keys()].forEach((id, i) => createInterface(region, { kind: i % 3 === 0 ? "instance" : "lambda", groupIds: [id], ...(i % 5 === 0 ? { publicIp: `198.51.100.${i % 250}` } : {}) }, (p) => region.newId(p)));
  const sim = await startSimulator({ port: 0, state });
  const bodies = new Map<string, Buffer>();
  const client = new EC2Client({ region: REGION, endpoint: sim.endpoint, credentials: KEY, maxAttempts: 1 });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      const res = out.response as { body: AsyncIterable<Buffer> };
      const parts: Buffer[] = [];
      for await (const c of res.body) parts.push(c);
      const buf = Buffer.concat(parts);
      bodies.set(String((context as { commandName?: string }).commandName), buf);
      (out.response as { body: unknown }).body = Readable.from([buf]);
      return out;
    },
    { step: "deserialize", priority: "low" },
  );
  try {
    await collectSecurityGroups(client, { reader: "sdk", maxPages: 10 });
    await collectNetworkInterfaces(client, { reader: "sdk", maxPages: 10 });
  } finally {
    client.destroy();
    await sim.close();
  }
  return bodies;
}

/** A client whose requests are answered from memory: the body of whichever action was asked. */
function memoryClient(dsg: Buffer, dni: Buffer): EC2Client {
  return new EC2Client({
    region: REGION,
    endpoint: "http://127.0.0.1:9",
    credentials: KEY,
    maxAttempts: 1,
    // As the real factory makes them (src/aws/ec2-client.ts).
    cacheMiddleware: true,
    requestHandler: {
      handle: async (req: { body?: unknown }) => {
        const body = String(req.body ?? "").includes("Action=DescribeNetworkInterfaces") ? dni : dsg;
        return { response: { statusCode: 200, reason: "OK", headers: { "content-type": "text/xml;charset=UTF-8" }, body: Readable.from([body]) } };
      },
    } as never,
  });
}

serve<ReaderCommands>({
  measure: async ({ groups, rules, polls, rounds, readers }) => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    const bodies = await capture(groups, rules);
    const dsg = bodies.get("DescribeSecurityGroupsCommand");
    const dni = bodies.get("DescribeNetworkInterfacesCommand");
    if (!dsg || !dni) throw new Error("reader figure: the simulator's bodies were not captured");
    const client = memoryClient(dsg, dni);
    // Known fingerprints per reader: every group unchanged, as at a quiet poll.
    const known = new Map<ResponseReader, Map<string, string>>();
    const poll = async (reader: ResponseReader): Promise<void> => {
      const k = known.get(reader) ?? new Map<string, string>();
      const seen = new Map<string, string>();
      await collectSecurityGroups(client, { reader, maxPages: 10, sink: (page) => { for (const g of readGroups(page, (id) => k.get(id) ?? "", 0)) seen.set(g.groupId, g.fingerprint); } });
      const ifaces = await collectNetworkInterfaces(client, { reader, maxPages: 10 });
      readAttachments(ifaces.interfaces);
      known.set(reader, seen);
    };
    const cpuPerPoll = async (reader: ResponseReader): Promise<number> => {
      const start = process.cpuUsage();
      for (let i = 0; i < polls; i++) await poll(reader);
      const used = process.cpuUsage(start);
      return (used.user + used.system) / 1000 / polls;
    };
    try {
      for (const r of readers) for (let i = 0; i < WARM_UP_POLLS; i++) await poll(r);
      const perRound: Record<ResponseReader, number[]> = { sdk: [], stream: [] };
      for (let round = 0; round < rounds; round++) {
        // Alternate which goes first, so a slow spell of the machine hits both.
        const order = round % 2 === 0 ? readers : [...readers].reverse();
        for (const r of order) perRound[r].push(await cpuPerPoll(r));
      }
      return { perRound, bytes: { securityGroups: dsg.length, networkInterfaces: dni.length } };
    } finally {
      client.destroy();
    }
  },
});
