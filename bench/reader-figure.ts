// One-off figure (issue 14, the reader): CPU per target-poll of what a fetch
// does with a response, aws.reader stream against sdk, in one process,
// alternating, with nothing else on the path: the bodies of one fleet
// target's pages (20 groups / 100 rules, 20 network interfaces) are captured
// from the simulator once, then served by a request handler that answers from
// memory. So each poll is the SDK's whole request path (serialise, endpoint,
// sign, retry middleware, deserialise or hand the body to the stream reader)
// plus fingerprinting (readGroups, every group unchanged, as at a quiet poll)
// and readAttachments: network and simulator time are out, which a loaded
// shared machine would otherwise add to both sides unevenly.
// Not part of `npm run bench`; run after `npm run build`:
//   node dist/bench/reader-figure.js [--groups 20] [--rules 100] [--polls 400] [--rounds 7] [--profile stream|sdk]
import { Readable } from "node:stream";
import { parseArgs } from "node:util";
import { EC2Client } from "@aws-sdk/client-ec2";
import { collectSecurityGroups, type ResponseReader } from "../src/aws/collect.js";
import { collectNetworkInterfaces } from "../src/aws/collect-interfaces.js";
import { readAttachments } from "../src/model/attachment.js";
import { readGroups } from "../src/model/normalize.js";
import { startSimulator } from "../src/sim/server.js";
import { SimState } from "../src/sim/state.js";
import { generateAccount } from "../src/sim/generate.js";
import { createInterface } from "../src/sim/network-interfaces.js";
import { median } from "./stats.js";

const { values } = parseArgs({ options: { groups: { type: "string" }, rules: { type: "string" }, polls: { type: "string" }, rounds: { type: "string" }, profile: { type: "string" } } });
// --profile stream|sdk: run only that reader (under node --cpu-prof, a profile of one path).
const only = values.profile as ResponseReader | undefined;
const groups = Number(values.groups ?? 20);
const rules = Number(values.rules ?? 100);
const polls = Number(values.polls ?? 400);
const rounds = Number(values.rounds ?? 7);
const ACCOUNT = "123456789012";
const REGION = "us-east-1";
const KEY = { accessKeyId: "AKIABENCHREADER00001", secretAccessKey: "bench" };

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

/** Bodies by action, captured from the simulator. */
async function capture(): Promise<Map<string, Buffer>> {
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
  await collectSecurityGroups(client, { reader: "sdk", maxPages: 10 });
  await collectNetworkInterfaces(client, { reader: "sdk", maxPages: 10 });
  client.destroy();
  await sim.close();
  return bodies;
}

const bodies = await capture();
const dsg = bodies.get("DescribeSecurityGroupsCommand") as Buffer;
const dni = bodies.get("DescribeNetworkInterfacesCommand") as Buffer;
const client = new EC2Client({
  region: REGION,
  endpoint: "http://127.0.0.1:9",
  credentials: KEY,
  maxAttempts: 1,
  // Answers from memory: the body of whichever action was asked.
  requestHandler: {
    handle: async (req: { body?: unknown }) => {
      const body = String(req.body ?? "").includes("Action=DescribeNetworkInterfaces") ? dni : dsg;
      return { response: { statusCode: 200, reason: "OK", headers: { "content-type": "text/xml;charset=UTF-8" }, body: Readable.from([body]) } };
    },
  } as never,
});

/** Known fingerprints per reader: every group unchanged, as at a quiet poll. */
const known = new Map<ResponseReader, Map<string, string>>();

async function poll(reader: ResponseReader): Promise<void> {
  const k = known.get(reader) ?? new Map<string, string>();
  const seen = new Map<string, string>();
  await collectSecurityGroups(client, { reader, maxPages: 10, sink: (page) => { for (const g of readGroups(page, (id) => k.get(id) ?? "", 0)) seen.set(g.groupId, g.fingerprint); } });
  const ifaces = await collectNetworkInterfaces(client, { reader, maxPages: 10 });
  readAttachments(ifaces.interfaces);
  known.set(reader, seen);
}

async function cpuPerPoll(reader: ResponseReader): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < polls; i++) await poll(reader);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000 / polls;
}

for (const r of ["sdk", "stream"] as const) if (only === undefined || r === only) for (let i = 0; i < 50; i++) await poll(r);
const figures: Record<ResponseReader, number[]> = { sdk: [], stream: [] };
for (let round = 0; round < rounds; round++) {
  // Alternate which goes first, so a slow spell of the machine hits both.
  const order: ResponseReader[] = round % 2 === 0 ? ["sdk", "stream"] : ["stream", "sdk"];
  for (const r of order) if (only === undefined || r === only) figures[r].push(await cpuPerPoll(r));
}
const sdk = median(figures.sdk);
const stream = median(figures.stream);
process.stdout.write(
  `bodies: DescribeSecurityGroups ${dsg.length} B (${groups} groups, ${rules} rules), DescribeNetworkInterfaces ${dni.length} B\n` +
    `CPU per target-poll (2 calls, fingerprints, attachments; median of ${rounds} rounds of ${polls}): sdk ${sdk.toFixed(3)} ms, stream ${stream.toFixed(3)} ms, stream/sdk ${(stream / sdk).toFixed(2)}×\n` +
    `rounds: sdk ${figures.sdk.map((x) => x.toFixed(3)).join(" ")}; stream ${figures.stream.map((x) => x.toFixed(3)).join(" ")}\n`,
);
client.destroy();
