// An HTTP server that answers every request with one fixed body: the real
// SDK can then be pointed at any XML a test builds (fixtures, generated
// responses). Signatures are not checked.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface BodyServer {
  readonly endpoint: string;
  /** What the next requests get. */
  answer(body: string, status?: number): void;
  close(): Promise<void>;
}

export async function startBodyServer(): Promise<BodyServer> {
  let body = "";
  let status = 200;
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(status, { "content-type": "text/xml;charset=UTF-8" });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    answer(b, s = 200) {
      body = b;
      status = s;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
