// Proves the WAL does not grow without bound, with App in-process doing what
// the daemon's tick does (cycle, dispatch, checkpoint — daemon.ts) and real
// drift in every cycle so every cycle writes:
// - while a second connection holds a read transaction (a person in the
//   sqlite3 shell), the daemon keeps recording polls, and the -wal file
//   grows, since no checkpoint may pass the reader's snapshot;
// - once the reader ends, the next cycle's checkpoint copies every frame
//   back, and from then on the -wal file is reused from its start: over
//   further cycles it stays no larger than it was;
// - with no reader, every tick's checkpoint empties the -wal file, so heavy
//   change never leaves it at the size of its largest burst;
// - the connection sets journal_size_limit to 64 MiB. (That SQLite then cuts
//   a WAL larger than the limit back to it is SQLite's behaviour and is not
//   re-proven here: growing a 64 MiB WAL would make the test slow.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { statSync } from "node:fs";
import BetterSqlite3, { type Database } from "better-sqlite3";
import { startAppWorld, type AppWorld } from "../support/app-world.js";
import { TEST_ACCOUNT } from "../support/config-file.js";

const FIVE_MIN = 5 * 60_000;
const JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024;

describe("WAL checkpointing bounds the -wal file", { timeout: 60_000 }, () => {
  let w: AppWorld;
  let port = 20_000;

  beforeAll(async () => {
    w = await startAppWorld();
    await tick(); // baseline
  });

  afterAll(async () => {
    await w?.close();
  });

  const walSize = (): number => statSync(`${w.files.databasePath}-wal`).size;
  const polls = (db: Database): number => (db.prepare("SELECT count(*) AS n FROM polls").get() as { n: number }).n;

  /** One daemon tick, after a world-open rule is added so the cycle has something to write. */
  async function tick(): Promise<void> {
    w.harness.sim.state
      .account(TEST_ACCOUNT)
      .region("us-east-1")
      .authorizeIngress(w.harness.demo.groups.app, [{ ipProtocol: "tcp", fromPort: port, toPort: port, ipRanges: [{ cidrIp: "0.0.0.0/0" }] }]);
    port++;
    w.clock.advance(FIVE_MIN);
    const r = await w.app.cycle();
    expect(r.targets[0]?.ok).toBe(true);
    await w.app.dispatch();
    w.app.checkpoint();
  }

  it("sets journal_size_limit to 64 MiB", () => {
    expect(w.app.db.pragma("journal_size_limit", { simple: true })).toBe(JOURNAL_SIZE_LIMIT);
  });

  it("is emptied by every tick's checkpoint while no reader holds it", async () => {
    // A burst: a hundred world-open rules in one cycle writes many pages.
    const ranges = Array.from({ length: 100 }, (_, i) => ({ cidrIp: `198.51.${Math.floor(i / 50)}.${(i % 50) * 4}/30` }));
    w.harness.sim.state.account(TEST_ACCOUNT).region("us-east-1").authorizeIngress(w.harness.demo.groups.web, [{ ipProtocol: "tcp", fromPort: 9000, toPort: 9000, ipRanges: ranges }]);
    const sizes: number[] = [];
    for (let i = 0; i < 3; i++) {
      await tick();
      sizes.push(walSize());
    }
    expect(sizes).toEqual([0, 0, 0]);
  });

  it("grows while a reader holds a read transaction, then stays bounded after it ends", async () => {
    // Start from an empty -wal file (the baseline's large write left it big,
    // and SQLite reuses a file without shrinking it below journal_size_limit),
    // so that its size shows how many frames each tick adds.
    w.app.db.pragma("wal_checkpoint(TRUNCATE)");
    expect(walSize()).toBe(0);
    await tick();
    await tick();
    const settled = walSize();

    const reader = new BetterSqlite3(w.files.databasePath, { readonly: true });
    const held: number[] = [];
    try {
      reader.exec("BEGIN");
      const seen = polls(reader); // the read transaction starts here
      for (let i = 0; i < 6; i++) {
        await tick();
        held.push(walSize());
      }
      // The daemon went on recording; the reader still sees its snapshot.
      expect(polls(w.reader)).toBe(seen + 6);
      expect(polls(reader)).toBe(seen);
      reader.exec("COMMIT");
    } finally {
      reader.close();
    }
    for (let i = 1; i < held.length; i++) expect(held[i]).toBeGreaterThan(held[i - 1] as number);
    const peak = held[held.length - 1] as number;
    expect(peak).toBeGreaterThan(settled);

    // The reader is gone: the next cycle still appends, then its checkpoint
    // copies every frame back…
    await tick();
    const reclaimed = walSize();
    // …so later cycles reuse the file from its start instead of appending.
    const after: number[] = [];
    for (let i = 0; i < 8; i++) {
      await tick();
      after.push(walSize());
    }
    expect(Math.max(...after)).toBeLessThanOrEqual(reclaimed);
    expect(after[after.length - 1]).toBe(after[0]);
    expect(reclaimed).toBeLessThanOrEqual(JOURNAL_SIZE_LIMIT);
  });
});
