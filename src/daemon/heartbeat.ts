// Who watches the watcher: an optional ping to an external dead-man's switch
// (healthchecks.io, a Cronitor or Uptime Kuma push URL, a PagerDuty
// heartbeat) after fully successful cycles. When the daemon dies, hangs or
// stops recording, the pings stop and the receiver raises the alarm, which
// nothing inside the container can do for a dead process.
// A ping is never awaited by the cycle, has a short timeout, and at most one
// is in flight: a slow receiver neither delays polling nor piles up pings.
// The URL often carries a secret token, so only its origin is ever logged.
import type { Logger } from "pino";
import { errorMessage } from "../util/errors.js";

/** What to ping, and how often (config `heartbeat`, resolved). */
export interface HeartbeatOptions {
  /** The full URL, token included. */
  url: string;
  /** GET or POST (an empty body). */
  method: "GET" | "POST";
  /** Ping after every this many fully successful cycles. */
  everyCycles: number;
  /** Per-ping timeout in milliseconds. */
  timeoutMs: number;
  /** Where failures are reported (origin only). */
  logger: Logger;
}

/** The URL's origin: what may be logged of it. */
export function heartbeatOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "the configured URL";
  }
}

export class Heartbeat {
  private successes = 0;
  private inFlight: Promise<void> | null = null;
  private readonly stop = new AbortController();

  constructor(private readonly opts: HeartbeatOptions) {}

  /** Count a cycle; a fully successful one may start a ping. Returns at once. */
  afterCycle(fullySuccessful: boolean): void {
    if (!fullySuccessful || this.stop.signal.aborted) return;
    this.successes++;
    if (this.successes % this.opts.everyCycles !== 0) return;
    if (this.inFlight) {
      this.opts.logger.warn({ event: "heartbeat-skipped", to: heartbeatOrigin(this.opts.url) }, "previous heartbeat still in flight; this one is skipped");
      return;
    }
    this.inFlight = this.ping().finally(() => {
      this.inFlight = null;
    });
  }

  private async ping(): Promise<void> {
    const to = heartbeatOrigin(this.opts.url);
    const timeout = AbortSignal.timeout(this.opts.timeoutMs);
    try {
      const res = await fetch(this.opts.url, { method: this.opts.method, signal: AbortSignal.any([timeout, this.stop.signal]), redirect: "manual", headers: { "user-agent": "sgwatch" } });
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) throw new Error(`answered HTTP ${res.status}`);
      this.opts.logger.debug({ event: "heartbeat-sent", to }, `heartbeat sent to ${to}`);
    } catch (err) {
      if (this.stop.signal.aborted) return;
      // fetch's own message is "fetch failed"; the reason is its cause. Neither holds the URL.
      const cause = err instanceof Error && err.cause !== undefined ? `: ${errorMessage(err.cause)}` : "";
      const why = timeout.aborted ? `timed out after ${this.opts.timeoutMs} ms` : `${errorMessage(err)}${cause}`;
      this.opts.logger.warn({ event: "heartbeat-failed", to, error: why }, `heartbeat to ${to} failed: ${why}`);
    }
  }

  /** Resolves when no ping is in flight. */
  async settled(): Promise<void> {
    await this.inFlight;
  }

  /** Abandon a ping in flight and send no more. */
  async close(): Promise<void> {
    this.stop.abort();
    await this.inFlight;
  }
}
