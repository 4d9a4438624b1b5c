// The fleet's EC2 clients. The simulator tells accounts apart by access key, a
// real estate by the role assumed in each account; here the role's account
// picks the key. A module, not a closure, so fetch workers can load it too
// (App's fetchClientModule).
import { createEc2Client as realClient, type Ec2ClientFactory } from "../src/aws/ec2-client.js";

/** Access key of account A in the fleet's simulator: this prefix + A. */
export const FLEET_ACCESS_KEY_PREFIX = "AKIAFLEET";

export const createEc2Client: Ec2ClientFactory = (spec) => {
  const account = spec.roleArn?.split(":")[4];
  if (!account) throw new Error(`fleet client: target in ${spec.region} has no role ARN to take its account from`);
  // The role is not assumed: the simulator has no STS, and the key already names the account.
  const { roleArn: _role, ...rest } = spec;
  return realClient({ ...rest, credentials: { accessKeyId: `${FLEET_ACCESS_KEY_PREFIX}${account}`, secretAccessKey: "bench" } });
};
