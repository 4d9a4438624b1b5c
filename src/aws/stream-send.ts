// Sends one EC2 command through the SDK's own request path (credentials,
// signing, endpoints, retries with adaptive throttling, timeouts, and the
// SDK's own parsing of error responses) and reads a successful response's
// body itself, as it streams in, with a ResponseShape. The client's hook at
// the end of the deserialize step (cached-send.ts) hands it the raw body of a
// 2xx response before the SDK's deserialiser sees it, and it gives that
// deserialiser an empty body instead, whose parse costs nothing; error
// responses pass through untouched.
import type { EC2Client } from "@aws-sdk/client-ec2";
import { sendCached, type RawResponse, type SentCommand } from "./cached-send.js";
import type { ResponseShape } from "./response-shapes.js";
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

/**
 * Sends `command` with `client` and returns the page read by `shape`, each
 * item turned by `mapItem` as soon as it is read (index: its place in the
 * page). Throws what the SDK throws (service errors, timeouts, network
 * errors), XmlReadError when a successful response's body is not the
 * expected document, or what `mapItem` threw once the response is read.
 */
export async function sendReading<T>(client: EC2Client, command: SentCommand, shape: ResponseShape, signal?: AbortSignal, mapItem?: (item: unknown, index: number) => T): Promise<ReadPage<T>> {
  let read: { root: Record<string, unknown>; failed: { error: unknown } | null } | null = null;
  // Runs on every attempt the retry makes, before the SDK's deserialiser.
  const onResponse = async (response: RawResponse): Promise<void> => {
    const status = response.statusCode ?? 0;
    if (status < 200 || status >= 300) return;
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
    read = { root: await readBody(response.body, shape, status, map), failed };
    response.body = new Uint8Array(0);
  };
  await sendCached(client, command, signal, onResponse);
  const got = read as { root: Record<string, unknown>; failed: { error: unknown } | null } | null;
  if (got === null) throw new Error("internal: the SDK returned a response the stream reader never saw");
  if (got.failed) throw got.failed.error;
  const root = got.root;
  const token = root.NextToken;
  return { items: (root[shape.items] as T[] | undefined) ?? [], nextToken: typeof token === "string" ? token : undefined };
}
