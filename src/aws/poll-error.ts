// Turns whatever a poll threw into a code and a sentence a person can act on.
// Permission errors name the IAM action that is missing. The text is stored
// (polls.error, targets.last_error) and shown (status, blind alerts): a URL in
// it (a proxy's error page, an endpoint with user:pass@) is cut to its origin.
import { errorMessage } from "../util/errors.js";
import { redact } from "../util/redact.js";
import { XmlReadError } from "./xml-shape-reader.js";

/** A classified poll failure. */
export interface PollError {
  /** AWS error code, or a class of our own (Timeout, NetworkError, PaginationLoop, …). */
  code: string;
  /** What went wrong, in words. */
  message: string;
}

/** Thrown by the collector for faults it detects itself. */
export class CollectError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "CollectError";
  }
}

const PERMISSION_HINT: Record<string, string> = {
  AuthFailure: "AWS rejected the credentials (AuthFailure): check the access key, its secret, and the clock",
  UnauthorizedOperation: "the credentials lack permission ec2:DescribeSecurityGroups (UnauthorizedOperation)",
  AccessDenied: "access denied: check sts:AssumeRole on the role, its trust policy and the externalId (AccessDenied)",
  InvalidClientTokenId: "AWS does not know this access key (InvalidClientTokenId)",
  ExpiredToken: "the credentials have expired (ExpiredToken)",
  RequestLimitExceeded: "EC2 kept throttling the requests (RequestLimitExceeded) beyond the retry budget",
};

export function classifyPollError(err: unknown): PollError {
  if (err instanceof CollectError) return { code: err.code, message: redact(err.message) };
  // sgwatch's own reader (aws.reader: stream) met a body that is not the expected document.
  if (err instanceof XmlReadError) return { code: "MalformedResponse", message: `the API returned a response that could not be read: ${redact(errorMessage(err))}` };
  const e = err as { name?: unknown; code?: unknown; $metadata?: { httpStatusCode?: number } } | null;
  const name = typeof e?.name === "string" ? e.name : "Error";
  const code = typeof e?.code === "string" ? e.code : "";
  const text = redact(errorMessage(err));
  // The SDK names a reset socket "TimeoutError" too; the socket's code says what happened.
  if (["ECONNRESET", "ECONNREFUSED", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH"].includes(code)) {
    return { code: "NetworkError", message: `network error ${code}: ${text}` };
  }
  if (name === "TimeoutError" || code === "ETIMEDOUT" || /timed? ?out/i.test(text)) return { code: "Timeout", message: `request timed out: ${text}` };
  // STS names the role last in a long sentence; lead with it, so a table cell
  // cut to its width still says which role could not be assumed.
  const role = name === "AccessDenied" ? /sts:AssumeRole on resource: (arn:[^\s]+)/.exec(text)?.[1] : undefined;
  if (role) return { code: name, message: `access denied assuming ${role}: check sts:AssumeRole on the role, its trust policy and the externalId (AccessDenied): ${text}` };
  const hint = PERMISSION_HINT[name];
  if (hint) return { code: name, message: `${hint}: ${text}` };
  const status = e?.$metadata?.httpStatusCode;
  if (name === "Error" && /Deserialization|XML|parse/i.test(text)) return { code: "MalformedResponse", message: `the API returned a response that could not be read: ${text}` };
  return { code: name, message: status ? `${name} (HTTP ${status}): ${text}` : `${name}: ${text}` };
}
