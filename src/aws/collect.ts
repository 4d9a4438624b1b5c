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
   * Takes each page's groups as it arrives; the raw page is then not kept
   * (Collected.groups stays empty), which lowers the peak memory of a poll.
   */
  sink?: (groups: SecurityGroup[]) => void;
}

/** Every group of the account × region. */
export interface Collected {
  groups: SecurityGroup[];
  pages: number;
}

export async function collectSecurityGroups(client: EC2Client, opts: CollectOptions): Promise<Collected> {
  const groups: SecurityGroup[] = [];
  const seenTokens = new Set<string>();
  let pages = 0;
  let count = 0;
  const paginator = paginateDescribeSecurityGroups({ client, pageSize: opts.pageSize ?? 1000 }, {});
  for await (const page of paginator) {
    if (opts.signal?.aborted) throw new CollectError("Aborted", "poll aborted by shutdown");
    pages++;
    const got = page.SecurityGroups ?? [];
    count += got.length;
    if (opts.sink) opts.sink(got);
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
  return { groups, pages };
}
