// A plain HTTP proxy in front of the simulator that counts, per EC2 action,
// how many requests are in flight at once (from the moment the request
// arrives until the simulator's answer has been passed on). Point a target's
// endpoint at it to see what sgwatch does to the server, not what it meant to.
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A running proxy. */
export interface CountingProxy {
  /** Base URL to give sgwatch as a target endpoint. */
  readonly endpoint: string;
  /** Requests of `action` in flight right now. */
  inFlight(action: string): number;
  /** The most requests of `action` ever in flight at once. */
  peak(action: string): number;
  /** Requests of `action` seen so far. */
  total(action: string): number;
  /** TCP connections accepted so far (what a client's connection reuse saves shows here). */
  connections(): number;
  close(): Promise<void>;
}

function actionOf(req: IncomingMessage, body: string): string {
  const query = req.url?.includes("?") ? req.url.slice(req.url.indexOf("?") + 1) : "";
  return new URLSearchParams(req.method === "GET" ? query : body).get("Action") ?? "";
}

export async function startCountingProxy(upstream: string): Promise<CountingProxy> {
  const target = new URL(upstream);
  const now = new Map<string, number>();
  const peaks = new Map<string, number>();
  const totals = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const action = actionOf(req, body.toString("utf8"));
      const n = (now.get(action) ?? 0) + 1;
      now.set(action, n);
      peaks.set(action, Math.max(peaks.get(action) ?? 0, n));
      totals.set(action, (totals.get(action) ?? 0) + 1);
      let ended = false;
      const end = (): void => {
        if (ended) return;
        ended = true;
        now.set(action, (now.get(action) ?? 1) - 1);
      };
      const up = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.on("end", end);
          answer.on("error", end);
        },
      );
      up.on("error", () => {
        end();
        res.destroy();
      });
      res.on("close", end);
      up.end(body);
    });
  });
  let connections = 0;
  server.on("connection", () => void connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    inFlight: (a) => now.get(a) ?? 0,
    peak: (a) => peaks.get(a) ?? 0,
    total: (a) => totals.get(a) ?? 0,
    connections: () => connections,
    close: () =>
      new Promise((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
