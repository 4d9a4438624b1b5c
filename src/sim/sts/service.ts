// The simulator's STS: requests whose credential scope names the sts service
// (or that carry STS's API version) are answered here, not by the EC2 actions.
// Only AssumeRole is implemented; it is all sgwatch uses.

import type { QueryParams } from "../query-params.js";
import { assumeRole, assumeRoleDocument, StsError, stsErrorDocument, STS_VERSION } from "./assume-role.js";
import type { RoleBook } from "./roles.js";

/** What a request carries that STS needs. */
export interface StsCall {
  /** Request parameters. */
  params: QueryParams;
  /** Signing key, or undefined when the request was not signed. */
  accessKeyId: string | undefined;
  /** The account that key acts in. */
  callerAccount: string;
  /** X-Amz-Security-Token header, if any. */
  sessionToken: string | undefined;
  /** Sent back in the document. */
  requestId: string;
  /** Simulator time. */
  now: Date;
}

/** An STS answer: HTTP status, XML body, and the error code when it failed. */
export interface StsAnswer {
  /** HTTP status. */
  status: number;
  /** XML document. */
  body: string;
  /** STS error code, when the call failed. */
  errorCode?: string;
}

/** True when the request is meant for STS rather than EC2. */
export function isStsRequest(service: string | undefined, params: QueryParams): boolean {
  return service === "sts" || params.get("Version") === STS_VERSION;
}

/** Answers one STS call. */
export function answerSts(book: RoleBook, call: StsCall): StsAnswer {
  try {
    if (call.accessKeyId === undefined) throw new StsError("MissingAuthenticationToken", "Request is missing Authentication Token", 403);
    const callerSession = book.session(call.accessKeyId);
    if (callerSession !== undefined && callerSession.sessionToken !== call.sessionToken) {
      throw new StsError("InvalidClientTokenId", "The security token included in the request is invalid.", 403);
    }
    const action = call.params.get("Action") ?? "";
    if (action !== "AssumeRole") throw new StsError("InvalidAction", `Could not find operation ${action} for version ${STS_VERSION}`, 400);
    const session = assumeRole(book, { params: call.params, accessKeyId: call.accessKeyId, callerAccount: call.callerAccount, callerSession, now: call.now });
    return { status: 200, body: assumeRoleDocument(session, call.requestId) };
  } catch (e) {
    if (!(e instanceof StsError)) throw e;
    return { status: e.status, body: stsErrorDocument(e, call.requestId), errorCode: e.code };
  }
}
