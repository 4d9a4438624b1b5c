// Reading a target's security-group events from CloudTrail over one time
// range, with the real CloudTrailClient. LookupEvents takes one lookup
// attribute per call and returns at most 50 events a page, newest first.
//
// Strategy "writes" (the sweep's): ReadOnly=false, every write management
// event of the account-region, filtered here to the security-group calls. A
// quiet trail costs one call per range; a busy account pays for its other
// writes too (one call per 50). Strategy "by-name": one series per event
// name, eleven calls per range even when nothing happened; it reads only
// security-group calls. EventSource=ec2.amazonaws.com would return every
// Describe* call, sgwatch's own polls included. docs/cloudtrail.md has the
// counts (test/integration/trail-sweep.test.ts measures them).
import type { CloudTrailClient, Event, LookupAttribute, LookupEventsCommandOutput } from "@aws-sdk/client-cloudtrail";
import { sendCached } from "../aws/cached-send.js";
import { SECURITY_GROUP_EVENT_NAMES } from "./event-record.js";

/** How the range is asked for (see the file's header). */
export type LookupStrategy = "writes" | "by-name";

/** Options of readRange. */
export interface ReadRangeOptions {
  /** Waits for a turn in the account-region's 2 calls/s budget; called before every call. */
  pace: (signal?: AbortSignal) => Promise<void>;
  /** Stop after this many pages (the sweep's bound per cycle). */
  maxPages: number;
  /** Default "writes". */
  strategy?: LookupStrategy;
  /** Aborts between and during calls (shutdown). */
  signal?: AbortSignal;
  /**
   * Called with each page's security-group events as the page arrives, so a
   * caller keeps what was read when a later page fails: a range of more pages
   * than CloudTrail answers before failing would otherwise be read again from
   * its top every cycle and never stored.
   */
  onPage?: (events: readonly Event[]) => void;
}

/** What one range read gave. */
export interface RangeRead {
  /** Security-group events, newest first. */
  events: Event[];
  /** Pages read (= LookupEvents calls made). */
  pages: number;
  /** Events looked at, security-group ones or not. */
  scanned: number;
  /** The page bound stopped the read: events older than `oldestSeen` (and some of its second) are not read; its range's newest second always is. */
  truncated: boolean;
  /** The time of the oldest event read (of any kind), when any was. */
  oldestSeen: Date | null;
}

type CloudTrailSdk = typeof import("@aws-sdk/client-cloudtrail");
let sdk: Promise<CloudTrailSdk> | undefined;
const loadSdk = (): Promise<CloudTrailSdk> => (sdk ??= import("@aws-sdk/client-cloudtrail"));

/** True for an EC2 call that changes security groups (CreateTags/DeleteTags only on sg- resources). */
export function isSecurityGroupEvent(e: Event): boolean {
  if (e.EventSource !== undefined && e.EventSource !== "ec2.amazonaws.com") return false;
  if (e.EventName === undefined || !SECURITY_GROUP_EVENT_NAMES.includes(e.EventName)) return false;
  if (e.EventName === "CreateTags" || e.EventName === "DeleteTags") {
    const named = (e.Resources ?? []).some((r) => r.ResourceName?.startsWith("sg-") === true);
    return named || (e.CloudTrailEvent ?? "").includes('"sg-');
  }
  return true;
}

async function readSeries(client: CloudTrailClient, attribute: LookupAttribute, from: Date, to: Date, budgetPages: number, opts: ReadRangeOptions): Promise<RangeRead> {
  const { LookupEventsCommand } = await loadSdk();
  const out: RangeRead = { events: [], pages: 0, scanned: 0, truncated: false, oldestSeen: null };
  let token: string | undefined;
  // Events carry whole seconds, and a range is resumed by time: stopping inside
  // the range's newest second could leave more than a page of that second
  // that no later read gets past. So the newest second is always read whole,
  // past the page bound if it must be.
  const topSecond = Math.floor(to.getTime() / 1000) * 1000;
  do {
    const insideTopSecond = out.oldestSeen !== null && out.oldestSeen.getTime() >= topSecond;
    if (out.pages >= budgetPages && !insideTopSecond) {
      out.truncated = true;
      break;
    }
    await opts.pace(opts.signal);
    // The client's stack is resolved once (cacheMiddleware), the signal kept per call: aws/cached-send.ts.
    const page = await sendCached<LookupEventsCommandOutput>(
      client,
      new LookupEventsCommand({ LookupAttributes: [attribute], StartTime: from, EndTime: to, MaxResults: 50, ...(token !== undefined ? { NextToken: token } : {}) }),
      opts.signal,
    );
    out.pages++;
    const kept: Event[] = [];
    for (const e of page.Events ?? []) {
      out.scanned++;
      if (e.EventTime !== undefined && (out.oldestSeen === null || e.EventTime < out.oldestSeen)) out.oldestSeen = e.EventTime;
      if (isSecurityGroupEvent(e)) kept.push(e);
    }
    out.events.push(...kept);
    if (kept.length > 0) opts.onPage?.(kept);
    token = page.NextToken;
  } while (token !== undefined);
  return out;
}

/** The security-group events between `from` and `to` (inclusive), bounded by maxPages. */
export async function readRange(client: CloudTrailClient, from: Date, to: Date, opts: ReadRangeOptions): Promise<RangeRead> {
  if ((opts.strategy ?? "writes") === "writes") {
    return readSeries(client, { AttributeKey: "ReadOnly", AttributeValue: "false" }, from, to, opts.maxPages, opts);
  }
  const total: RangeRead = { events: [], pages: 0, scanned: 0, truncated: false, oldestSeen: null };
  for (const name of SECURITY_GROUP_EVENT_NAMES) {
    const r = await readSeries(client, { AttributeKey: "EventName", AttributeValue: name }, from, to, opts.maxPages - total.pages, opts);
    total.events.push(...r.events);
    total.pages += r.pages;
    total.scanned += r.scanned;
    if (r.truncated) {
      // The names after this one were not read at all: nothing of the range is sure.
      total.truncated = true;
      total.oldestSeen = to;
      break;
    }
  }
  total.events.sort((a, b) => (b.EventTime?.getTime() ?? 0) - (a.EventTime?.getTime() ?? 0));
  return total;
}
