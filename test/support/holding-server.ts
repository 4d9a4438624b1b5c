// A real HTTP server that answers each request at once, or, while `hold` is
// set, keeps it unanswered until the test answers or drops it: for tests that
// abort a request while the server holds it (shown by event order: a test
// awaits the request's arrival, then aborts), and a count of an SDK client's
// stack resolutions: what the cached-send tests need.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the server received: its body, and the response to write. */
export interface HeldRequest {
  body: string;
  res: ServerResponse;
}

export interface HoldingServer {
  endpoint: string;
  /** While true, requests are held (in `held`, in arrival order) instead of answered. */
  hold: boolean;
  held: HeldRequest[];
  /** Resolves when the next request has arrived (and been answered or held). */
  nextArrival(): Promise<void>;
  /** Drops every held request (an earlier step's, aborted by its client), so each step answers its own. */
  dropHeld(): void;
  close(): Promise<void>;
}

/**
 * Starts a server on 127.0.0.1. `answer` writes a request's response when it
 * is not held (and when the test answers a held one); `intercept`, if given,
 * may answer a request first (returning true), held or not.
 */
export async function startHoldingServer(answer: (r: HeldRequest) => void, intercept?: (r: HeldRequest) => boolean): Promise<HoldingServer> {
  const arrived: Array<() => void> = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => {
      const r = { body, res };
      if (intercept?.(r)) {
        // answered by the test's rule
      } else if (s.hold) s.held.push(r);
      else answer(r);
      arrived.shift()?.();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const s: HoldingServer = {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hold: false,
    held: [],
    nextArrival: () => new Promise((r) => arrived.push(r)),
    dropHeld: () => {
      for (const h of s.held.splice(0)) h.res.destroy();
    },
    close: async () => {
      s.dropHeld();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  return s;
}

/** A client's middleware stack, as far as counting its resolutions needs. */
interface Stacked {
  middlewareStack: { add(mw: (next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>, opts: { step: "initialize"; name: string }): void };
}

/**
 * Counts how often the SDK resolves `client`'s middleware stack: the outer
 * function of a middleware runs on each resolution, the inner one on every
 * call. With cacheMiddleware, once per command class.
 */
export function countStackResolves(client: object): () => number {
  let resolved = 0;
  (client as Stacked).middlewareStack.add(
    (next) => {
      resolved++;
      return (args) => next(args);
    },
    { step: "initialize", name: "testCountResolves" },
  );
  return () => resolved;
}
