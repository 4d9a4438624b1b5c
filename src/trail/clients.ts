// CloudTrail clients for the sweep, one per account × region, with the real
// CloudTrailClient (region, endpoint and credentials as the target's EC2
// client has them). The sweep is the only reader of CloudTrail: attribution
// reads what it stored (trail_events), so each event is fetched once.
//
// The CloudTrail SDK is loaded on the first client: the sensor is off unless
// configured, and the client's code is some 15 MB of a daemon's resident memory.
import type { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { awsClientConfig, type ClientSpec } from "../aws/ec2-client.js";
import type { ResolvedTarget } from "../config/targets.js";
import { sharedAgents } from "../aws/shared-agents.js";

/** Makes CloudTrail clients (the real factory, or one with test settings). */
export type CloudTrailClientFactory = (spec: ClientSpec) => CloudTrailClient;

/** The real client factory (loads the SDK). */
export async function cloudTrailClientFactory(): Promise<CloudTrailClientFactory> {
  const { CloudTrailClient } = await import("@aws-sdk/client-cloudtrail");
  // cacheMiddleware: the stack is resolved once per command class, not per call (aws/cached-send.ts).
  return (spec) => new CloudTrailClient({ ...awsClientConfig(spec), cacheMiddleware: true });
}

/** The account × region a client reads, with the endpoint and role its config gives it. */
export type TrailTarget = Pick<ResolvedTarget, "account" | "region" | "endpoint" | "roleArn" | "externalId">;

/** Options of cloudTrailClients. */
export interface CloudTrailClientsOptions {
  /** Retry budget per call. */
  maxAttempts: number;
  /** Per-request timeout in ms. */
  timeoutMs: number;
  /** Explicit credentials (tests, the demo); else the default chain or the target's role. */
  credentials?: ClientSpec["credentials"];
  /** Default: cloudTrailClientFactory(). */
  clientFactory?: CloudTrailClientFactory;
}

/** One CloudTrail client per account × region, kept until close(). */
export function cloudTrailClients(opts: CloudTrailClientsOptions): { clientFor(t: TrailTarget): Promise<CloudTrailClient>; close(): void } {
  const clients = new Map<string, CloudTrailClient>();
  // One connection pool for all of them: a quiet sweep is one call a target,
  // and targets in one region call one CloudTrail host (shared-agents.ts).
  const agents = sharedAgents();
  let factory: CloudTrailClientFactory | undefined = opts.clientFactory;
  return {
    clientFor: async (t) => {
      factory ??= await cloudTrailClientFactory();
      const key = `${t.account}/${t.region}`;
      let c = clients.get(key);
      if (c === undefined) {
        // The target as the caller resolved it: looking it up again in the
        // whole config made a fleet's first sweep quadratic in its targets.
        c = factory({
          region: t.region,
          ...(t.endpoint ? { endpoint: t.endpoint } : {}),
          ...(t.roleArn ? { roleArn: t.roleArn } : {}),
          ...(t.externalId ? { externalId: t.externalId } : {}),
          maxAttempts: opts.maxAttempts,
          timeoutMs: opts.timeoutMs,
          ...(opts.credentials ? { credentials: opts.credentials } : {}),
          agents,
        });
        clients.set(key, c);
      }
      return c;
    },
    close: () => {
      for (const c of clients.values()) c.destroy();
      clients.clear();
      agents.close();
    },
  };
}
