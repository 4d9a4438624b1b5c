// Builds one EC2 client per account × region. Credentials: the SDK's default
// chain (or explicit ones), or a role assumed with them through the SDK's own
// credential provider.
import { EC2Client } from "@aws-sdk/client-ec2";
import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@aws-sdk/types";
import type { SharedAgents } from "./shared-agents.js";

/** What a client needs to know. */
export interface ClientSpec {
  /** AWS region; also picks the partition (aws, aws-cn, aws-us-gov) of every endpoint. */
  region: string;
  /**
   * Override endpoint for every AWS API sgwatch calls for this target: EC2,
   * CloudTrail, and STS when a role is assumed (the simulator serves all three).
   */
  endpoint?: string;
  /** Role to assume, if any. */
  roleArn?: string;
  /** External id for the role's trust policy, if any. */
  externalId?: string;
  /** Retry budget per call (adaptive mode: backoff with jitter, client-side rate limiting). */
  maxAttempts: number;
  /** Per-request timeout in ms. */
  timeoutMs: number;
  /**
   * Explicit credentials (tests, the demo); otherwise the default chain. With
   * roleArn they are the identity that assumes the role, as the default chain
   * would be.
   */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Connection pools shared with other clients (shared-agents.ts); otherwise the client makes its own. */
  agents?: Pick<SharedAgents, "httpAgent" | "httpsAgent">;
}

export type Ec2ClientFactory = (spec: ClientSpec) => EC2Client;

/**
 * The settings every AWS client of sgwatch shares (EC2, CloudTrail): region,
 * endpoint, credentials (the assumed role, explicit ones, or the default
 * chain), adaptive retries, and a per-request timeout that really fails the
 * request.
 */
export function awsClientConfig(spec: ClientSpec) {
  // STS is asked in the target's region, so an aws-cn or aws-us-gov target
  // assumes its role in its own partition, and through the target's endpoint
  // when one is set (the simulator answers AssumeRole too).
  const credentials = spec.roleArn
    ? fromTemporaryCredentials({
        ...(spec.credentials ? { masterCredentials: spec.credentials } : {}),
        params: { RoleArn: spec.roleArn, RoleSessionName: "sgwatch", ...(spec.externalId ? { ExternalId: spec.externalId } : {}) },
        clientConfig: { region: spec.region, maxAttempts: spec.maxAttempts, ...(spec.endpoint ? { endpoint: spec.endpoint } : {}) },
      })
    : spec.credentials;
  return {
    region: spec.region,
    ...(spec.endpoint ? { endpoint: spec.endpoint } : {}),
    ...(credentials ? { credentials } : {}),
    maxAttempts: spec.maxAttempts,
    retryMode: "adaptive",
    // throwOnRequestTimeout: without it the SDK only logs a warning and waits on.
    requestHandler: {
      requestTimeout: spec.timeoutMs,
      connectionTimeout: Math.min(spec.timeoutMs, 10_000),
      throwOnRequestTimeout: true,
      ...(spec.agents ? { httpAgent: spec.agents.httpAgent, httpsAgent: spec.agents.httpsAgent } : {}),
    },
  } as const;
}

/**
 * cacheMiddleware: the middleware stack is resolved once per command class,
 * not on every call; the collectors send through cached-send.ts, which keeps
 * each call's abort signal working on such a client.
 */
export const createEc2Client: Ec2ClientFactory = (spec) => new EC2Client({ ...awsClientConfig(spec), cacheMiddleware: true });
