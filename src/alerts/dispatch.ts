// Drains the outbox: delivers each due alert through its channel, marks it
// sent, or schedules a retry with exponential backoff and jitter. An alert
// that cannot be delivered within maxAge is marked dead and logged loudly.
//
// When the outbox itself cannot be written (the database is locked, full or
// read-only), a delivered alert cannot be marked sent. It is remembered as
// delivered (DispatchMemory) so it is not sent again, and dispatch stops:
// each later run first writes down what it remembers, and sends nothing new
// until that works. Only a restart forgets, and then the re-delivery carries
// the same alert id (webhook alertId, email Message-ID) for receivers to drop.
import type { Database } from "better-sqlite3";
import type { Logger } from "pino";
import type { AlertChannel } from "./channels/channel.js";
import { dueAlerts, markDead, markRetry, markSent, rowToAlert } from "../store/outbox-repo.js";
import { errorMessage } from "../util/errors.js";
import { dbFailureReason, type DbFailureReason } from "../store/db-failure.js";
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
  /** Alerts delivered. */
  sent: number;
  /** Alerts that failed and will be retried. */
  retried: number;
  /** Alerts given up on. */
  dead: number;
  /** Set when the run stopped because the outbox could not be written. */
  stalled?: DbFailureReason;
}

/** Alerts delivered whose outbox rows could not be marked sent yet: id → when sent. Kept by the caller across runs. */
export type DispatchMemory = Map<number, string>;

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
  /** Delivered but not yet marked sent; without it a run keeps none across runs. */
  memory?: DispatchMemory;
}

/** Thrown inside a run when an outbox write fails for a database reason. */
class OutboxUnwritable extends Error {
  constructor(
    readonly reason: DbFailureReason,
    cause: unknown,
  ) {
    super(errorMessage(cause), { cause });
  }
}

/** Run an outbox write; a database failure becomes OutboxUnwritable (anything else is a bug and propagates). */
function outboxWrite(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    const reason = dbFailureReason(err);
    if (reason) throw new OutboxUnwritable(reason, err);
    throw err;
  }
}

/** Deliver every due alert once; stops (stalled) when the outbox cannot be written. */
export async function dispatchDue(deps: DispatchDeps): Promise<DispatchResult> {
  const result: DispatchResult = { sent: 0, retried: 0, dead: 0 };
  try {
    await drain(deps, result);
  } catch (err) {
    if (!(err instanceof OutboxUnwritable)) throw err;
    result.stalled = err.reason;
    deps.logger.error(
      { event: "dispatch-stalled", reason: err.reason, error: err.message, unmarked: deps.memory?.size ?? 0 },
      `alert dispatch paused: the outbox cannot be written (${err.reason}): ${err.message}; delivered alerts are remembered and not sent again`,
    );
  }
  return result;
}

async function drain(deps: DispatchDeps, result: DispatchResult): Promise<void> {
  const { db, logger } = deps;
  const memory = deps.memory ?? new Map<number, string>();
  // What was delivered but could not be marked is written down first; until it is, nothing new is sent.
  for (const [id, sentAt] of memory) {
    outboxWrite(() => markSent(db, id, sentAt));
    memory.delete(id);
  }
  for (;;) {
    const batch = dueAlerts(db, deps.clock().toISOString(), 50);
    if (batch.length === 0) break;
    for (const row of batch) {
      if (deps.signal?.aborted) return;
      const channel = deps.channels.get(row.channel);
      const now = deps.clock();
      if (!channel) {
        // The channel was removed from the config; keep it visible rather than drop it.
        outboxWrite(() => markDead(db, row.id, `channel "${row.channel}" is not configured any more`));
        logger.error({ event: "alert-dead", alertId: row.id, channel: row.channel, kind: row.kind }, `alert ${row.id} is dead: channel ${row.channel} not configured`);
        result.dead++;
        continue;
      }
      let delivered = false;
      try {
        await channel.send(rowToAlert(row), deps.signal);
        delivered = true;
      } catch (err) {
        const message = errorMessage(err);
        const age = now.getTime() - Date.parse(row.queued_at);
        if (age >= deps.retry.maxAge) {
          outboxWrite(() => markDead(db, row.id, message));
          logger.error(
            { event: "alert-dead", alertId: row.id, channel: row.channel, kind: row.kind, attempts: row.attempts + 1, error: message },
            `ALERT ${row.id} COULD NOT BE DELIVERED by ${row.channel} within ${Math.round(deps.retry.maxAge / 60000)} min and is now dead: ${message}. ` +
              "See `sgwatch alerts --dead`; `sgwatch alerts retry ID` re-queues it.",
          );
          result.dead++;
        } else {
          const next = new Date(now.getTime() + backoffDelay(row.attempts + 1, deps.retry));
          outboxWrite(() => markRetry(db, row.id, message, next.toISOString()));
          logger.warn({ event: "alert-retry", alertId: row.id, channel: row.channel, attempts: row.attempts + 1, nextAttemptAt: next.toISOString(), error: message }, "alert delivery failed; will retry");
          result.retried++;
        }
      }
      if (!delivered) continue;
      const sentAt = deps.clock().toISOString();
      result.sent++;
      // Remembered before the write, so a failed write cannot lead to a resend.
      memory.set(row.id, sentAt);
      outboxWrite(() => markSent(db, row.id, sentAt));
      memory.delete(row.id);
      logger.debug({ event: "alert-sent", alertId: row.id, channel: row.channel }, "alert sent");
    }
    // Every row handled above left the due set (sent, dead, or retry in the
    // future: delays are > 0), so this loop ends.
  }
}
