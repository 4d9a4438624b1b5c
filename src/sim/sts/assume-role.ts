// STS AssumeRole over the Query protocol (Version 2011-06-15), answered as
// AWS does: AssumeRoleResponse/AssumeRoleResult with Credentials and
// AssumedRoleUser, or an ErrorResponse. A caller the role does not trust, an
// unknown role and a wrong ExternalId all get the same AccessDenied, as on AWS,
// so a test cannot learn more from the error than an attacker could.

import { createHash, randomBytes } from "node:crypto";
import { defaultUserName } from "../cloudtrail/identity.js";
import type { QueryParams } from "../query-params.js";
import { text, wrap } from "../xml.js";
import type { RoleBook, SimSession } from "./roles.js";

/** The namespace of every STS 2011-06-15 document. */
export const STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/";
/** The Query API version STS requests carry. */
export const STS_VERSION = "2011-06-15";

const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

/** An STS error: code, message, HTTP status, and who is at fault. */
export class StsError extends Error {
  constructor(
    /** STS error code, e.g. AccessDenied, ValidationError. */
    readonly code: string,
    message: string,
    /** HTTP status AWS answers with. */
    readonly status: number,
    /** Sender (the caller's fault) or Receiver. */
    readonly type: "Sender" | "Receiver" = "Sender",
  ) {
    super(message);
    this.name = "StsError";
  }
}

/** What AssumeRole needs to know about the call. */
export interface AssumeRoleCall {
  /** Request parameters. */
  params: QueryParams;
  /** The signing key. */
  accessKeyId: string;
  /** The account that key acts in. */
  callerAccount: string;
  /** The caller's own session, when it signs with temporary credentials. */
  callerSession: SimSession | undefined;
  /** Simulator time. */
  now: Date;
}

function validation(message: string): StsError {
  return new StsError("ValidationError", message, 400);
}

function required(params: QueryParams, name: string, member: string): string {
  const v = params.get(name);
  if (v === undefined || v === "") throw validation(`1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  return v;
}

function callerArn(call: AssumeRoleCall): string {
  const s = call.callerSession;
  if (s !== undefined) {
    const roleName = s.roleArn.split("/").pop() ?? "role";
    return `arn:aws:sts::${s.account}:assumed-role/${roleName}/${s.sessionName}`;
  }
  return `arn:aws:iam::${call.callerAccount}:user/${defaultUserName(call.accessKeyId)}`;
}

/** Upper-case letters and digits, as in AWS key ids. */
function keyChars(n: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  return [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join("");
}

/** Checks the call against the role's trust; returns the new session, or throws an StsError. */
export function assumeRole(book: RoleBook, call: AssumeRoleCall): SimSession {
  const { params } = call;
  const roleArn = required(params, "RoleArn", "roleArn");
  const sessionName = required(params, "RoleSessionName", "roleSessionName");
  if (!SESSION_NAME.test(sessionName)) {
    throw validation(`1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
  }
  const externalId = params.get("ExternalId");
  if (externalId !== undefined && !EXTERNAL_ID.test(externalId)) {
    throw validation(`1 validation error detected: Value at 'externalId' failed to satisfy constraint: Member must have length between 2 and 1224 and match [\\w+=,.@:/-]*`);
  }
  const duration = params.get("DurationSeconds");
  let seconds = 3600;
  if (duration !== undefined) {
    seconds = /^\d+$/.test(duration) ? Number(duration) : NaN;
    if (!(seconds >= 900 && seconds <= 43_200)) {
      throw validation(`1 validation error detected: Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200`);
    }
  }
  const role = book.role(roleArn);
  const trusted = role !== undefined && role.trustedKeys.includes(call.accessKeyId);
  const externalOk = role?.externalId === undefined || role.externalId === externalId;
  if (!role || !trusted || !externalOk) {
    throw new StsError("AccessDenied", `User: ${callerArn(call)} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`, 403);
  }
  const session: SimSession = {
    accessKeyId: `ASIA${keyChars(16)}`,
    secretAccessKey: randomBytes(30).toString("base64"),
    sessionToken: `FwoGZXIvYXdzE${randomBytes(120).toString("base64")}`,
    expiration: new Date(call.now.getTime() + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"),
    account: role.account,
    roleArn: role.arn,
    sessionName,
  };
  book.addSession(session);
  return session;
}

/** The role id AWS shows in AssumedRoleId (AROA…), stable per role. */
export function roleId(roleArn: string): string {
  const hex = createHash("sha256").update(roleArn).digest("hex").toUpperCase();
  return `AROA${hex.slice(0, 17)}`;
}

/** The success document for a session. */
export function assumeRoleDocument(session: SimSession, requestId: string): string {
  const partition = session.roleArn.split(":")[1] ?? "aws";
  const roleName = session.roleArn.split("/").pop() ?? "";
  const user =
    text("Arn", `arn:${partition}:sts::${session.account}:assumed-role/${roleName}/${session.sessionName}`) +
    text("AssumedRoleId", `${roleId(session.roleArn)}:${session.sessionName}`);
  const credentials =
    text("AccessKeyId", session.accessKeyId) +
    text("SecretAccessKey", session.secretAccessKey) +
    text("SessionToken", session.sessionToken) +
    text("Expiration", session.expiration);
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<AssumeRoleResponse xmlns="${STS_NAMESPACE}">` +
    wrap("AssumeRoleResult", wrap("AssumedRoleUser", user) + wrap("Credentials", credentials)) +
    wrap("ResponseMetadata", text("RequestId", requestId)) +
    `</AssumeRoleResponse>`
  );
}

/** The STS error document. */
export function stsErrorDocument(err: StsError, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<ErrorResponse xmlns="${STS_NAMESPACE}">` +
    wrap("Error", text("Type", err.type) + text("Code", err.code) + text("Message", err.message)) +
    text("RequestId", requestId) +
    `</ErrorResponse>`
  );
}
