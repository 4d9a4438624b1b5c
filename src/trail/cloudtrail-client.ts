// The real CloudTrail client factory, in a module of its own: it imports the
// CloudTrail SDK, which clients.ts loads only with the first client (the
// sensor is off unless configured), and a fetch worker can load it by URL in
// place of a test's or the benchmark's factory (FetchWorkerData.trailClientModule).
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { awsClientConfig } from "../aws/ec2-client.js";
import type { CloudTrailClientFactory } from "./clients.js";

export const createCloudTrailClient: CloudTrailClientFactory = (spec) => new CloudTrailClient(awsClientConfig(spec));
