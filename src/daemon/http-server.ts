// The optional HTTP listener (config `http`): /healthz for Docker and load
// balancers, /metrics for Prometheus. Bound to 127.0.0.1 unless configured
// otherwise: neither endpoint needs to be reachable from outside the host for
// a HEALTHCHECK, and the metrics name accounts and regions.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { HealthReport } from "./health.js";
import { UserError, errorMessage } from "../util/errors.js";

/** The listener's default address. */
export const DEFAULT_HTTP_HOST = "127.0.0.1";

/** What /metrics serves. */
export interface MetricsSource {
  /** Content-Type of the text. */
  readonly contentType: string;
  /** The exposition text. */
  render(): Promise<string>;
}

/** Options for startHttpServer. */
export interface HttpServerOptions {
  /** Address to bind; default 127.0.0.1. */
  host?: string;
  /** Port; 0 picks a free one (tests). */
  port: number;
  /** Computes the verdict for /healthz, per request. */
  health: () => HealthReport;
  /** Serves /metrics. */
  metrics: MetricsSource;
  /** Told about a request that failed inside (a closed database, say); default: ignored. */
  onError?: (err: unknown, path: string) => void;
}

/** A running listener. */
export interface HttpServer {
  /** The bound port (the real one when 0 was asked for). */
  readonly port: number;
  /** Stop listening and drop open connections. */
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, contentType: string, body: string, head: boolean): void {
  res.writeHead(status, {
    "content-type": contentType,
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  });
  res.end(head ? undefined : body);
}

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
const JSON_TYPE = "application/json; charset=utf-8";

async function handle(opts: HttpServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  const head = req.method === "HEAD";
  if (path !== "/healthz" && path !== "/metrics") return send(res, 404, JSON_TYPE, json({ error: "not found", endpoints: ["/healthz", "/metrics"] }), head);
  if (req.method !== "GET" && !head) {
    res.setHeader("allow", "GET, HEAD");
    return send(res, 405, JSON_TYPE, json({ error: "method not allowed" }), false);
  }
  try {
    if (path === "/healthz") {
      const report = opts.health();
      return send(res, report.healthy ? 200 : 503, JSON_TYPE, json({ status: report.healthy ? "ok" : "unhealthy", ...report }), head);
    }
    const text = await opts.metrics.render();
    return send(res, 200, opts.metrics.contentType, text, head);
  } catch (err) {
    opts.onError?.(err, path);
    // Unhealthy, not "unknown": a probe that cannot read the database must fail.
    return send(res, path === "/healthz" ? 503 : 500, JSON_TYPE, json({ status: "error", error: errorMessage(err) }), head);
  }
}

/** Start listening; rejects (naming http.host/http.port) when the address cannot be bound. */
export function startHttpServer(opts: HttpServerOptions): Promise<HttpServer> {
  const host = opts.host ?? DEFAULT_HTTP_HOST;
  const server = createServer((req, res) => {
    handle(opts, req, res).catch((err: unknown) => {
      opts.onError?.(err, req.url ?? "");
      if (!res.headersSent) res.destroy();
    });
  });
  return new Promise((resolve, reject) => {
    const onListenError = (err: NodeJS.ErrnoException): void => {
      reject(new UserError(`cannot listen on ${host}:${opts.port} (config http.host/http.port): ${err.code ?? errorMessage(err)}`, undefined, { cause: err }));
    };
    server.once("error", onListenError);
    server.listen(opts.port, host, () => {
      server.off("error", onListenError);
      const port = (server.address() as AddressInfo).port;
      resolve({
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // Keep-alive connections (a Prometheus scraper's) would hold close() open.
            server.closeAllConnections();
          }),
      });
    });
  });
}
