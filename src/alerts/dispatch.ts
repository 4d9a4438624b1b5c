// Drains the outbox: delivers each due alert through its channel, marks it
// sent, or schedules a retry with exponential backoff and jitter. An alert
// that cannot be delivered within maxAge is marked dead and logged loudly.
import type { Database } from "better-sqlite3";
import type { Logger } from "pino";
import type { AlertChannel } from "./channels/channel.js";
import { dueAlerts, markDead, markRetry, markSent, rowToAlert } from "../store/outbox-repo.js";
import { errorMessage } from "../util/errors.js";
import type { Clock } from "../util/time.js";

/** Retry policy (alerts.retry in the config). */
export interface RetryPolicy {
  /** Delay after the first failure. */
  baseDelay: number;
  /** Longest delay between attempts. */
  maxDelay: number;
  /** Give up (mark dead) when the alert has been queued this long. */
  maxAge: number;
}

/** Counts from one dispatch run. */
export interface DispatchResult {
  sent: number;
  retried: number;
  dead: number;
}

/** Delay before attempt n+1 after n failures: exponential, capped, with ±20 % jitter. */
export function backoffDelay(failures: number, p: RetryPolicy, random: () => number = Math.random): number {
  const exp = Math.min(p.maxDelay, p.baseDelay * 2 ** Math.max(0, failures - 1));
  return Math.round(exp * (0.8 + 0.4 * random()));
}

export interface DispatchDeps {
  db: Database;
  channels: ReadonlyMap<string, AlertChannel>;
  retry: RetryPolicy;
  clock: Clock;
  logger: Logger;
  /** Stop early (shutdown). */
  signal?: AbortSignal;
}

/** Deliver every due alert once. */
export async function dispatchDue(deps: DispatchDeps): Promise<DispatchResult> {
  const result: DispatchResult = { sent: 0, retried: 0, dead: 0 };
  const { db, logger } = deps;
  for (;;) {
    const batch = dueAlerts(db, deps.clock().toISOString(), 50);
    if (batch.length === 0) break;
    for (const row of batch) {
      if (deps.signal?.aborted) return result;
      const channel = deps.channels.get(row.channel);
      const now = deps.clock();
      if (!channel) {
        // The channel was removed from the config; keep it visible rather than drop it.
        markDead(db, row.id, `channel "${row.channel}" is not configured any more`);
        logger.error({ event: "alert-dead", alertId: row.id, channel: row.channel, kind: row.kind }, `alert ${row.id} is dead: channel ${row.channel} not configured`);
        result.dead++;
        continue;
      }
      try {
        await channel.send(rowToAlert(row), deps.signal);
        markSent(db, row.id, deps.clock().toISOString());
        logger.debug({ event: "alert-sent", alertId: row.id, channel: row.channel }, "alert sent");
        result.sent++;
      } catch (err) {
        const message = errorMessage(err);
        const age = now.getTime() - Date.parse(row.queued_at);
        if (age >= deps.retry.maxAge) {
          markDead(db, row.id, message);
          logger.error(
            { event: "alert-dead", alertId: row.id, channel: row.channel, kind: row.kind, attempts: row.attempts + 1, error: message },
            `ALERT ${row.id} COULD NOT BE DELIVERED by ${row.channel} within ${Math.round(deps.retry.maxAge / 60000)} min and is now dead: ${message}. ` +
              "See `sgwatch alerts --dead`; `sgwatch alerts retry ID` re-queues it.",
          );
          result.dead++;
        } else {
          const next = new Date(now.getTime() + backoffDelay(row.attempts + 1, deps.retry));
          markRetry(db, row.id, message, next.toISOString());
          logger.warn({ event: "alert-retry", alertId: row.id, channel: row.channel, attempts: row.attempts + 1, nextAttemptAt: next.toISOString(), error: message }, "alert delivery failed; will retry");
          result.retried++;
        }
      }
    }
    // Every row handled above left the due set (sent, dead, or retry in the
    // future: delays are > 0), so this loop ends.
  }
  return result;
}
