// Fetches every page of DescribeSecurityGroups for one account × region, or
// throws. A poll counts only when every page arrived, so there is no partial
// result: a half-read account must never look like deleted groups.
import { type EC2Client, type SecurityGroup, paginateDescribeSecurityGroups } from "@aws-sdk/client-ec2";
import { CollectError } from "./poll-error.js";

/** Collection limits. */
export interface CollectOptions {
  /** Page size: the API maximum, 1000, means fewest calls. */
  pageSize?: number;
  /** A paginator that goes on longer than this is broken; stop and fail. */
  maxPages: number;
  /** Abort (shutdown). */
  signal?: AbortSignal;
  /** Called after each page (progress display). */
  onPage?: (pages: number, groups: number) => void;
  /**
   * Takes each page's groups; the raw page is then not kept (Collected.groups
   * stays empty), which lowers the peak memory of a poll. It runs while the
   * next page is on its way (see collectSecurityGroups), at most one page
   * behind; what it throws fails the collection.
   */
  sink?: (groups: SecurityGroup[]) => void;
}

/** Every group of the account × region. */
export interface Collected {
  groups: SecurityGroup[];
  pages: number;
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

export async function collectSecurityGroups(client: EC2Client, opts: CollectOptions): Promise<Collected> {
  const groups: SecurityGroup[] = [];
  const seenTokens = new Set<string>();
  let pages = 0;
  let count = 0;
  // The sink's work on page k overlaps the request for page k+1: the paginator
  // sends that request as soon as this loop body returns, and the sink runs
  // after it is on the wire, while EC2 prepares the answer. Awaiting the
  // previous page's sink before taking the next keeps one page in hand at most.
  let sinking: Promise<void> = Promise.resolve();
  let sinkFailed: { error: unknown } | null = null;
  const sink = opts.sink;
  const settle = async (): Promise<void> => {
    await sinking;
    if (sinkFailed) throw sinkFailed.error;
  };
  // The signal also goes to each call, so an abort ends a call in flight at once.
  const paginator = paginateDescribeSecurityGroups({ client, pageSize: opts.pageSize ?? 1000 }, {}, ...(opts.signal ? [{ abortSignal: opts.signal }] : []));
  try {
    for await (const page of paginator) {
      await settle();
      if (opts.signal?.aborted) throw new CollectError("Aborted", "poll aborted by shutdown");
      pages++;
      const got = page.SecurityGroups ?? [];
      count += got.length;
      // Caught here so a failing sink cannot become an unhandled rejection while the next page fails too.
      if (sink) sinking = afterIo(() => sink(got)).catch((error: unknown) => void (sinkFailed = { error }));
      else for (const g of got) groups.push(g);
      opts.onPage?.(pages, count);
      const token = page.NextToken;
      if (token) {
        // A token seen before means the API is looping; reading on would never end.
        if (seenTokens.has(token)) throw new CollectError("PaginationLoop", `DescribeSecurityGroups returned NextToken it had already returned (page ${pages}); the result is incomplete`);
        seenTokens.add(token);
        if (pages >= opts.maxPages) throw new CollectError("TooManyPages", `DescribeSecurityGroups returned more than ${opts.maxPages} pages (aws.maxPages); the result is incomplete`);
      }
    }
  } catch (err) {
    if (opts.signal?.aborted) throw new CollectError("Aborted", "poll aborted by shutdown");
    throw err;
  }
  await settle();
  return { groups, pages };
}
