// Fetches every page of DescribeNetworkInterfaces for one account × region,
// or throws: the same rule as security groups (collect.ts). A half-read list
// of interfaces would make exposed groups look attached to nothing, which
// lowers severities, so a partial read fails the poll.
import { type EC2Client, type NetworkInterface, paginateDescribeNetworkInterfaces } from "@aws-sdk/client-ec2";
import { CollectError } from "./poll-error.js";

/** Limits of one read. */
export interface InterfaceCollectOptions {
  /** A paginator that goes on longer than this is broken; stop and fail. */
  maxPages: number;
  /** Page size (the API allows 5..1000). */
  pageSize?: number;
  /** Abort (shutdown). */
  signal?: AbortSignal;
}

/** Every network interface of the account × region. */
export interface CollectedInterfaces {
  /** The raw interfaces. */
  interfaces: NetworkInterface[];
  /** Pages read. */
  pages: number;
}

export async function collectNetworkInterfaces(client: EC2Client, opts: InterfaceCollectOptions): Promise<CollectedInterfaces> {
  const interfaces: NetworkInterface[] = [];
  const seenTokens = new Set<string>();
  let pages = 0;
  const paginator = paginateDescribeNetworkInterfaces({ client, pageSize: opts.pageSize ?? 1000 }, {}, ...(opts.signal ? [{ abortSignal: opts.signal }] : []));
  try {
    for await (const page of paginator) {
      if (opts.signal?.aborted) throw new CollectError("Aborted", "poll aborted by shutdown");
      pages++;
      for (const ni of page.NetworkInterfaces ?? []) interfaces.push(ni);
      const token = page.NextToken;
      if (token) {
        if (seenTokens.has(token)) throw new CollectError("PaginationLoop", `DescribeNetworkInterfaces returned NextToken it had already returned (page ${pages}); the result is incomplete`);
        seenTokens.add(token);
        if (pages >= opts.maxPages) throw new CollectError("TooManyPages", `DescribeNetworkInterfaces returned more than ${opts.maxPages} pages (aws.maxPages); the result is incomplete`);
      }
    }
  } catch (err) {
    if (opts.signal?.aborted) throw new CollectError("Aborted", "poll aborted by shutdown");
    // The generic hint names ec2:DescribeSecurityGroups; this call needs its own permission.
    const name = (err as { name?: unknown } | null)?.name;
    if (name === "UnauthorizedOperation") {
      throw new CollectError("UnauthorizedOperation", "the credentials lack permission ec2:DescribeNetworkInterfaces (UnauthorizedOperation); grant it, or set aws.interfacesEvery: 0 to poll without blast radius");
    }
    throw err;
  }
  return { interfaces, pages };
}
