import type { OutboxAlert } from "../../model/alert-payload.js";

/**
 * An alert channel. Adding a channel is adding one file that implements this
 * and registering it in channels/registry.ts.
 */
export interface AlertChannel {
  /** Name used in config and in the outbox's channel column. */
  readonly name: string;
  /**
   * Deliver one alert; throw to have the dispatcher retry later. `signal`
   * aborts at shutdown: a channel that cannot be interrupted must at least
   * stop being awaited.
   */
  send(alert: OutboxAlert, signal?: AbortSignal): Promise<void>;
  /** Release connections. */
  close?(): Promise<void>;
}
