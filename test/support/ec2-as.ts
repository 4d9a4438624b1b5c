// A real EC2 client acting as a given person: their keys, their user agent,
// and their source address (sent as X-Forwarded-For, which the simulator
// honours only when started with trustForwardedFor).
import { EC2Client } from "@aws-sdk/client-ec2";
import type { Simulator } from "../../src/sim/server.js";
import type { Credentials } from "./sim-harness.js";

export function ec2As(sim: Simulator, who: Credentials, ip: string, agent: string, region = "us-east-1"): EC2Client {
  const c = new EC2Client({ region, endpoint: sim.endpoint, credentials: who, maxAttempts: 1, customUserAgent: agent });
  c.middlewareStack.add(
    (next) => async (args) => {
      const req = args.request as { headers?: Record<string, string> };
      if (req.headers) req.headers["x-forwarded-for"] = ip;
      return next(args);
    },
    { step: "build", name: "testForwardedFor" },
  );
  return c;
}
