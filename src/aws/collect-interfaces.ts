// Fetches every page of DescribeNetworkInterfaces for one account × region,
// or throws: the same rule as security groups (every-page.ts). A half-read
// list of interfaces would make exposed groups look attached to nothing,
// which lowers severities, so a partial read fails the poll. The same two
// readers as collect.ts (aws.reader).
import { DescribeNetworkInterfacesCommand, type DescribeNetworkInterfacesCommandOutput, type EC2Client, type NetworkInterface } from "@aws-sdk/client-ec2";
import { sendCached } from "./cached-send.js";
import type { ResponseReader } from "./collect.js";
import { everyPage, type PageFetcher } from "./every-page.js";
import { CollectError } from "./poll-error.js";
import { attachmentsDigest, readAttachments, type Attachment } from "../model/attachment.js";
import type { BodyReuse, InterfaceMemo } from "./page-memo.js";
import { DESCRIBE_NETWORK_INTERFACES } from "./response-shapes.js";
import { sendReading } from "./stream-send.js";

/** Limits of one read. */
export interface InterfaceCollectOptions {
  /** Which reader parses the responses (aws.reader). */
  reader: ResponseReader;
  /** A paginator that goes on longer than this is broken; stop and fail. */
  maxPages: number;
  /** Page size (the API allows 5..1000). */
  pageSize?: number;
  /** Abort (shutdown). */
  signal?: AbortSignal;
  /** The stream reader only: reuse for the first page's body (page-memo.ts, InterfaceMemo). */
  reuseFirst?: BodyReuse<NetworkInterface>;
}

/** Every network interface of the account × region. */
export interface CollectedInterfaces {
  /** The raw interfaces. */
  interfaces: NetworkInterface[];
  /** Pages read. */
  pages: number;
}

/** One page of DescribeNetworkInterfaces through `reader`. */
export function networkInterfacePages(client: EC2Client, reader: ResponseReader, pageSize: number, signal?: AbortSignal, reuseFirst?: BodyReuse<NetworkInterface>): PageFetcher<NetworkInterface> {
  let first = true;
  return async (token) => {
    const command = new DescribeNetworkInterfacesCommand({ MaxResults: pageSize, ...(token ? { NextToken: token } : {}) });
    const reuse = first ? reuseFirst : undefined;
    first = false;
    if (reader === "stream") return sendReading<NetworkInterface>(client, command, DESCRIBE_NETWORK_INTERFACES, signal, undefined, reuse);
    const out = await sendCached<DescribeNetworkInterfacesCommandOutput>(client, command, signal);
    return { items: out.NetworkInterfaces ?? [], nextToken: out.NextToken };
  };
}

export async function collectNetworkInterfaces(client: EC2Client, opts: InterfaceCollectOptions): Promise<CollectedInterfaces> {
  const interfaces: NetworkInterface[] = [];
  try {
    const { pages } = await everyPage(networkInterfacePages(client, opts.reader, opts.pageSize ?? 1000, opts.signal, opts.reuseFirst), {
      api: "DescribeNetworkInterfaces",
      maxPages: opts.maxPages,
      ...(opts.signal ? { signal: opts.signal } : {}),
      sink: (got) => void interfaces.push(...got),
    });
    return { interfaces, pages };
  } catch (err) {
    // The generic hint names ec2:DescribeSecurityGroups; this call needs its own permission.
    const name = (err as { name?: unknown } | null)?.name;
    if (name === "UnauthorizedOperation") {
      throw new CollectError("UnauthorizedOperation", "the credentials lack permission ec2:DescribeNetworkInterfaces (UnauthorizedOperation); grant it, or set aws.interfacesEvery: 0 to poll without blast radius");
    }
    throw err;
  }
}

/** The attachments a read found: their digest, and the list unless it is the caller's (the digest it holds). */
export interface ReadAttachments {
  digest: string;
  /** null: the digest is the one the caller holds, so its list is what was read. */
  list: Attachment[] | null;
}

/**
 * Every interface's attachments, for a caller holding attachments with digest
 * `known` (or none). With `memo` (the stream reader), a single page that is
 * the same bytes as the last read's, whose attachments the caller holds, is
 * not read at all (page-memo.ts).
 */
export async function collectAttachments(client: EC2Client, opts: Omit<InterfaceCollectOptions, "reuseFirst">, memo: InterfaceMemo | null, known: string | null): Promise<ReadAttachments> {
  const reuse = opts.reader === "stream" ? memo?.forRead<NetworkInterface>(known) : undefined;
  const c = await collectNetworkInterfaces(client, { ...opts, ...(reuse ? { reuseFirst: reuse } : {}) });
  if (reuse?.hit) return { digest: known as string, list: null };
  const list = readAttachments(c.interfaces);
  const digest = attachmentsDigest(list);
  if (reuse) memo?.read(reuse.body, c.pages, digest);
  return { digest, list: digest === known ? null : list };
}
