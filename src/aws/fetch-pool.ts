// A pool of fetch workers (aws.fetchThreads). Parsing DescribeSecurityGroups
// responses is most of a poll's CPU, and on one thread it caps a large fleet
// below what `concurrency` asks for; the workers parse in parallel, and the
// main thread keeps the database, the diff and the alerts.
//
// Each target sticks to one worker, which keeps its EC2 client between
// polls (connections, the adaptive retry's rate limiter). A worker that dies
// fails only the polls it had in hand, and is replaced at the next poll.
import { Worker } from "node:worker_threads";
import type { Attachment } from "../model/attachment.js";
import type { ReadGroup } from "../model/normalize.js";
import type { ResponseReader } from "./collect.js";
import { CollectError } from "./poll-error.js";
import type { FetchWorkerData, FromWorker, PortableClientSpec, ToWorker } from "./fetch-protocol.js";

/** One fetch as the pool is asked for it. */
export interface FetchRequest {
  clientKey: string;
  spec: PortableClientSpec;
  maxPages: number;
  /** Fingerprints whose canonical states the caller holds, by group id. */
  known: Map<string, string>;
  /** Also read the network interfaces (blast radius). */
  interfaces?: boolean;
  /**
   * The attachments the caller holds as the target's current ones, with their
   * digest: when the worker reads the same, this very list comes back
   * (Fetched.attachments === knownAttachments.list) and only the digest crossed.
   */
  knownAttachments?: { digest: string; list: Attachment[] } | null;
  /** Who reads the response bodies (aws.reader). */
  reader: ResponseReader;
}

/** Every page of a target, read. */
export interface Fetched {
  pages: number;
  groups: ReadGroup[];
  /** Every interface's attachments, when asked for; null when not read. */
  attachments: Attachment[] | null;
  /** Their digest (attachmentsDigest); null when not read. */
  attachmentsDigest: string | null;
  /** Pages answered from what the same bytes read last time, unread (page-memo.ts). */
  reusedPages: number;
}

export interface FetchPoolOptions {
  /** Worker threads. */
  size: number;
  /** The worker's entry (default: the compiled fetch-worker.js). */
  workerUrl?: URL;
  /** See FetchWorkerData.clientModule. */
  clientModule?: string;
}

interface Pending {
  /** What the message's compact parts stand for: the request's known fingerprints and attachments. */
  req: FetchRequest;
  resolve(f: Fetched): void;
  reject(e: Error): void;
  onPage?: (pages: number, groups: number) => void;
  slot: number;
}

/**
 * The compiled worker next to this file. Under vitest this file is TypeScript,
 * which a worker thread cannot load; `npm test` builds dist/ first.
 */
export function defaultWorkerUrl(): URL {
  return import.meta.url.endsWith(".ts") ? new URL("../../dist/src/aws/fetch-worker.js", import.meta.url) : new URL("./fetch-worker.js", import.meta.url);
}

/** A worker's compact answer as the caller reads it: ids back to ReadGroups, a matching digest back to the caller's own list. */
function expand(m: Extract<FromWorker, { type: "done" }>, req: FetchRequest): Fetched {
  const groups = m.groups.map((g): ReadGroup => (typeof g === "string" ? { groupId: g, fingerprint: req.known.get(g) as string, state: null } : g));
  const a = m.attachments;
  // A null list means the digest is the one the caller sent (the worker checked): the caller's list is what was read.
  const known = req.knownAttachments;
  if (a !== null && a.list === null && known?.digest !== a.digest) throw new Error("internal: the fetch worker sent no attachments for a digest the caller does not hold");
  const attachments = a === null ? null : (a.list ?? (known as { list: Attachment[] }).list);
  return { pages: m.pages, groups, attachments, attachmentsDigest: a?.digest ?? null, reusedPages: m.reusedPages };
}

export class FetchPool {
  private readonly workers: (Worker | null)[];
  private readonly pending = new Map<number, Pending>();
  /** Which worker each target's client lives in. */
  private readonly slotOf = new Map<string, number>();
  private readonly load: number[];
  private nextId = 1;
  private closed = false;

  constructor(private readonly opts: FetchPoolOptions) {
    if (!Number.isInteger(opts.size) || opts.size < 1) throw new Error(`fetch pool size must be a whole number >= 1, got ${opts.size}`);
    this.workers = new Array<Worker | null>(opts.size).fill(null);
    this.load = new Array<number>(opts.size).fill(0);
  }

  fetch(req: FetchRequest, opts: { signal?: AbortSignal; onPage?: (pages: number, groups: number) => void } = {}): Promise<Fetched> {
    if (this.closed) return Promise.reject(new CollectError("Aborted", "the fetch pool is closed (shutdown)"));
    if (opts.signal?.aborted) return Promise.reject(new CollectError("Aborted", "poll aborted by shutdown"));
    const slot = this.slotFor(req.clientKey);
    const worker = this.worker(slot);
    const id = this.nextId++;
    return new Promise<Fetched>((resolve, reject) => {
      const onAbort = (): void => worker.postMessage({ type: "abort", id } satisfies ToWorker);
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      const done = (): void => opts.signal?.removeEventListener("abort", onAbort);
      this.pending.set(id, {
        req,
        resolve: (f) => (done(), resolve(f)),
        reject: (e) => (done(), reject(e)),
        ...(opts.onPage ? { onPage: opts.onPage } : {}),
        slot,
      });
      const progress = opts.onPage !== undefined;
      const knownAttachments = req.knownAttachments?.digest ?? null;
      worker.postMessage({ type: "fetch", id, clientKey: req.clientKey, spec: req.spec, maxPages: req.maxPages, known: req.known, interfaces: req.interfaces ?? false, knownAttachments, reader: req.reader, progress } satisfies ToWorker);
    });
  }

  /** Stop every worker; fetches in flight fail as aborted. */
  async close(): Promise<void> {
    this.closed = true;
    const running = this.workers.filter((w): w is Worker => w !== null);
    this.workers.fill(null);
    this.failPending(() => true, new CollectError("Aborted", "the fetch pool closed (shutdown)"));
    await Promise.all(running.map((w) => w.terminate()));
  }

  /** Sticky: a target's first fetch goes to the worker with the fewest targets. */
  private slotFor(clientKey: string): number {
    let slot = this.slotOf.get(clientKey);
    if (slot === undefined) {
      slot = this.load.indexOf(Math.min(...this.load));
      this.slotOf.set(clientKey, slot);
      this.load[slot] = (this.load[slot] as number) + 1;
    }
    return slot;
  }

  private worker(slot: number): Worker {
    const existing = this.workers[slot];
    if (existing) return existing;
    const data: FetchWorkerData = this.opts.clientModule ? { clientModule: this.opts.clientModule } : {};
    const w = new Worker(this.opts.workerUrl ?? defaultWorkerUrl(), { workerData: data });
    w.on("message", (m: FromWorker) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.type === "page") return p.onPage?.(m.pages, m.groups);
      this.pending.delete(m.id);
      if (m.type === "done") {
        try {
          p.resolve(expand(m, p.req));
        } catch (err) {
          p.reject(err as Error);
        }
      }
      else p.reject(new CollectError(m.error.code, m.error.message));
    });
    const lost = (why: string): void => {
      if (this.workers[slot] !== w) return;
      this.workers[slot] = null;
      this.failPending((p) => p.slot === slot, new CollectError("FetchWorkerFailed", `the fetch worker stopped (${why}); the poll is retried at the next cycle`));
    };
    w.on("error", (err) => lost(err.message));
    w.on("exit", (code) => lost(`exit code ${code}`));
    this.workers[slot] = w;
    return w;
  }

  private failPending(which: (p: Pending) => boolean, error: CollectError): void {
    for (const [id, p] of this.pending) {
      if (!which(p)) continue;
      this.pending.delete(id);
      p.reject(error);
    }
  }
}
