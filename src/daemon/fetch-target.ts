// Every page of one target's groups (and its interfaces when asked), read
// into the poll's normaliser: in a fetch worker when there are workers and
// the credentials can cross to one, else on this thread.
import { collectReadGroups } from "../aws/collect.js";
import { collectAttachments } from "../aws/collect-interfaces.js";
import type { ClientSpec } from "../aws/ec2-client.js";
import type { PortableClientSpec } from "../aws/fetch-protocol.js";
import type { EC2Client } from "@aws-sdk/client-ec2";
import { GroupPageMemo, InterfaceMemo } from "../aws/page-memo.js";
import type { Attachment } from "../model/attachment.js";
import type { Fingerprinted, GroupNormalizer } from "../model/normalize.js";
import type { CycleDeps } from "./cycle.js";
import { withAgents } from "./discover-regions.js";

/** One target's fetch. */
export interface TargetFetchRequest {
  /** The target's client key (account, region, role, endpoint). */
  key: string;
  spec: ClientSpec;
  /** Takes every group read; holds the last poll's fingerprints. */
  normalizer: GroupNormalizer;
  /** The last poll's fingerprints (the ones `normalizer` holds). */
  previous: ReadonlyMap<string, Fingerprinted>;
  /** The attachments cached as the target's current ones, with their digest. */
  knownAttachments: { digest: string; list: Attachment[] } | null;
  readInterfaces: boolean;
  onPage: ((pages: number, groups: number) => void) | undefined;
  signal: AbortSignal | undefined;
}

/** What one target's fetch gave. */
export interface TargetFetch {
  pages: number;
  /** The interfaces' attachments; null when not read. */
  attachments: Attachment[] | null;
  /** Their digest, when a fetch worker read them; else null. */
  attachmentsDigest: string | null;
  /** Pages answered from the same bytes' last read, unread (aws/page-memo.ts). */
  pagesReused: number;
}

/** What one target's pages read last time (aws/page-memo.ts), kept with its client. */
export interface TargetPageMemo {
  groups: GroupPageMemo;
  interfaces: InterfaceMemo;
}

/** Explicit credentials that are static keys can cross to a fetch worker; a provider function cannot. */
function isPortable(spec: ClientSpec): spec is PortableClientSpec {
  return typeof spec.credentials !== "function";
}

export async function fetchTarget(deps: CycleDeps, r: TargetFetchRequest): Promise<TargetFetch> {
  const { spec, signal } = r;
  const pool = deps.fetchPool;
  if (pool && isPortable(spec)) {
    const known = new Map<string, string>();
    for (const [id, f] of r.previous) known.set(id, f.fingerprint);
    const { config } = deps;
    const fetched = await pool.fetch(
      { clientKey: r.key, spec, maxPages: config.aws.maxPages, known, interfaces: r.readInterfaces, knownAttachments: r.readInterfaces ? r.knownAttachments : null, reader: config.aws.reader },
      { ...(signal ? { signal } : {}), ...(r.onPage ? { onPage: r.onPage } : {}) },
    );
    for (const g of fetched.groups) r.normalizer.addRead(g);
    return { pages: fetched.pages, attachments: fetched.attachments, attachmentsDigest: fetched.attachmentsDigest, pagesReused: fetched.reusedPages };
  }
  return fetchHere(deps, r);
}

/** Every page of a target fetched and read on this thread (and its interfaces when asked). */
async function fetchHere(deps: CycleDeps, r: TargetFetchRequest): Promise<TargetFetch> {
  const { key, signal, normalizer } = r;
  const cached = deps.clientCache?.get(key);
  const client = cached ?? deps.clientFactory(withAgents(r.spec, deps));
  if (!cached) deps.clientCache?.set(key, client);
  // Destroying the client ends requests in flight, so shutdown need not wait for them.
  const onAbort = (): void => {
    deps.clientCache?.delete(key);
    client.destroy();
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  // Pages are remembered with the client they were read by (a new client, a new memory), for the stream reader only.
  const memo = deps.config.aws.reader === "stream" && deps.pageMemos ? memoOf(deps.pageMemos, client) : null;
  const hitsBefore = memo ? memo.groups.hits + memo.interfaces.hits : 0;
  const known = (id: string): string | undefined => r.previous.get(id)?.fingerprint;
  try {
    // Interfaces are read alongside the groups (their requests overlap); either failing fails the poll.
    const [collected, read] = await Promise.all([
      // Each group is read (fingerprint, canonical form) as it arrives, so its raw form dies young (collectReadGroups).
      collectReadGroups(client, {
        reader: deps.config.aws.reader,
        maxPages: deps.config.aws.maxPages,
        ...(signal ? { signal } : {}),
        ...(r.onPage ? { onPage: r.onPage } : {}),
        read: (g, index) => normalizer.read(g, index),
        sink: (page) => {
          for (const g of page) normalizer.addRead(g);
        },
        ...(memo ? { reuse: (n: number) => memo.groups.forPage(n, known) } : {}),
      }),
      r.readInterfaces ? readInterfacesHere(deps, client, r, memo) : null,
    ]);
    memo?.groups.keep(collected.pages);
    const pagesReused = memo ? memo.groups.hits + memo.interfaces.hits - hitsBefore : 0;
    return { pages: collected.pages, attachments: read?.list ?? null, attachmentsDigest: read?.digest ?? null, pagesReused };
  } finally {
    signal?.removeEventListener("abort", onAbort);
    if (!deps.clientCache) client.destroy();
  }
}

function memoOf(memos: WeakMap<EC2Client, TargetPageMemo>, client: EC2Client): TargetPageMemo {
  let memo = memos.get(client);
  if (memo === undefined) {
    memo = { groups: new GroupPageMemo(), interfaces: new InterfaceMemo() };
    memos.set(client, memo);
  }
  return memo;
}

/**
 * Every page of the target's interfaces, read into attachments with their
 * digest; when the digest is the cached one, the cached list itself comes
 * back (recording then takes it as nothing moved, as for a fetch worker's).
 */
async function readInterfacesHere(deps: CycleDeps, client: EC2Client, r: TargetFetchRequest, memo: TargetPageMemo | null): Promise<{ list: Attachment[]; digest: string }> {
  const held = r.knownAttachments;
  const opts = { reader: deps.config.aws.reader, maxPages: deps.config.aws.maxPages, ...(r.signal ? { signal: r.signal } : {}) };
  const read = await collectAttachments(client, opts, memo?.interfaces ?? null, held?.digest ?? null);
  return read.list === null ? (held as { list: Attachment[]; digest: string }) : { list: read.list, digest: read.digest };
}
