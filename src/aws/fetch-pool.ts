// A pool of fetch workers (aws.fetchThreads). Parsing DescribeSecurityGroups
// responses is most of a poll's CPU, and on one thread it caps a large fleet
// below what `concurrency` asks for; the workers parse in parallel, and the
// main thread keeps the database, the diff and the alerts.
//
// Each target sticks to one worker, which keeps its EC2 client between
// polls (connections, the adaptive retry's rate limiter). A worker that dies
// fails only the polls it had in hand, and is replaced at the next poll.
// The CloudTrail sweep's LookupEvents calls go to the workers too
// (lookupEvents): on a quiet fleet they are one SDK call a target and cycle,
// which on the main thread competed with the polls' results.
import { Worker } from "node:worker_threads";
import type { Attachment } from "../model/attachment.js";
import type { ReadGroup } from "../model/normalize.js";
import type { ResponseReader } from "./collect.js";
import type { LookupPageInput, LookupPageResult } from "../trail/collect.js";
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
  /** Who reads the response bodies (aws.reader). */
  reader: ResponseReader;
}

/** Every page of a target, read. */
export interface Fetched {
  pages: number;
  groups: ReadGroup[];
  /** Every interface's attachments, when asked for; null when not read. */
  attachments: Attachment[] | null;
}

export interface FetchPoolOptions {
  /** Worker threads. */
  size: number;
  /** The worker's entry (default: the compiled fetch-worker.js). */
  workerUrl?: URL;
  /** See FetchWorkerData.clientModule. */
  clientModule?: string;
  /** See FetchWorkerData.trailClientModule. */
  trailClientModule?: string;
}

/** One LookupEvents call as the pool is asked for it. */
export interface LookupRequest {
  clientKey: string;
  spec: PortableClientSpec;
  input: LookupPageInput;
}

/** The sweep reads a failed call's error code from its name, as the SDK's errors carry it. */
export class LookupError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

interface Pending {
  /** Takes the worker's final message for this request (never a "page"). */
  settle(m: Exclude<FromWorker, { type: "page" }>): void;
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
    const progress = opts.onPage !== undefined;
    return this.ask<Fetched>(
      req.clientKey,
      (id) => ({ type: "fetch", id, clientKey: req.clientKey, spec: req.spec, maxPages: req.maxPages, known: req.known, interfaces: req.interfaces ?? false, reader: req.reader, progress }),
      (m) => {
        if (m.type === "done") return { pages: m.pages, groups: m.groups, attachments: m.attachments };
        if (m.type === "failed") throw new CollectError(m.error.code, m.error.message);
        throw new Error(`internal: a fetch was answered with "${m.type}"`);
      },
      opts,
    );
  }

  /** One LookupEvents call, made by the worker that holds the account-region's CloudTrail client; throws its error by name. */
  lookupEvents(req: LookupRequest, signal?: AbortSignal): Promise<LookupPageResult> {
    if (this.closed) return Promise.reject(new LookupError("Aborted", "the fetch pool is closed (shutdown)"));
    if (signal?.aborted) return Promise.reject(new LookupError("Aborted", "sweep aborted by shutdown"));
    return this.ask<LookupPageResult>(
      req.clientKey,
      (id) => ({ type: "lookup", id, clientKey: req.clientKey, spec: req.spec, input: req.input }),
      (m) => {
        if (m.type === "lookup-done") return { events: m.events, ...(m.nextToken !== undefined ? { nextToken: m.nextToken } : {}) };
        if (m.type === "lookup-failed") throw new LookupError(m.name, m.message);
        throw new Error(`internal: a lookup was answered with "${m.type}"`);
      },
      signal ? { signal } : {},
    );
  }

  /** Sends a request to the worker that holds `clientKey`'s client; `answer` reads its final message. */
  private ask<T>(
    clientKey: string,
    message: (id: number) => ToWorker,
    answer: (m: Exclude<FromWorker, { type: "page" }>) => T,
    opts: { signal?: AbortSignal; onPage?: (pages: number, groups: number) => void },
  ): Promise<T> {
    const slot = this.slotFor(clientKey);
    const worker = this.worker(slot);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => worker.postMessage({ type: "abort", id } satisfies ToWorker);
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      const done = (): void => opts.signal?.removeEventListener("abort", onAbort);
      this.pending.set(id, {
        settle: (m) => {
          done();
          try {
            resolve(answer(m));
          } catch (err) {
            reject(err as Error);
          }
        },
        reject: (e) => (done(), reject(e)),
        ...(opts.onPage ? { onPage: opts.onPage } : {}),
        slot,
      });
      worker.postMessage(message(id));
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
    const data: FetchWorkerData = {
      ...(this.opts.clientModule ? { clientModule: this.opts.clientModule } : {}),
      ...(this.opts.trailClientModule ? { trailClientModule: this.opts.trailClientModule } : {}),
    };
    const w = new Worker(this.opts.workerUrl ?? defaultWorkerUrl(), { workerData: data });
    w.on("message", (m: FromWorker) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.type === "page") return p.onPage?.(m.pages, m.groups);
      this.pending.delete(m.id);
      p.settle(m);
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
