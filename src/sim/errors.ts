// EC2 reports every failure as <Response><Errors><Error>; the SDK turns the
// Code into the thrown error's `name`, and retries on the status, so both must
// match what AWS sends.

/** An EC2 API error: code, message and the HTTP status AWS uses for it. */
export class SimError extends Error {
  /** EC2 error code, e.g. `InvalidGroup.NotFound`. */
  readonly code: string;
  /** HTTP status to answer with. */
  readonly status: number;

  constructor(code: string, message: string, status = 400) {
    super(message);
    this.name = "SimError";
    this.code = code;
    this.status = status;
  }
}

/** HTTP statuses of the non-400 error codes. */
const STATUS_BY_CODE: Record<string, number> = {
  AuthFailure: 401,
  UnauthorizedOperation: 403,
  RequestLimitExceeded: 503,
  InternalError: 500,
  ServiceUnavailable: 503,
  Unavailable: 503,
};

/** Builds a SimError with the status AWS uses for `code`. */
export function simError(code: string, message: string): SimError {
  return new SimError(code, message, STATUS_BY_CODE[code] ?? 400);
}

export const errors = {
  missingParameter: (name: string): SimError =>
    simError("MissingParameter", `The request must contain the parameter ${name}`),
  invalidParameterValue: (message: string): SimError => simError("InvalidParameterValue", message),
  groupNotFound: (idOrName: string): SimError =>
    simError("InvalidGroup.NotFound", `The security group '${idOrName}' does not exist`),
  groupIdMalformed: (id: string): SimError =>
    simError("InvalidGroupId.Malformed", `Invalid id: "${id}" (expecting "sg-...")`),
  ruleIdMalformed: (id: string): SimError =>
    simError("InvalidSecurityGroupRuleId.Malformed", `Invalid id: "${id}" (expecting "sgr-...")`),
  ruleNotFound: (id: string): SimError =>
    simError("InvalidSecurityGroupRuleId.NotFound", `The security group rule ID '${id}' does not exist`),
  paginationToken: (): SimError =>
    simError("InvalidPaginationToken", "The specified pagination token is not valid or is expired."),
  internal: (): SimError =>
    simError("InternalError", "An internal error has occurred. Retry your request, but if the problem persists, contact us."),
} as const;
