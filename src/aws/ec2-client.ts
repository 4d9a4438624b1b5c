// Builds one EC2 client per account × region. Credentials: the SDK's default
// chain, or a role assumed with the SDK's own credential provider.
import { EC2Client } from "@aws-sdk/client-ec2";
import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@aws-sdk/types";

/** What a client needs to know. */
export interface ClientSpec {
  /** AWS region. */
  region: string;
  /** Override endpoint (the simulator, or another EC2-compatible API). */
  endpoint?: string;
  /** Role to assume, if any. */
  roleArn?: string;
  /** External id for the role's trust policy, if any. */
  externalId?: string;
  /** Retry budget per call (adaptive mode: backoff with jitter, client-side rate limiting). */
  maxAttempts: number;
  /** Per-request timeout in ms. */
  timeoutMs: number;
  /** Explicit credentials (tests, the demo); otherwise the default chain. */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}

export type Ec2ClientFactory = (spec: ClientSpec) => EC2Client;

/**
 * The settings every AWS client of sgwatch shares (EC2, CloudTrail): region,
 * endpoint, credentials (explicit, the assumed role, or the default chain),
 * adaptive retries, and a per-request timeout that really fails the request.
 */
export function awsClientConfig(spec: ClientSpec) {
  const credentials =
    spec.credentials ??
    (spec.roleArn
      ? fromTemporaryCredentials({
          params: { RoleArn: spec.roleArn, RoleSessionName: "sgwatch", ...(spec.externalId ? { ExternalId: spec.externalId } : {}) },
          clientConfig: { region: spec.region },
        })
      : undefined);
  return {
    region: spec.region,
    ...(spec.endpoint ? { endpoint: spec.endpoint } : {}),
    ...(credentials ? { credentials } : {}),
    maxAttempts: spec.maxAttempts,
    retryMode: "adaptive",
    // throwOnRequestTimeout: without it the SDK only logs a warning and waits on.
    requestHandler: { requestTimeout: spec.timeoutMs, connectionTimeout: Math.min(spec.timeoutMs, 10_000), throwOnRequestTimeout: true },
  } as const;
}

export const createEc2Client: Ec2ClientFactory = (spec) => new EC2Client(awsClientConfig(spec));
