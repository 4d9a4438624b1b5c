// The simulator's CloudTrail: LookupEvents in the JSON 1.1 protocol, answered
// from the mutation log of the caller's account and region. Tests steer it:
// events can "arrive" late (on AWS they take minutes), the service can fail,
// and access keys can be mapped to named users or role sessions. A temporary
// key from the simulator's STS is named as its assumed-role session.

import type { IncomingMessage, ServerResponse } from "node:http";
import type { SimState } from "../state.js";
import { buildTrailEvents } from "./events.js";
import type { IdentitySpec } from "./identity.js";
import { lookupEvents, TrailError } from "./lookup-events.js";
import { roleId } from "../sts/assume-role.js";

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
  private readonly identities = new Map<string, IdentitySpec>();

  constructor(
    private readonly state: () => SimState,
    private readonly clock: () => Date,
  ) {}

  /** Names the identity behind an access key; unmapped keys are IAM users named after the key. */
  mapIdentity(accessKeyId: string, identity: IdentitySpec): void {
    this.identities.set(accessKeyId, identity);
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

  /** Undoes makeUnavailable and the delay. */
  restore(): void {
    this.failure = null;
    this.delayMs = 0;
  }

  /** Answers one call; returns the status sent. */
  answer(call: TrailCall): { status: number; body: string; errorCode?: string } {
    try {
      if (call.accessKeyId === undefined) {
        throw new TrailError("MissingAuthenticationTokenException", "Missing Authentication Token", 403);
      }
      if (this.failure !== null) {
        const f = this.failure;
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
      const arrived = buildTrailEvents(this.state().mutations, {
        account: call.account,
        region: call.region,
        identityFor: (key) => this.identities.get(key) ?? this.sessionIdentity(key),
      }).filter((e) => e.happenedAtMs + this.delayMs <= now);
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
