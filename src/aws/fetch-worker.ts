// A fetch worker: DescribeSecurityGroups for the targets the pool gives it,
// parsed (by sgwatch's streaming reader or the SDK, as aws.reader says) and
// read by readGroups on this thread, so one core is no
// longer the limit on how many targets a cycle can parse. Only the result
// crosses back: the canonical form of new or changed groups, the id alone for
// the rest, and the interfaces' attachments only when they differ from those
// the main thread holds (their digest always). The database stays on the
// main thread.
import { parentPort, workerData } from "node:worker_threads";
import type { EC2Client } from "@aws-sdk/client-ec2";
import { collectReadGroups } from "./collect.js";
import { collectAttachments } from "./collect-interfaces.js";
import { createEc2Client, type Ec2ClientFactory } from "./ec2-client.js";
import { sharedAgents } from "./shared-agents.js";
import { classifyPollError } from "./poll-error.js";
import { readGroup, type ReadGroup } from "../model/normalize.js";
import type { FetchWorkerData, FromWorker, ToWorker } from "./fetch-protocol.js";
import { GroupPageMemo, InterfaceMemo } from "./page-memo.js";

const port = parentPort;
if (!port) throw new Error("fetch-worker.js runs as a worker thread of the fetch pool");
const data = (workerData ?? {}) as FetchWorkerData;
const factory: Ec2ClientFactory = data.clientModule ? ((await import(data.clientModule)) as { createEc2Client: Ec2ClientFactory }).createEc2Client : createEc2Client;

const clients = new Map<string, EC2Client>();
// What each target's pages read last time, so a page that comes back the same is not read again (page-memo.ts).
const memos = new Map<string, { groups: GroupPageMemo; interfaces: InterfaceMemo }>();
const agents = sharedAgents();
const running = new Map<number, { clientKey: string; abort: AbortController }>();

function send(m: FromWorker): void {
  port?.postMessage(m);
}

async function fetch(m: Extract<ToWorker, { type: "fetch" }>): Promise<void> {
  const abort = new AbortController();
  running.set(m.id, { clientKey: m.clientKey, abort });
  try {
    let client = clients.get(m.clientKey);
    if (!client) {
      // The worker's clients share one connection pool, as the main thread's do.
      client = factory({ ...m.spec, agents });
      clients.set(m.clientKey, client);
    }
    let memo = memos.get(m.clientKey);
    if (!memo) {
      memo = { groups: new GroupPageMemo(), interfaces: new InterfaceMemo() };
      memos.set(m.clientKey, memo);
    }
    const hitsBefore = memo.groups.hits + memo.interfaces.hits;
    const known = m.known;
    // Unchanged groups cross as their ids: structured clone of an object per group was most of the message.
    const groups: (ReadGroup | string)[] = [];
    // Interfaces are read alongside the groups, on the same client (their requests overlap); either failing fails the poll.
    const reading = m.interfaces ? collectAttachments(client, { reader: m.reader, maxPages: m.maxPages, signal: abort.signal }, memo.interfaces, m.knownAttachments) : null;
    // Handled below by the await; this keeps a failure while the groups are still read from being "unhandled".
    reading?.catch(() => undefined);
    const isKnown = (id: string): string | undefined => known.get(id);
    const groupPages = memo.groups;
    // Each group is read as it arrives, so its raw form dies young (collectReadGroups).
    const collected = await collectReadGroups(client, {
      reader: m.reader,
      maxPages: m.maxPages,
      signal: abort.signal,
      ...(m.progress ? { onPage: (pages: number, count: number) => send({ type: "page", id: m.id, pages, groups: count }) } : {}),
      read: (g, index) => readGroup(g, isKnown, index),
      reuse: (n) => groupPages.forPage(n, isKnown),
      sink: (page) => {
        for (const g of page) groups.push(g.state === null ? g.groupId : g);
      },
    });
    groupPages.keep(collected.pages);
    const attachments = reading ? await reading : null;
    send({ type: "done", id: m.id, pages: collected.pages, groups, attachments, reusedPages: memo.groups.hits + memo.interfaces.hits - hitsBefore });
  } catch (err) {
    send({ type: "failed", id: m.id, error: classifyPollError(err) });
  } finally {
    running.delete(m.id);
  }
}

port.on("message", (m: ToWorker) => {
  if (m.type === "fetch") void fetch(m);
  else {
    const r = running.get(m.id);
    if (!r) return;
    r.abort.abort();
    // Destroying the client ends its requests in flight, as on the main thread.
    clients.get(r.clientKey)?.destroy();
    clients.delete(r.clientKey);
    memos.delete(r.clientKey);
  }
});
