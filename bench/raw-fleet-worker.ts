// One thread of the raw fleet fetch (raw-fetch-process.ts): the SDK paginator
// over its share of the targets, `concurrency` at a time, nothing kept (with
// `interfaces`, DescribeNetworkInterfaces too, alongside, as the daemon reads them). Its
// clients live as long as the thread, as the daemon keeps one per target, and
// share one keep-alive pool as the daemon's do (src/aws/shared-agents.ts), so
// the floor differs from the daemon in what is read, not in connections.
import { parentPort, workerData } from "node:worker_threads";
import { EC2Client, paginateDescribeNetworkInterfaces, paginateDescribeSecurityGroups } from "@aws-sdk/client-ec2";
import { sharedAgents } from "../src/aws/shared-agents.js";

export interface RawFleetTarget {
  region: string;
  accessKeyId: string;
}

interface Data {
  endpoint: string;
  targets: RawFleetTarget[];
  concurrency: number;
  /** Also read every target's network interfaces, alongside its groups, as the daemon does (aws.interfacesEvery). */
  interfaces: boolean;
}

const port = parentPort;
if (!port) throw new Error("raw-fleet-worker.js runs as a worker thread of raw-fetch-process.js");
const { endpoint, targets, concurrency, interfaces } = workerData as Data;
const { httpAgent, httpsAgent } = sharedAgents();
const clients = targets.map((t) => new EC2Client({ endpoint, region: t.region, credentials: { accessKeyId: t.accessKeyId, secretAccessKey: "bench" }, maxAttempts: 5, retryMode: "adaptive", requestHandler: { httpAgent, httpsAgent } }));

/** Every target once; returns the groups read. */
async function fetchAll(list: EC2Client[], limit: number): Promise<number> {
  let next = 0;
  let groups = 0;
  const lane = async (): Promise<void> => {
    while (next < list.length) {
      const client = list[next++] as EC2Client;
      const readGroups = async (): Promise<void> => {
        for await (const page of paginateDescribeSecurityGroups({ client, pageSize: 1000 }, {})) groups += page.SecurityGroups?.length ?? 0;
      };
      const readInterfaces = async (): Promise<void> => {
        for await (const page of paginateDescribeNetworkInterfaces({ client, pageSize: 1000 }, {})) void page;
      };
      await Promise.all(interfaces ? [readGroups(), readInterfaces()] : [readGroups()]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, list.length)) }, lane));
  return groups;
}

port.on("message", () => {
  void fetchAll(clients, concurrency).then(
    (groups) => port.postMessage({ ok: true, groups }),
    (err: unknown) => port.postMessage({ ok: false, error: String(err) }),
  );
});
