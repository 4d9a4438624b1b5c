// NextToken handling. Tokens are opaque to clients but carry the page number
// (so faults can target "page K"), a cursor (the last id returned, so a
// deletion between pages neither skips nor repeats items), and a fingerprint
// of the query (a token is only valid for the query that produced it).

import { createHash } from "node:crypto";
import { errors } from "./errors.js";
import type { QueryParams } from "./query-params.js";

const PREFIX = "sgwsim1.";

/** What a token encodes. */
export interface PageToken {
  /** 1-based number of the page this token fetches. */
  page: number;
  /** Items with ids greater than this come next; null to start over. */
  after: string | null;
  /** Fingerprint of the query it belongs to. */
  query: string;
}

/** Fingerprint of every parameter except the paging ones. */
export function queryFingerprint(params: QueryParams): string {
  const parts = params
    .entries()
    .filter(([k]) => k !== "NextToken" && k !== "MaxResults" && k !== "Version")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`);
  return createHash("sha256").update(parts.join("&")).digest("hex").slice(0, 16);
}

export function encodeToken(t: PageToken): string {
  return PREFIX + Buffer.from(JSON.stringify([t.page, t.after, t.query])).toString("base64url");
}

/** Decodes a token, or undefined when it is not one of ours. */
export function tryDecodeToken(token: string): PageToken | undefined {
  if (!token.startsWith(PREFIX)) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(token.slice(PREFIX.length), "base64url").toString("utf8"));
    if (!Array.isArray(v) || v.length !== 3) return undefined;
    const [page, after, query] = v as unknown[];
    if (typeof page !== "number" || !Number.isInteger(page) || page < 2) return undefined;
    if (after !== null && typeof after !== "string") return undefined;
    if (typeof query !== "string") return undefined;
    return { page, after, query };
  } catch {
    return undefined;
  }
}

/** The page a request asks for: 1 without a token, the token's page otherwise (1 if unreadable). */
export function requestedPage(params: QueryParams): number {
  const t = params.get("NextToken");
  if (t === undefined || t === "") return 1;
  return tryDecodeToken(t)?.page ?? 1;
}

/** MaxResults validated to AWS's 5..1000, or undefined when absent (return everything). */
export function maxResults(params: QueryParams): number | undefined {
  const n = params.int("MaxResults");
  if (n === undefined) return undefined;
  if (n < 5 || n > 1000) {
    throw errors.invalidParameterValue(`Value ( ${n} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`);
  }
  return n;
}

/** One page of `items` (sorted by `idOf`), and the token for the next, if any. */
export function paginate<T>(
  items: readonly T[],
  idOf: (item: T) => string,
  params: QueryParams,
  opts: { repeatToken?: boolean } = {},
): { page: T[]; nextToken: string | undefined } {
  const query = queryFingerprint(params);
  const limit = maxResults(params);
  const raw = params.get("NextToken");
  let after: string | null = null;
  let pageNo = 1;
  if (raw !== undefined && raw !== "") {
    const t = tryDecodeToken(raw);
    if (t === undefined || t.query !== query) throw errors.paginationToken();
    after = t.after;
    pageNo = t.page;
  }
  const sorted = [...items].sort((a, b) => (idOf(a) < idOf(b) ? -1 : idOf(a) > idOf(b) ? 1 : 0));
  const start = after === null ? 0 : sorted.findIndex((i) => idOf(i) > after);
  const rest = start < 0 ? [] : sorted.slice(start);
  const page = limit === undefined ? rest : rest.slice(0, limit);
  let nextToken: string | undefined;
  if (limit !== undefined && rest.length > limit) {
    nextToken = encodeToken({ page: pageNo + 1, after: idOf(page[page.length - 1] as T), query });
  }
  if (opts.repeatToken) {
    // Fault: hand back the token we were given (or one that restarts), forever.
    nextToken = raw !== undefined && raw !== "" ? raw : encodeToken({ page: 2, after: null, query });
  }
  return { page, nextToken };
}
