// LookupEvents over the simulator's events: the request checks CloudTrail
// makes (one lookup attribute, a known key, a sane time range, MaxResults
// 1..50, a NextToken issued for the same query), newest first, and paging by
// an opaque token.

import { createHash } from "node:crypto";
import type { SimTrailEvent } from "./events.js";

/** A CloudTrail error: `{"__type": code, "message": …}` with an HTTP status. */
export class TrailError extends Error {
  constructor(
    /** The __type CloudTrail sends. */
    readonly code: string,
    message: string,
    /** HTTP status; CloudTrail answers client errors with 400. */
    readonly status = 400,
  ) {
    super(message);
    this.name = "TrailError";
  }
}

const ATTRIBUTE_KEYS = new Set(["EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource", "AccessKeyId"]);

/** The request, after checking. */
interface LookupQuery {
  attribute: { key: string; value: string } | null;
  startSeconds: number | null;
  endSeconds: number | null;
  insightsOnly: boolean;
  maxResults: number;
  cursor: { time: number; seq: number } | null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// The SDK sends timestamps as epoch seconds; other clients may send ISO text.
function seconds(v: unknown, field: string): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && !Number.isNaN(Date.parse(v))) return Date.parse(v) / 1000;
  throw new TrailError("ValidationException", `1 validation error detected: Value at '${field}' failed to satisfy constraint: must be a timestamp`);
}

function queryFingerprint(body: Record<string, unknown>): string {
  const { NextToken: _ignored, MaxResults: _max, ...rest } = body;
  return createHash("sha256").update(JSON.stringify(rest)).digest("hex").slice(0, 16);
}

function parseQuery(body: unknown): LookupQuery {
  if (!isRecord(body)) throw new TrailError("SerializationException", "Start of structure or map found where not expected.");
  let attribute: LookupQuery["attribute"] = null;
  if (body.LookupAttributes !== undefined) {
    const list = body.LookupAttributes;
    if (!Array.isArray(list)) throw new TrailError("SerializationException", "LookupAttributes must be a list");
    if (list.length > 1) throw new TrailError("InvalidLookupAttributesException", "You cannot specify more than one lookup attribute.");
    const a: unknown = list[0];
    if (a !== undefined) {
      if (!isRecord(a) || typeof a.AttributeKey !== "string" || !ATTRIBUTE_KEYS.has(a.AttributeKey)) {
        throw new TrailError("InvalidLookupAttributesException", `Lookup attribute key is not valid: ${isRecord(a) ? String(a.AttributeKey) : "?"}`);
      }
      if (typeof a.AttributeValue !== "string" || a.AttributeValue === "" || a.AttributeValue.length > 2000) {
        throw new TrailError("InvalidLookupAttributesException", "Lookup attribute value must be between 1 and 2000 characters.");
      }
      attribute = { key: a.AttributeKey, value: a.AttributeValue };
    }
  }
  const startSeconds = seconds(body.StartTime, "startTime");
  const endSeconds = seconds(body.EndTime, "endTime");
  if (startSeconds !== null && endSeconds !== null && startSeconds > endSeconds) {
    throw new TrailError("InvalidTimeRangeException", "Start time must be before end time.");
  }
  let insightsOnly = false;
  if (body.EventCategory !== undefined) {
    if (body.EventCategory !== "insight") throw new TrailError("InvalidEventCategoryException", `Event category is not valid: ${String(body.EventCategory)}`);
    insightsOnly = true;
  }
  let maxResults = 50;
  if (body.MaxResults !== undefined) {
    const m = body.MaxResults;
    if (typeof m !== "number" || !Number.isInteger(m) || m < 1 || m > 50) {
      throw new TrailError("InvalidMaxResultsException", "MaxResults must be between 1 and 50.");
    }
    maxResults = m;
  }
  let cursor: LookupQuery["cursor"] = null;
  if (body.NextToken !== undefined) {
    cursor = parseToken(body.NextToken, queryFingerprint(body));
  }
  return { attribute, startSeconds, endSeconds, insightsOnly, maxResults, cursor };
}

function parseToken(token: unknown, fingerprint: string): { time: number; seq: number } {
  const invalid = new TrailError("InvalidNextTokenException", "Invalid NextToken. Make sure the token is passed with the same parameters as the call that returned it.");
  if (typeof token !== "string") throw invalid;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (!isRecord(parsed) || parsed.q !== fingerprint || typeof parsed.t !== "number" || typeof parsed.s !== "number") throw invalid;
    return { time: parsed.t, seq: parsed.s };
  } catch {
    throw invalid;
  }
}

function makeToken(e: SimTrailEvent, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ q: fingerprint, t: e.happenedAtMs, s: e.seq }), "utf8").toString("base64url");
}

function matchesAttribute(e: SimTrailEvent, a: { key: string; value: string }): boolean {
  switch (a.key) {
    case "EventId":
      return e.eventId === a.value;
    case "EventName":
      return e.eventName === a.value;
    case "ReadOnly":
      return e.readOnly === a.value;
    case "Username":
      return e.username === a.value;
    case "ResourceType":
      return e.resources.some((r) => r.ResourceType === a.value);
    case "ResourceName":
      return e.resources.some((r) => r.ResourceName === a.value);
    case "EventSource":
      return e.eventSource === a.value;
    case "AccessKeyId":
      return e.accessKeyId === a.value;
    default:
      return false;
  }
}

// Newest first: by time, then by the order the calls happened.
function newerFirst(a: { happenedAtMs: number; seq: number }, b: { happenedAtMs: number; seq: number }): number {
  return b.happenedAtMs - a.happenedAtMs || b.seq - a.seq;
}

/** The LookupEvents response for `body` over `events` (already limited to what has "arrived"). */
export function lookupEvents(events: readonly SimTrailEvent[], body: unknown): Record<string, unknown> {
  const q = parseQuery(body);
  const fingerprint = queryFingerprint(isRecord(body) ? body : {});
  if (q.insightsOnly) return { Events: [] };
  const hits = events
    .filter((e) => (q.attribute === null ? true : matchesAttribute(e, q.attribute)))
    .filter((e) => (q.startSeconds === null ? true : e.eventTimeSeconds >= Math.floor(q.startSeconds)))
    .filter((e) => (q.endSeconds === null ? true : e.eventTimeSeconds <= q.endSeconds))
    .sort(newerFirst)
    // After the cursor: what sorts after the last event of the previous page.
    .filter((e) => (q.cursor === null ? true : newerFirst({ happenedAtMs: q.cursor.time, seq: q.cursor.seq }, e) < 0));
  const page = hits.slice(0, q.maxResults);
  const last = page[page.length - 1];
  return {
    Events: page.map((e) => ({
      EventId: e.eventId,
      EventName: e.eventName,
      ReadOnly: e.readOnly,
      AccessKeyId: e.accessKeyId,
      EventTime: e.eventTimeSeconds,
      EventSource: e.eventSource,
      Username: e.username,
      Resources: e.resources,
      CloudTrailEvent: JSON.stringify(e.record),
    })),
    ...(hits.length > page.length && last !== undefined ? { NextToken: makeToken(last, fingerprint) } : {}),
  };
}
