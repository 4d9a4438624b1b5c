// An HTTP proxy running on its own thread that counts requests as they
// arrive, in memory the test thread can read — and wait on — synchronously.
// It lets a test prove that a request reached the server while the test's own
// thread was busy (a synchronous sink, say): that thread cannot run an
// in-process server's callbacks, but this proxy's thread can, so "request k+1
// arrived during sink k" is an observed order of events, not a timing guess.
import { Worker } from "node:worker_threads";

/** A running proxy on its own thread. */
export interface ArrivalProxy {
  /** Base URL to give the SDK as its endpoint. */
  readonly endpoint: string;
  /** Requests that have arrived (headers read) so far. */
  arrived(): number;
  /**
   * Blocks the calling thread until at least `n` requests have arrived or
   * `timeoutMs` has passed; true when they arrived. The timeout only bounds a
   * failing test: the passing case never waits for it.
   */
  waitForArrivals(n: number, timeoutMs: number): boolean;
  /** Sets the count back to zero. */
  reset(): void;
  /** Stops the proxy's thread. */
  close(): Promise<void>;
}

// Plain JavaScript: an eval'd worker cannot load the test's TypeScript.
const PROXY_THREAD = `
const { workerData, parentPort } = require("node:worker_threads");
const http = require("node:http");
const count = new Int32Array(workerData.shared);
const upstream = new URL(workerData.upstream);
const server = http.createServer((req, res) => {
  Atomics.add(count, 0, 1);
  Atomics.notify(count, 0);
  // A fresh upstream connection each time: no idle socket can time out while the test's thread is blocked.
  const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent: false }, (answer) => {
    // Hop-by-hop headers stay on their hop: the client keeps its connection alive, as it would with EC2.
    const headers = { ...answer.headers };
    delete headers.connection;
    delete headers["keep-alive"];
    res.writeHead(answer.statusCode || 502, headers);
    answer.pipe(res);
  });
  out.on("error", () => res.destroy());
  req.pipe(out);
});
// Never close an idle client connection: a blocked test thread must not find its kept-alive socket gone.
server.keepAliveTimeout = 0;
server.listen(0, "127.0.0.1", () => parentPort.postMessage(server.address().port));
`;

export async function startArrivalProxy(upstream: string): Promise<ArrivalProxy> {
  const shared = new SharedArrayBuffer(4);
  const count = new Int32Array(shared);
  const worker = new Worker(PROXY_THREAD, { eval: true, workerData: { shared, upstream } });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once("message", (p: number) => resolve(p));
    worker.once("error", reject);
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    arrived: () => Atomics.load(count, 0),
    waitForArrivals(n, timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const seen = Atomics.load(count, 0);
        if (seen >= n) return true;
        const left = deadline - performance.now();
        if (left <= 0) return false;
        Atomics.wait(count, 0, seen, left);
      }
    },
    reset: () => void Atomics.store(count, 0, 0),
    async close() {
      await worker.terminate();
    },
  };
}
