// CloudTrail LookupEvents for one security group over a time window, with the
// real CloudTrailClient (region, endpoint and credentials as the target's EC2
// client has them). LookupEvents takes one lookup attribute, so it asks by
// ResourceName = the group id and keeps the security-group calls itself. It is
// rate limited (2 calls a second per account and region); the SDK's adaptive
// retry mode paces and retries throttled calls.
//
// The CloudTrail SDK is loaded on the first lookup: attribution is off unless
// configured, and the client's code is some 15 MB of a daemon's resident memory.
import type { CloudTrailClient, Event } from "@aws-sdk/client-cloudtrail";
import { awsClientConfig, type ClientSpec } from "../aws/ec2-client.js";
import type { ResolvedTarget } from "../config/targets.js";
import { SECURITY_GROUP_EVENT_NAMES } from "./trail-event.js";

/** Makes CloudTrail clients (the real factory, or one with test settings). */
export type CloudTrailClientFactory = (spec: ClientSpec) => CloudTrailClient;

type CloudTrailSdk = typeof import("@aws-sdk/client-cloudtrail");
let sdk: Promise<CloudTrailSdk> | undefined;
const loadSdk = (): Promise<CloudTrailSdk> => (sdk ??= import("@aws-sdk/client-cloudtrail"));

/** The real client factory (loads the SDK). */
export async function cloudTrailClientFactory(): Promise<CloudTrailClientFactory> {
  const { CloudTrailClient } = await loadSdk();
  return (spec) => new CloudTrailClient(awsClientConfig(spec));
}

/** The events of a lookup, and whether the page bound cut it short. */
export interface GroupEvents {
  /** Security-group calls on the group, newest first. */
  events: Event[];
  /** More pages were left unread (the oldest events of the window are missing). */
  truncated: boolean;
  /** Pages read. */
  pages: number;
}

/** Options of lookupGroupEvents. */
export interface LookupOptions {
  /** Stop after this many pages of 50 (default 20: 1000 events on one group in one window). */
  maxPages?: number;
  /** Aborts the lookup (shutdown). */
  signal?: AbortSignal;
  /** Waits for a turn in the account-region's LookupEvents budget before each call (shared with the sweep). */
  pace?: () => Promise<void>;
}

/** Every LookupEvents page for `groupId` between `from` and `to`, bounded by maxPages. */
export async function lookupGroupEvents(client: CloudTrailClient, groupId: string, from: Date, to: Date, opts: LookupOptions = {}): Promise<GroupEvents> {
  const maxPages = opts.maxPages ?? 20;
  const { LookupEventsCommand } = await loadSdk();
  const events: Event[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    await opts.pace?.();
    const out = await client.send(
      new LookupEventsCommand({
        LookupAttributes: [{ AttributeKey: "ResourceName", AttributeValue: groupId }],
        StartTime: from,
        EndTime: to,
        MaxResults: 50,
        ...(token !== undefined ? { NextToken: token } : {}),
      }),
      opts.signal ? { abortSignal: opts.signal } : {},
    );
    pages++;
    for (const e of out.Events ?? []) {
      if ((e.EventSource === undefined || e.EventSource === "ec2.amazonaws.com") && e.EventName !== undefined && SECURITY_GROUP_EVENT_NAMES.includes(e.EventName)) {
        events.push(e);
      }
    }
    token = out.NextToken;
  } while (token !== undefined && pages < maxPages);
  return { events, truncated: token !== undefined, pages };
}

/** The account × region whose group is looked up (see attribute.ts). */
export interface LookupTarget {
  /** AWS account id. */
  account: string;
  /** AWS region (CloudTrail's event history is per region). */
  region: string;
}

/** What attributePending calls: the candidate events of one group in one window. */
export type AttributionLookup = (target: LookupTarget, groupId: string, from: Date, to: Date) => Promise<Event[]>;

/** Options of cloudTrailLookup. */
export interface CloudTrailLookupOptions {
  /** The configured targets (endpoint, role) to find each account × region's settings. */
  targets: () => readonly ResolvedTarget[];
  /** Retry budget per call. */
  maxAttempts: number;
  /** Per-request timeout in ms. */
  timeoutMs: number;
  /** Explicit credentials (tests, the demo); else the default chain or the target's role. */
  credentials?: ClientSpec["credentials"];
  /** Default: cloudTrailClientFactory(). */
  clientFactory?: CloudTrailClientFactory;
  /** Page bound per lookup. */
  maxPages?: number;
  /** Told when a lookup hit the page bound (the oldest events of its window were not read). */
  onTruncated?: (target: LookupTarget, groupId: string, pages: number) => void;
  /** Waits for a turn in the account-region's LookupEvents budget (src/trail/budget.ts), shared with the sweep. */
  pace?: (target: LookupTarget) => Promise<void>;
}

/** A lookup over real CloudTrail clients, one per target, kept until close(). */
export function cloudTrailLookup(opts: CloudTrailLookupOptions): { lookup: AttributionLookup; clientFor(t: LookupTarget): Promise<CloudTrailClient>; close(): void } {
  const clients = new Map<string, CloudTrailClient>();
  let factory: CloudTrailClientFactory | undefined = opts.clientFactory;
  const clientFor = async (t: LookupTarget): Promise<CloudTrailClient> => {
    factory ??= await cloudTrailClientFactory();
    const key = `${t.account}/${t.region}`;
    let c = clients.get(key);
    if (c === undefined) {
      const conf = opts.targets().find((x) => x.account === t.account && x.region === t.region);
      c = factory({
        region: t.region,
        ...(conf?.endpoint ? { endpoint: conf.endpoint } : {}),
        ...(conf?.roleArn ? { roleArn: conf.roleArn } : {}),
        ...(conf?.externalId ? { externalId: conf.externalId } : {}),
        maxAttempts: opts.maxAttempts,
        timeoutMs: opts.timeoutMs,
        ...(opts.credentials ? { credentials: opts.credentials } : {}),
      });
      clients.set(key, c);
    }
    return c;
  };
  return {
    clientFor,
    lookup: async (target, groupId, from, to) => {
      const pace = opts.pace;
      const r = await lookupGroupEvents(await clientFor(target), groupId, from, to, {
        ...(opts.maxPages !== undefined ? { maxPages: opts.maxPages } : {}),
        ...(pace !== undefined ? { pace: () => pace(target) } : {}),
      });
      if (r.truncated) opts.onTruncated?.(target, groupId, r.pages);
      return r.events;
    },
    close: () => {
      for (const c of clients.values()) c.destroy();
      clients.clear();
    },
  };
}
