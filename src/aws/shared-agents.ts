// One pair of keep-alive HTTP(S) agents shared by many SDK clients.
//
// Each SDK client otherwise makes its own agent, and sgwatch has a client per
// account × region: on a fleet, every call of a cycle then opens a connection
// of its own (a TLS handshake against AWS, by far the largest CPU cost of a
// small call), because a client's one idle socket is closed by the server
// long before the next cycle. Clients of one service in one region talk to
// the same host, so one pool lets a cycle's calls reuse a few connections.
//
// The SDK's handler destroys "its" agent when a client is destroyed, even an
// agent it was given; a reload that drops one target's client must not cut
// the connections of every other client in flight. So these agents ignore
// destroy(), and their owner ends them with close().
import { Agent as HttpAgent, type AgentOptions } from "node:http";
import { Agent as HttpsAgent } from "node:https";

class KeptHttpAgent extends HttpAgent {
  override destroy(): void {}
  close(): void {
    super.destroy();
  }
}

class KeptHttpsAgent extends HttpsAgent {
  override destroy(): void {}
  close(): void {
    super.destroy();
  }
}

/** Agents for the SDK's request handler (`httpAgent`, `httpsAgent`), shared by the clients given them. */
export interface SharedAgents {
  httpAgent: HttpAgent;
  httpsAgent: HttpsAgent;
  /** Ends every pooled connection; the agents still work if used again. */
  close(): void;
}

/**
 * Keep-alive agents for many clients. No cap on connections per host by
 * default: sgwatch's own concurrency (and the sweep's) bounds the calls in
 * flight, and a cap here would queue calls inside the agent, where the SDK's
 * connection timeout does not see them.
 */
export function sharedAgents(maxSockets = Infinity): SharedAgents {
  const options: AgentOptions = { keepAlive: true, maxSockets };
  const httpAgent = new KeptHttpAgent(options);
  const httpsAgent = new KeptHttpsAgent(options);
  return {
    httpAgent,
    httpsAgent,
    close: () => {
      httpAgent.close();
      httpsAgent.close();
    },
  };
}
