// Sends one EC2 command through the SDK's own request path (credentials,
// signing, endpoints, retries with adaptive throttling, timeouts, and the
// SDK's own parsing of error responses) and reads a successful response's
// body itself, as it streams in, with a ResponseShape. The client's hook at
// the end of the deserialize step (cached-send.ts) hands it the raw body of a
// 2xx response before the SDK's deserialiser sees it, and it gives that
// deserialiser an empty body instead, whose parse costs nothing; error
// responses pass through untouched. A caller may also let a body that is the
// same bytes as one read before (less its request id) go unread, answering
// what that read gave (page-memo.ts).
import type { EC2Client } from "@aws-sdk/client-ec2";
import { sendCached, type RawResponse, type SentCommand } from "./cached-send.js";
import type { ResponseShape } from "./response-shapes.js";
import { bodyDigest, REUSE_LIMIT_BYTES, type BodyReuse } from "./page-memo.js";
import { XmlReadError, XmlShapeReader, type ItemMap } from "./xml-shape-reader.js";

/** One page as the reader read it. */
export interface ReadPage<T> {
  items: T[];
  nextToken: string | undefined;
}

/**
 * The raw body of a 2xx response, read into `shape`'s root; with `mapItem`,
 * each of the root's items is mapped as soon as it is read (XmlShapeReader).
 */
export async function readBody(body: unknown, shape: ResponseShape, status: number, mapItem?: ItemMap["map"]): Promise<Record<string, unknown>> {
  const reader = new XmlShapeReader(shape.root, shape.shape, mapItem ? { member: shape.items, map: mapItem } : undefined);
  const decoder = new TextDecoder("utf-8");
  try {
    if (typeof body === "string") reader.write(body);
    else if (body instanceof Uint8Array) reader.write(decoder.decode(body));
    else if (body !== null && typeof body === "object" && Symbol.asyncIterator in body) {
      for await (const chunk of body as AsyncIterable<Uint8Array | string>) reader.write(typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true }));
      reader.write(decoder.decode());
    } else throw new XmlReadError("the response has no readable body", status);
    return reader.end();
  } catch (err) {
    if (err instanceof XmlReadError && err.$metadata.httpStatusCode === undefined) throw new XmlReadError(err.message.replace(/^XML parse error: /, ""), status);
    throw err;
  }
}

/** A body held whole for its digest, or (too big, or not bytes) left to be read as it streams in. */
export async function holdBody(body: unknown, limit: number): Promise<{ bytes: Uint8Array } | { rest: unknown }> {
  if (body instanceof Uint8Array) return body.length <= limit ? { bytes: body } : { rest: body };
  if (body === null || typeof body !== "object" || !(Symbol.asyncIterator in body)) return { rest: body };
  const it = (body as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
  const held: (Uint8Array | string)[] = [];
  let size = 0;
  for (;;) {
    const r = await it.next();
    if (r.done) break;
    held.push(r.value);
    size += r.value.length;
    if (typeof r.value === "string" || size > limit) {
      // Read on as it comes: what is held first, then the rest.
      const rest = (async function* () {
        yield* held;
        for (let n = await it.next(); !n.done; n = await it.next()) yield n.value;
      })();
      return { rest };
    }
  }
  return { bytes: held.length === 1 ? (held[0] as Uint8Array) : Buffer.concat(held as Uint8Array[]) };
}

/**
 * Sends `command` with `client` and returns the page read by `shape`, each
 * item turned by `mapItem` as soon as it is read (index: its place in the
 * page). Throws what the SDK throws (service errors, timeouts, network
 * errors), XmlReadError when a successful response's body is not the
 * expected document, or what `mapItem` threw once the response is read.
 * With `reuse`, a body whose digest (page-memo.ts) `reuse` recalls is not
 * read at all, and what a read body gave is remembered under its digest.
 */
export async function sendReading<T>(
  client: EC2Client,
  command: SentCommand,
  shape: ResponseShape,
  signal?: AbortSignal,
  mapItem?: (item: unknown, index: number) => T,
  reuse?: BodyReuse<T>,
): Promise<ReadPage<T>> {
  let read: Read<T> | null = null;
  // Runs on every attempt the retry makes, before the SDK's deserialiser.
  const onResponse = async (response: RawResponse): Promise<void> => {
    const status = response.statusCode ?? 0;
    if (status < 200 || status >= 300) return;
    let body = response.body;
    let digest: string | null = null;
    // A body that says it is over the limit streams into the reader at once, as without reuse.
    const declared = Number(response.headers?.["content-length"] ?? Number.NaN);
    if (reuse && !(declared > REUSE_LIMIT_BYTES)) {
      const held = await holdBody(body, REUSE_LIMIT_BYTES);
      if ("bytes" in held) {
        digest = bodyDigest(held.bytes, shape.root);
        const page = digest === null ? null : reuse.recall(digest);
        response.body = new Uint8Array(0);
        if (page !== null) {
          read = { page, failed: null, digest: null };
          return;
        }
        body = held.bytes;
      } else body = held.rest;
    }
    // Per attempt: a retried response is read again from its first item.
    // What mapItem throws is kept out of the SDK's stack (whose retry
    // logic would see it) and thrown once the send is over.
    let failed: { error: unknown } | null = null;
    const map = mapItem && ((item: unknown, index: number): unknown => {
      if (failed) return null;
      try {
        return mapItem(item, index);
      } catch (error) {
        failed = { error };
        return null;
      }
    });
    const root = await readBody(body, shape, status, map);
    response.body = new Uint8Array(0);
    const token = root.NextToken;
    read = { page: { items: (root[shape.items] as T[] | undefined) ?? [], nextToken: typeof token === "string" ? token : undefined }, failed, digest };
  };
  await sendCached(client, command, signal, onResponse);
  const got = read as Read<T> | null;
  if (got === null) throw new Error("internal: the SDK returned a response the stream reader never saw");
  if (got.failed) throw got.failed.error;
  if (got.digest !== null) reuse?.remember(got.digest, got.page);
  return got.page;
}

/** What one attempt read: the page, what mapItem threw, and the body's digest when the page may be remembered. */
interface Read<T> {
  page: ReadPage<T>;
  failed: { error: unknown } | null;
  digest: string | null;
}
