// Every page of a paginated EC2 Describe call, or a throw: the one rule both
// collectors follow (DescribeSecurityGroups, DescribeNetworkInterfaces). A
// poll counts only when every page arrived, so there is no partial result; a
// token seen before means the API is looping; more than aws.maxPages pages
// means a broken paginator. Both fail the poll rather than read on.
import { CollectError } from "./poll-error.js";
import type { ReadPage } from "./stream-send.js";

/** Fetches the page after `token` (the first page for undefined). */
export type PageFetcher<T> = (token: string | undefined) => Promise<ReadPage<T>>;

/** Limits and hooks of one read. */
export interface EveryPageOptions<T> {
  /** The API's name, for messages. */
  api: string;
  /** More pages than this: stop and fail. */
  maxPages: number;
  /** Abort (shutdown). */
  signal?: AbortSignal;
  /** Called after each page (progress display). */
  onPage?: (pages: number, items: number) => void;
  /**
   * Takes each page's items. It runs while the next page is on its way, at
   * most one page behind; what it throws fails the read.
   */
  sink: (items: T[]) => void;
}

/** Runs `fn` after pending I/O callbacks, as a promise. */
function afterIo(fn: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    setImmediate(() => {
      try {
        fn();
        resolve();
      } catch (err) {
        reject(err);
      }
    });
  });
}

/** Pages one after another: the next request is sent when the consumer asks for the next page. */
async function* pagesOf<T>(fetch: PageFetcher<T>): AsyncGenerator<ReadPage<T>> {
  let token: string | undefined;
  do {
    const page = await fetch(token);
    yield page;
    token = page.nextToken;
  } while (token);
}

/** Reads every page; returns how many pages and items. */
export async function everyPage<T>(fetch: PageFetcher<T>, opts: EveryPageOptions<T>): Promise<{ pages: number; items: number }> {
  const seenTokens = new Set<string>();
  let pages = 0;
  let count = 0;
  // The sink's work on page k overlaps the request for page k+1: that request
  // is sent as soon as this loop body returns, and the sink runs after it is
  // on the wire, while EC2 prepares the answer. Awaiting the previous page's
  // sink before taking the next keeps one page in hand at most.
  let sinking: Promise<void> = Promise.resolve();
  let sinkFailed: { error: unknown } | null = null;
  const sink = opts.sink;
  const settle = async (): Promise<void> => {
    await sinking;
    if (sinkFailed) throw sinkFailed.error;
  };
  try {
    for await (const page of pagesOf(fetch)) {
      await settle();
      if (opts.signal?.aborted) throw new CollectError("Aborted", "poll aborted by shutdown");
      pages++;
      const got = page.items;
      count += got.length;
      // Caught here so a failing sink cannot become an unhandled rejection while the next page fails too.
      sinking = afterIo(() => sink(got)).catch((error: unknown) => void (sinkFailed = { error }));
      opts.onPage?.(pages, count);
      const token = page.nextToken;
      if (token) {
        if (seenTokens.has(token)) throw new CollectError("PaginationLoop", `${opts.api} returned NextToken it had already returned (page ${pages}); the result is incomplete`);
        seenTokens.add(token);
        if (pages >= opts.maxPages) throw new CollectError("TooManyPages", `${opts.api} returned more than ${opts.maxPages} pages (aws.maxPages); the result is incomplete`);
      }
    }
  } catch (err) {
    if (opts.signal?.aborted) throw new CollectError("Aborted", "poll aborted by shutdown");
    throw err;
  }
  await settle();
  return { pages, items: count };
}
