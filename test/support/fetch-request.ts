// A fetch-pool request for the simulator's demo account in us-east-1, read
// by the stream reader with its interfaces, as the monitor's key: what the
// fetch-worker tests send unless they say otherwise.
import type { FetchRequest } from "../../src/aws/fetch-pool.js";
import { MONITOR } from "./sim-harness.js";

export function demoFetchRequest(endpoint: string, extra: Partial<FetchRequest> = {}): FetchRequest {
  return {
    clientKey: "123456789012/us-east-1",
    spec: { region: "us-east-1", endpoint, maxAttempts: 1, timeoutMs: 10_000, credentials: MONITOR },
    maxPages: 10,
    known: new Map(),
    interfaces: true,
    reader: "stream",
    ...extra,
  };
}
