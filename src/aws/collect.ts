// Fetches every page of DescribeSecurityGroups for one account × region, or
// throws. A poll counts only when every page arrived, so there is no partial
// result: a half-read account must never look like deleted groups.
//
// Two readers of the same responses (aws.reader): "stream", sgwatch's own
// streaming reader (stream-send.ts: the SDK sends, signs, retries and parses
// errors; sgwatch reads a successful body), and "sdk", the SDK's own
// deserialiser. Both give the raw groups in the SDK's shape, the stream
// reader with only the members normalize.ts reads.
import { DescribeSecurityGroupsCommand, type DescribeSecurityGroupsCommandOutput, type EC2Client, type SecurityGroup } from "@aws-sdk/client-ec2";
import { sendCached } from "./cached-send.js";
import { everyPage, type PageFetcher } from "./every-page.js";
import type { BodyReuse } from "./page-memo.js";
import { DESCRIBE_SECURITY_GROUPS } from "./response-shapes.js";
import { sendReading } from "./stream-send.js";

/** Who reads a successful response body: sgwatch's streaming reader, or the SDK's deserialiser. */
export type ResponseReader = "stream" | "sdk";

/** Collection limits. */
export interface CollectOptions {
  /** Which reader parses the responses (aws.reader). */
  reader: ResponseReader;
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
   * next page is on its way (see every-page.ts), at most one page behind;
   * what it throws fails the collection.
   */
  sink?: (groups: SecurityGroup[]) => void;
}

/** Reads one raw group into what the caller keeps; `index` is its place in the whole read (for messages). */
export type GroupReader<T> = (group: SecurityGroup, index: number) => T;

/** Every group of the account × region. */
export interface Collected {
  groups: SecurityGroup[];
  pages: number;
}

/** One page of DescribeSecurityGroups through `reader`. */
export function securityGroupPages(client: EC2Client, reader: ResponseReader, pageSize: number, signal?: AbortSignal): PageFetcher<SecurityGroup> {
  // The signal also goes to each call, so an abort ends a call in flight at once.
  return async (token) => {
    const command = new DescribeSecurityGroupsCommand({ MaxResults: pageSize, ...(token ? { NextToken: token } : {}) });
    if (reader === "stream") return sendReading<SecurityGroup>(client, command, DESCRIBE_SECURITY_GROUPS, signal);
    const out = await sendCached<DescribeSecurityGroupsCommandOutput>(client, command, signal);
    return { items: out.SecurityGroups ?? [], nextToken: out.NextToken };
  };
}

/**
 * Pages of DescribeSecurityGroups read by the stream reader with each group
 * through `read` as soon as its element closes. Pages come one after another,
 * so the groups of earlier pages are counted when the next is asked for.
 */
function streamReadPages<T>(client: EC2Client, pageSize: number, read: GroupReader<T>, signal?: AbortSignal, reuse?: (page: number) => BodyReuse<T>): PageFetcher<T> {
  let before = 0;
  let n = 0;
  return async (token) => {
    const command = new DescribeSecurityGroupsCommand({ MaxResults: pageSize, ...(token ? { NextToken: token } : {}) });
    const first = before;
    const page = await sendReading<T>(client, command, DESCRIBE_SECURITY_GROUPS, signal, (g, i) => read(g as SecurityGroup, first + i), reuse?.(n++));
    before += page.items.length;
    return page;
  };
}

/**
 * Every group of the account × region through `read`, handed to `sink` page
 * by page (at most one page behind, overlapping the next request: every-page.ts).
 * What `read` or `sink` throws fails the collection.
 *
 * Where `read` runs is the point. The stream reader reads each group as soon
 * as its element closes, so a raw group is garbage while still young instead
 * of living until its page is complete: a page of 1,000 groups is read over
 * dozens of young-generation collections, which promoted every raw page to
 * the old generation, to die there (the daemon's peak RSS; docs/performance.md,
 * "What moved the peak"). The SDK's deserialiser builds the whole page
 * first; its groups are read in the sink, where that work overlaps the next
 * request as before.
 */
export async function collectReadGroups<T>(
  client: EC2Client,
  opts: Omit<CollectOptions, "sink"> & {
    read: GroupReader<T>;
    sink: (items: T[]) => void;
    /** The stream reader only: reuse of what page n (0 the first) read last time, when its body is the same (page-memo.ts). */
    reuse?: (page: number) => BodyReuse<T>;
  },
): Promise<{ pages: number }> {
  const pageSize = opts.pageSize ?? 1000;
  const { read, sink } = opts;
  const limits = { api: "DescribeSecurityGroups", maxPages: opts.maxPages, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.onPage ? { onPage: opts.onPage } : {}) };
  if (opts.reader === "stream") return everyPage(streamReadPages(client, pageSize, read, opts.signal, opts.reuse), { ...limits, sink });
  let next = 0;
  return everyPage(securityGroupPages(client, "sdk", pageSize, opts.signal), { ...limits, sink: (page) => sink(page.map((g) => read(g, next++))) });
}

export async function collectSecurityGroups(client: EC2Client, opts: CollectOptions): Promise<Collected> {
  const groups: SecurityGroup[] = [];
  const { pages } = await everyPage(securityGroupPages(client, opts.reader, opts.pageSize ?? 1000, opts.signal), {
    api: "DescribeSecurityGroups",
    maxPages: opts.maxPages,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onPage ? { onPage: opts.onPage } : {}),
    sink: opts.sink ?? ((got) => void groups.push(...got)),
  });
  return { groups, pages };
}
