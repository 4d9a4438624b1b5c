// The simulator's CloudTrail: LookupEvents in the JSON 1.1 protocol, answered
// from the caller's account and region: the mutation log (successful calls),
// the failed-call log, and records seeded in CloudTrail's own JSON form. Tests
// steer it: events can "arrive" late (on AWS they take minutes), the service
// can fail, LookupEvents can be held to AWS's 2 calls a second per account and
// region (ThrottlingException beyond; every call counted), access keys can be
// mapped to named users or role sessions, denied, and placed on a network. A
// temporary key from the simulator's STS is named as its assumed-role session.

import type { IncomingMessage, ServerResponse } from "node:http";
import type { SimState } from "../state.js";
import { buildTrailEvents, type SimTrailEvent } from "./events.js";
import { failedTrailEvent } from "./failed-events.js";
import type { IdentitySpec } from "./identity.js";
import { KeyControls } from "./keys.js";
import { lookupEvents, TrailError } from "./lookup-events.js";
import { roleId } from "../sts/assume-role.js";
import { seededAccount, seededTrailEvent, seedRecords } from "./seed.js";

/** LookupEvents calls one account × region received, for tests to check a client's pacing. */
export interface LookupStats {
  /** Calls answered (throttled ones included). */
  calls: number;
  /** Calls refused with ThrottlingException. */
  throttled: number;
  /** The most calls accepted in any one second (simulator clock). */
  maxPerSecond: number;
  /** Simulator-clock times (ms) of every call, oldest first. */
  times: number[];
}

/** The X-Amz-Target prefix of CloudTrail's API version. */
export const CLOUDTRAIL_TARGET_PREFIX = "CloudTrail_20131101.";

/** A failure CloudTrail answers with instead of results. */
export interface TrailFailure {
  /** __type, e.g. ServiceUnavailableException, ThrottlingException, AccessDeniedException. */
  code: string;
  /** HTTP status; default 503 for ServiceUnavailable*, else 400. */
  status?: number;
  /** Message text; a generic one by default. */
  message?: string;
}

/** What a request carries that the service needs. */
export interface TrailCall {
  /** Full X-Amz-Target value. */
  target: string;
  /** Signed with this key (undefined when the request was not signed). */
  accessKeyId: string | undefined;
  /** Account the key acts in. */
  account: string;
  /** Region from the credential scope. */
  region: string;
  /** Request body (JSON). */
  body: string;
  /** Sent back as x-amzn-RequestId. */
  requestId: string;
}

/** Test controls and state of the simulated CloudTrail. */
export class CloudTrailSim {
  /** Events become visible this long after their call happened (simulator clock). */
  delayMs = 0;
  /** When set, every call fails with it. */
  failure: TrailFailure | null = null;
  /** Calls still answered before `failAfter`'s failure takes over; null: no such limit. */
  private answersLeft: number | null = null;
  private failureAfter: TrailFailure | null = null;
  /** Calls refused because `failAfter`'s count ran out (a test sees that a daemon reached the wall). */
  refusedAfterLimit = 0;
  /**
   * LookupEvents calls allowed per second per account and region (AWS: 2);
   * null: unlimited. Measured on the simulator clock, so a test whose client
   * waits on the same fake clock is paced exactly, without real waiting.
   */
  lookupRateLimit: number | null = null;
  /** Per-key deny list and network (source address, VPC endpoint). */
  readonly keys = new KeyControls();
  private readonly identities = new Map<string, IdentitySpec>();
  private readonly stats = new Map<string, LookupStats>();
  private seeded: Array<{ account: string; region: string; event: SimTrailEvent }> = [];
  // Built events per account-region, reused while the logs have not grown:
  // rebuilding (a hash per event) for every page made a 10,000-event history
  // cost a second per call.
  private built = new Map<string, { state: SimState; mutations: number; failed: number; identities: number; events: SimTrailEvent[] }>();
  private identitiesVersion = 0;
  private seedSeq = 0;

  constructor(
    private readonly state: () => SimState,
    private readonly clock: () => Date,
  ) {}

  /** The identity behind an access key as a test named it, if it did. */
  identityOf(accessKeyId: string): IdentitySpec | undefined {
    return this.identities.get(accessKeyId);
  }

  /** Names the identity behind an access key; unmapped keys are IAM users named after the key. */
  mapIdentity(accessKeyId: string, identity: IdentitySpec): void {
    this.identities.set(accessKeyId, identity);
    this.identitiesVersion++;
  }

  /** The assumed-role identity of an STS session's temporary key, as CloudTrail names it; undefined for other keys. */
  private sessionIdentity(accessKeyId: string): IdentitySpec | undefined {
    const s = this.state().roles.session(accessKeyId);
    if (s === undefined) return undefined;
    const [, partition = "aws"] = s.roleArn.split(":");
    const roleName = s.roleArn.split("/").pop() ?? "role";
    return {
      type: "AssumedRole",
      roleName,
      userName: s.sessionName,
      principalId: `${roleId(s.roleArn)}:${s.sessionName}`,
      arn: `arn:${partition}:sts::${s.account}:assumed-role/${roleName}/${s.sessionName}`,
    };
  }

  /** Makes every call fail (ServiceUnavailableException by default) until restore(). */
  makeUnavailable(failure: TrailFailure = { code: "ServiceUnavailableException" }): void {
    this.failure = failure;
  }

  /**
   * Answers the next `calls` calls as usual, then fails every call with
   * `failure` until restore(). A test stops a daemon's sweep at an exact point
   * this way, not by racing it with a kill.
   */
  failAfter(calls: number, failure: TrailFailure = { code: "ServiceUnavailableException" }): void {
    this.answersLeft = calls;
    this.failureAfter = failure;
    this.refusedAfterLimit = 0;
  }

  /** Undoes makeUnavailable, failAfter and the delay. */
  restore(): void {
    this.failure = null;
    this.answersLeft = null;
    this.failureAfter = null;
    this.delayMs = 0;
  }

  /** Forgets seeded records, counters, key controls and the rate limit (a simulator reset). */
  clear(): void {
    this.restore();
    this.seeded = [];
    this.stats.clear();
    this.keys.clear();
    this.lookupRateLimit = null;
    this.built.clear();
  }

  // Every event of the account-region the simulator made (successful and failed calls), oldest first.
  private eventsOf(account: string, region: string): SimTrailEvent[] {
    const state = this.state();
    const key = `${account}/${region}`;
    const cached = this.built.get(key);
    if (cached && cached.state === state && cached.mutations === state.mutations.length && cached.failed === state.failedCalls.length && cached.identities === this.identitiesVersion) {
      return cached.events;
    }
    const identityFor = (k: string): IdentitySpec | undefined => this.identities.get(k) ?? this.sessionIdentity(k);
    const failed = state.failedCalls.filter((c) => c.account === account && c.region === region).map((c) => failedTrailEvent(c, { identityFor }));
    const events = [...buildTrailEvents(state.mutations, { account, region, identityFor }), ...failed];
    this.built.set(key, { state, mutations: state.mutations.length, failed: state.failedCalls.length, identities: this.identitiesVersion, events });
    return events;
  }

  /**
   * Adds CloudTrail records in their documented JSON form ({"Records": [...]},
   * an array, or one record); they are returned by LookupEvents of their
   * account (recipientAccountId) and region (awsRegion) at once. Returns how
   * many were added; throws an Error naming a bad record (none is added then).
   */
  seed(data: unknown): number {
    const records = seedRecords(data);
    for (const r of records) {
      this.seeded.push({ account: seededAccount(r), region: String(r.awsRegion), event: seededTrailEvent(r, --this.seedSeq) });
    }
    return records.length;
  }

  /** LookupEvents calls of one account and region so far. */
  lookupStats(account: string, region: string): LookupStats {
    return structuredClone(this.stats.get(`${account}/${region}`) ?? { calls: 0, throttled: 0, maxPerSecond: 0, times: [] });
  }

  /** Every account × region's LookupEvents counters, keyed "account/region". */
  allLookupStats(): Record<string, LookupStats> {
    return Object.fromEntries([...this.stats].map(([k, v]) => [k, structuredClone(v)]));
  }

  // Counts the call; throws ThrottlingException beyond the rate limit.
  private pace(account: string, region: string, nowMs: number): void {
    const key = `${account}/${region}`;
    let s = this.stats.get(key);
    if (s === undefined) {
      s = { calls: 0, throttled: 0, maxPerSecond: 0, times: [] };
      this.stats.set(key, s);
    }
    s.calls++;
    const accepted = s.times.filter((t) => t > nowMs - 1000).length;
    if (this.lookupRateLimit !== null && accepted >= this.lookupRateLimit) {
      s.throttled++;
      throw new TrailError("ThrottlingException", "Rate exceeded");
    }
    s.times.push(nowMs);
    s.maxPerSecond = Math.max(s.maxPerSecond, accepted + 1);
  }

  /** Answers one call; returns the status sent. */
  answer(call: TrailCall): { status: number; body: string; errorCode?: string } {
    try {
      if (call.accessKeyId === undefined) {
        throw new TrailError("MissingAuthenticationTokenException", "Missing Authentication Token", 403);
      }
      this.pace(call.account, call.region, this.clock().getTime());
      const limited = this.answersLeft === 0 ? this.failureAfter : null;
      if (limited !== null) this.refusedAfterLimit++;
      else if (this.answersLeft !== null) this.answersLeft--;
      const f = this.failure ?? limited;
      if (f !== null) {
        const status = f.status ?? (f.code.startsWith("ServiceUnavailable") ? 503 : 400);
        throw new TrailError(f.code, f.message ?? "CloudTrail is not available (simulated)", status);
      }
      const operation = call.target.slice(CLOUDTRAIL_TARGET_PREFIX.length);
      if (operation !== "LookupEvents") {
        throw new TrailError("UnknownOperationException", `The simulator implements LookupEvents only, not ${operation}`);
      }
      let parsed: unknown;
      try {
        parsed = call.body.trim() === "" ? {} : JSON.parse(call.body);
      } catch {
        throw new TrailError("SerializationException", "Request body is not valid JSON");
      }
      const now = this.clock().getTime();
      const arrived = this.eventsOf(call.account, call.region).filter((e) => e.happenedAtMs + this.delayMs <= now);
      // Seeded records were captured after delivery: they are there at once.
      for (const s of this.seeded) if (s.account === call.account && s.region === call.region) arrived.push(s.event);
      return { status: 200, body: JSON.stringify(lookupEvents(arrived, parsed)) };
    } catch (e) {
      if (!(e instanceof TrailError)) throw e;
      return { status: e.status, body: JSON.stringify({ __type: e.code, message: e.message }), errorCode: e.code };
    }
  }
}

/** Writes a JSON 1.1 answer. */
export function sendTrailAnswer(res: ServerResponse, answer: { status: number; body: string }, requestId: string): void {
  res.writeHead(answer.status, {
    "content-type": "application/x-amz-json-1.1",
    "content-length": Buffer.byteLength(answer.body),
    "x-amzn-requestid": requestId,
  });
  res.end(answer.body);
}

/** The X-Amz-Target of a request, when it names a CloudTrail operation. */
export function cloudTrailTarget(req: IncomingMessage): string | undefined {
  const v = req.headers["x-amz-target"];
  const target = Array.isArray(v) ? v[0] : v;
  return target !== undefined && target.startsWith(CLOUDTRAIL_TARGET_PREFIX) ? target : undefined;
}
