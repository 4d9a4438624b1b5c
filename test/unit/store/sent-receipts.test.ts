// Delivered alerts are receipts, kept on a real SQLite file for
// alerts.keepSent; a delivered reminder's receipt goes sooner, once a later
// reminder in the same thread (a digest: the channel's next digest) reached
// the same channel (it said the same again). Pending and dead alerts are
// never pruned.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "better-sqlite3";
import { openDatabase } from "../../../src/store/open.js";
import { enqueueAlert, markSent, markDead } from "../../../src/store/outbox-repo.js";
import { followUp } from "../../../src/store/follow-up.js";
import type { AlertPayload } from "../../../src/model/alert-payload.js";
import { makeTempDir, type TempDir } from "../../support/temp-dir.js";

const DAY = 86_400_000;
const T0 = Date.parse("2026-11-01T09:00:00.000Z");
const at = (days: number): string => new Date(T0 + days * DAY).toISOString();

let dir: TempDir;
let db: Database;

beforeEach(() => {
  dir = makeTempDir();
  db = openDatabase(dir.join("receipts.db")).db;
});
afterEach(() => {
  db.close();
  dir.remove();
});

/** A reminder in the thread of poll `pollId`'s drift alert (no changes behind it: follow-up finds nothing open). */
function reminder(pollId: number, note: string): AlertPayload {
  return {
    type: "reminder",
    thread: { pollId, detectedAt: at(-1), subject: `[sgwatch] CRITICAL ${note}`, messageKey: null },
    items: [],
  } as unknown as AlertPayload;
}

function queue(channel: string, payload: AlertPayload, day: number, outcome: "sent" | "dead" | "pending"): number {
  const id = enqueueAlert(db, channel, "critical", payload, at(day));
  if (outcome === "sent") markSent(db, id, at(day));
  if (outcome === "dead") markDead(db, id, "550 mailbox unavailable");
  return id;
}

const kept = (): number[] => (db.prepare("SELECT id FROM outbox ORDER BY id").pluck().all() as number[]);
const followUpAt = (day: number): void => {
  followUp(db, new Date(T0 + day * DAY), { remindEveryMs: DAY, keepSentMs: 30 * DAY, reminderDigestAbove: 10, route: () => [] });
};

describe("delivered alerts' receipts", () => {
  it("keeps the last delivered reminder of each thread and channel, and drops the ones it repeats", () => {
    const a1 = queue("email", reminder(7, "a"), 1, "sent");
    const a2 = queue("email", reminder(7, "a"), 2, "sent");
    const a3 = queue("email", reminder(7, "a"), 3, "sent");
    const log1 = queue("log", reminder(7, "a"), 1, "sent");
    const b1 = queue("email", reminder(8, "b"), 1, "sent");
    const drift = queue("email", { type: "drift" } as unknown as AlertPayload, 1, "sent");
    followUpAt(3);
    // Thread 7 on email: only day 3's; on log its only one; thread 8's only one; other kinds untouched.
    expect(kept()).toEqual([log1, b1, drift, a3].sort((x, y) => x - y));
    expect(kept()).not.toContain(a1);
    expect(kept()).not.toContain(a2);
  });

  it("lets only a delivered reminder supersede: a later one pending or dead leaves the last delivered receipt", () => {
    const sent = queue("email", reminder(7, "a"), 1, "sent");
    const dead = queue("email", reminder(7, "a"), 2, "dead");
    const pending = queue("email", reminder(7, "a"), 3, "pending");
    followUpAt(3);
    expect(kept()).toEqual([sent, dead, pending]);
  });

  it("keeps the last delivered reminder digest of each channel; a digest supersedes no thread's reply and no reminder from before threads", () => {
    const digest = (incidents: number): AlertPayload => ({ type: "reminder", digest: { incidents, above: 10 }, items: [] }) as unknown as AlertPayload;
    const legacy = queue("email", { type: "reminder", items: [] } as unknown as AlertPayload, 1, "sent");
    const reply = queue("email", reminder(7, "a"), 1, "sent");
    const d1 = queue("email", digest(40), 2, "sent");
    const d2 = queue("email", digest(41), 3, "sent");
    const hook = queue("webhook", digest(40), 2, "sent");
    followUpAt(3);
    expect(kept()).toEqual([legacy, reply, d2, hook].sort((x, y) => x - y));
    expect(kept()).not.toContain(d1);
  });

  it("keeps reminders without a thread (from before alerts had threads) until keepSent, and drops every receipt older than it", () => {
    const legacy = (n: number): AlertPayload => ({ type: "reminder", items: [{ n }] }) as unknown as AlertPayload;
    const old1 = queue("email", legacy(1), 0, "sent");
    const old2 = queue("email", legacy(2), 1, "sent");
    const recent = queue("email", reminder(9, "c"), 29, "sent");
    const stuck = queue("email", reminder(10, "d"), 0, "pending");
    followUpAt(30.5);
    // Day 0's receipt is past keepSent (30 days); day 1's is not yet, and no threadless reminder supersedes another.
    expect(kept()).toEqual([old2, recent, stuck]);
    expect(kept()).not.toContain(old1);
  });
});
