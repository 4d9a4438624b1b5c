import type { OutboxAlert } from "../payload.js";

/**
 * An alert channel. Adding a channel is adding one file that implements this
 * and registering it in channels/registry.ts.
 */
export interface AlertChannel {
  /** Name used in config and in the outbox's channel column. */
  readonly name: string;
  /** Deliver one alert; throw to have the dispatcher retry later. */
  send(alert: OutboxAlert): Promise<void>;
  /** Release connections. */
  close?(): Promise<void>;
}
