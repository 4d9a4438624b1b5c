// The EC2 Query-protocol HTTP server. The real AWS SDK talks to it unchanged:
// form-encoded POSTs in, namespaced XML (or EC2 error XML) out, with AWS's
// status codes so the SDK's retry and error classification behave as in
// production. The same port answers CloudTrail LookupEvents (by X-Amz-Target)
// and STS AssumeRole (by the credential scope's service), so one endpoint
// stands in for every AWS API sgwatch calls.

import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ACTIONS } from "./actions/index.js";
import { CloudTrailSim, cloudTrailTarget, sendTrailAnswer } from "./cloudtrail/service.js";
import { handleAdmin } from "./admin.js";
import { parseAuthorization } from "./auth-header.js";
import { errors, SimError, simError } from "./errors.js";
import { unauthorizedMessage } from "./cloudtrail/keys.js";
import { userIdentity } from "./cloudtrail/identity.js";
import { FaultInjector, type ActiveFault } from "./faults.js";
import { requestedPage } from "./pagination.js";
import { QueryParams } from "./query-params.js";
import { SimState } from "./state.js";
import type { RoleSpec } from "./sts/roles.js";
import { answerSts, isStsRequest } from "./sts/service.js";
import type { MutationRecord, RequestRecord } from "./types.js";
import { errorDocument, responseDocument } from "./xml.js";

/** Regions DescribeRegions reports unless told otherwise. */
export const DEFAULT_REGIONS: readonly string[] = [
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
  "eu-west-1",
  "eu-central-1",
  "ap-southeast-1",
  "ap-northeast-1",
];

const MAX_BODY_BYTES = 1024 * 1024;

/** Options of startSimulator. */
export interface SimulatorOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Initial state; default empty. */
  state?: SimState;
  /** Time source for logs (also installed on the state). */
  clock?: () => Date;
  /** Regions DescribeRegions reports. */
  regions?: string[];
  /** Seed for probabilistic faults. */
  faultSeed?: number;
  /**
   * Take the caller's source address from X-Forwarded-For (first entry), as
   * behind a proxy. Off by default: only tests that need two callers from
   * different addresses on one loopback interface turn it on.
   */
  trustForwardedFor?: boolean;
  /**
   * How injected latency is waited out; default a timer. Tests hand in one
   * they release themselves, to prove a delay by the order of events rather
   * than with a stopwatch.
   */
  sleep?: (ms: number) => Promise<void>;
}

/** A running simulator. */
export interface Simulator {
  /** Base URL to give the SDK as `endpoint`. */
  readonly endpoint: string;
  /** Current state (replaced by reset()). */
  readonly state: SimState;
  /** Fault table. */
  readonly faults: FaultInjector;
  /** Every API call received, oldest first. */
  readonly requests: RequestRecord[];
  /** Every applied mutation of the current state, oldest first. */
  readonly mutations: MutationRecord[];
  /** Unexpected exceptions raised while handling calls (answered as InternalError); tests assert it stays empty. */
  readonly unexpectedErrors: unknown[];
  /** Regions DescribeRegions reports. */
  readonly regions: readonly string[];
  /** CloudTrail LookupEvents over the mutation log, with its test controls (delay, failure, identities). */
  readonly cloudtrail: CloudTrailSim;
  /** Makes requests signed with `accessKeyId` act in `accountId`. */
  mapAccessKey(accessKeyId: string, accountId: string): void;
  /** Defines (or replaces) an IAM role that STS AssumeRole hands sessions out for; throws on a malformed spec. */
  defineRole(role: RoleSpec): void;
  /** Replaces the state (empty by default) and clears faults, CloudTrail's controls, seeded records and counters, and request records. */
  reset(state?: SimState): void;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/** Starts a simulator and resolves once it is listening. */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const sim = new SimulatorServer(opts);
  await sim.listen(opts.port ?? 0, opts.host ?? "127.0.0.1");
  return sim;
}

class SimulatorServer implements Simulator {
  endpoint = "";
  state: SimState;
  readonly faults: FaultInjector;
  readonly requests: RequestRecord[] = [];
  readonly unexpectedErrors: unknown[] = [];
  readonly regions: readonly string[];
  readonly cloudtrail: CloudTrailSim;
  private readonly clock: () => Date;
  private readonly server: Server;
  private readonly trustForwardedFor: boolean;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(opts: SimulatorOptions) {
    this.clock = opts.clock ?? opts.state?.clock ?? (() => new Date());
    this.state = opts.state ?? new SimState({ clock: this.clock });
    this.state.clock = this.clock;
    this.faults = new FaultInjector(opts.faultSeed);
    this.regions = [...(opts.regions ?? DEFAULT_REGIONS)];
    this.trustForwardedFor = opts.trustForwardedFor ?? false;
    this.sleep = opts.sleep ?? timerSleep;
    this.cloudtrail = new CloudTrailSim(() => this.state, this.clock);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        this.unexpectedErrors.push(e);
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  }

  get mutations(): MutationRecord[] {
    return this.state.mutations;
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        const addr = this.server.address() as AddressInfo;
        const h = host.includes(":") ? `[${host}]` : host;
        this.endpoint = `http://${h}:${addr.port}`;
        resolve();
      });
    });
  }

  mapAccessKey(accessKeyId: string, accountId: string): void {
    this.state.accessKeys.set(accessKeyId, accountId);
  }

  defineRole(role: RoleSpec): void {
    this.state.roles.define(role);
  }

  reset(state?: SimState): void {
    this.state = state ?? new SimState({ clock: this.clock });
    this.state.clock = this.clock;
    this.faults.clear();
    this.cloudtrail.clear();
    this.requests.length = 0;
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.close((err) => (err ? reject(err) : resolve()));
      // The SDK keeps connections alive; without this, close() waits for them to idle out.
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = req.url ?? "/";
    if (url.startsWith("/__sim/")) {
      handleAdmin(this, req, res, body);
      return;
    }
    const query = url.includes("?") ? url.slice(url.indexOf("?") + 1) : "";
    const params = QueryParams.parse(req.method === "GET" ? query : body);
    const scope = parseAuthorization(header(req, "authorization"));
    const requestId = randomUUID();
    const action = params.get("Action") ?? "";
    const accessKeyId = scope?.accessKeyId ?? "";
    const account = this.state.accountForKey(accessKeyId);
    const region = scope?.region ?? this.regions[0] ?? "us-east-1";
    const forwarded = this.trustForwardedFor ? header(req, "x-forwarded-for")?.split(",")[0]?.trim() : undefined;
    // A key placed on a network (cloudtrail.keys.setNetwork) calls from there, whatever the socket says.
    const network = this.cloudtrail.keys.networkOf(accessKeyId);
    const sourceIp = network?.sourceIp ?? (forwarded || (req.socket.remoteAddress ?? ""));
    const vpcEndpointId = network?.vpcEndpointId;
    const userAgent = header(req, "user-agent") ?? "";
    const trailTarget = cloudTrailTarget(req);
    const record: RequestRecord = {
      time: this.clock().toISOString(),
      action: trailTarget?.split(".")[1] ?? action,
      accessKeyId,
      sourceIp,
      userAgent,
      region,
      account,
      status: 0,
      requestId,
    };
    this.requests.push(record);
    const sessionToken = header(req, "x-amz-security-token");
    // Temporary credentials are valid only with their own session token.
    const session = this.state.roles.session(accessKeyId);
    const badToken = session !== undefined && session.sessionToken !== sessionToken;
    if (trailTarget !== undefined) {
      // Latency faults slow CloudTrail too (the benchmark's fleet gives every
      // call the same latency); other faults are EC2-shaped and skip it.
      const { latencyMs } = this.faults.decide({ action: record.action, account, region, page: 1 }, (kind) => kind === "latency");
      if (latencyMs > 0) await this.sleep(latencyMs);
      const answer = badToken
        ? { status: 403, body: JSON.stringify({ __type: "UnrecognizedClientException", message: "The security token included in the request is invalid." }), errorCode: "UnrecognizedClientException" }
        : this.cloudtrail.answer({ target: trailTarget, accessKeyId: scope?.accessKeyId, account, region, body, requestId });
      sendTrailAnswer(res, answer, requestId);
      record.status = answer.status;
      if (answer.errorCode !== undefined) record.errorCode = answer.errorCode;
      return;
    }

    if (isStsRequest(scope?.service, params)) {
      const answer = answerSts(this.state.roles, { params, accessKeyId: scope?.accessKeyId, callerAccount: account, sessionToken, requestId, now: this.clock() });
      send(res, answer.status, answer.body, requestId);
      record.status = answer.status;
      if (answer.errorCode !== undefined) record.errorCode = answer.errorCode;
      return;
    }
    const handler = Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
    const decision = this.faults.decide(
      { action, account, region, page: requestedPage(params) },
      (kind) => kind !== "repeat-next-token" || handler?.paginated === true,
    );
    if (decision.latencyMs > 0) await this.sleep(decision.latencyMs);
    const fault = decision.fault;
    if (fault !== undefined) record.fault = fault.kind;
    if (fault?.kind === "connection-reset") {
      req.socket.destroy();
      return;
    }

    try {
      failFromFault(fault);
      if (scope === undefined) {
        throw simError("AuthFailure", "AWS was not able to validate the provided access credentials");
      }
      if (badToken) throw simError("AuthFailure", "The security token included in the request is invalid");
      if (action === "") throw simError("MissingAction", "The request must contain the parameter Action");
      if (handler === undefined) throw simError("InvalidAction", `The action ${action} is not valid for this web service.`);
      if (this.cloudtrail.keys.isDenied(accessKeyId, action, !handler.readOnly)) throw this.denied(accessKeyId, account, region, action, params);
      const inner = handler.run({
        params,
        region: this.state.account(account).region(region),
        caller: { accessKeyId, sourceIp, userAgent, requestId, action, ...(vpcEndpointId !== undefined ? { vpcEndpointId } : {}) },
        regions: this.regions,
        repeatNextToken: fault?.kind === "repeat-next-token",
      });
      let xml = responseDocument(action, requestId, inner);
      // Body faults corrupt the answer after the action ran, as a broken network would.
      if (fault?.kind === "truncated-body") xml = xml.slice(0, Math.floor(xml.length / 2));
      if (fault?.kind === "malformed-body") xml = malform(xml);
      send(res, 200, xml, requestId);
      record.status = 200;
    } catch (e) {
      let err: SimError;
      if (e instanceof SimError) err = e;
      else {
        this.unexpectedErrors.push(e);
        err = errors.internal();
      }
      send(res, err.status, errorDocument(err.code, err.message, requestId), requestId);
      record.status = err.status;
      record.errorCode = err.code;
      // CloudTrail records failed calls too (a signed call to a mutating action).
      if (handler !== undefined && !handler.readOnly && scope !== undefined) {
        this.state.recordFailedCall({
          seq: this.state.nextSeq(),
          time: record.time,
          action,
          account,
          region,
          params: params.entries(),
          accessKeyId,
          sourceIp,
          userAgent,
          requestId,
          ...(vpcEndpointId !== undefined ? { vpcEndpointId } : {}),
          errorCode: err.code,
          errorMessage: err.message,
          status: err.status,
        });
      }
    }
  }

  // UnauthorizedOperation as IAM's deny says it: who, what, on which resource, and the encoded message.
  private denied(accessKeyId: string, account: string, region: string, action: string, params: QueryParams): SimError {
    const arn = userIdentity(accessKeyId, account, this.cloudtrail.identityOf(accessKeyId), this.clock().toISOString()).arn;
    const groupId = params.get("GroupId");
    const resource = groupId !== undefined ? `arn:aws:ec2:${region}:${account}:security-group/${groupId}` : `arn:aws:ec2:${region}:${account}:*`;
    return simError("UnauthorizedOperation", unauthorizedMessage(arn, action, resource));
  }
}

function failFromFault(fault: ActiveFault | undefined): void {
  switch (fault?.kind) {
    case "throttle":
      throw simError("RequestLimitExceeded", "Request limit exceeded.");
    case "internal-error":
      throw errors.internal();
    case "auth-failure":
      throw simError("AuthFailure", "AWS was not able to validate the provided access credentials");
    case "unauthorized":
      throw simError("UnauthorizedOperation", "You are not authorized to perform this operation.");
    default:
      return;
  }
}

// Keeps the document's opening intact but breaks nesting, so only a parser
// that checks well-formedness notices.
function malform(xml: string): string {
  const cut = xml.indexOf("</requestId>");
  return cut < 0 ? `${xml}<` : `${xml.slice(0, cut)}<unclosed attr=>&bogus;</requestId><</${"x"}>`;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function send(res: ServerResponse, status: number, xml: string, requestId: string): void {
  res.writeHead(status, {
    "content-type": "text/xml;charset=UTF-8",
    "content-length": Buffer.byteLength(xml),
    "x-amzn-requestid": requestId,
    server: "AmazonEC2",
  });
  res.end(xml);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error("request body too large"));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function timerSleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
