// The fleet's CloudTrail clients, made the way bench/fleet-client.ts makes its
// EC2 clients: the role's account picks the simulator's access key for that
// account, and no role is assumed. Its own file, so the fetch workers (which
// load fleet-client.ts) do not load the CloudTrail SDK.
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { awsClientConfig } from "../src/aws/ec2-client.js";
import type { CloudTrailClientFactory } from "../src/trail/clients.js";
import { FLEET_ACCESS_KEY_PREFIX } from "./fleet-client.js";

export const createCloudTrailClient: CloudTrailClientFactory = (spec) => {
  const account = spec.roleArn?.split(":")[4];
  if (!account) throw new Error(`fleet CloudTrail client: target in ${spec.region} has no role ARN to take its account from`);
  const { roleArn: _role, ...rest } = spec;
  // cacheMiddleware as the real factory has it (src/trail/clients.ts).
  return new CloudTrailClient({ ...awsClientConfig({ ...rest, credentials: { accessKeyId: `${FLEET_ACCESS_KEY_PREFIX}${account}`, secretAccessKey: "bench" } }), cacheMiddleware: true });
};
