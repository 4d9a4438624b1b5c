// withLockWait: a locked write is retried with doubling delays, capped, until
// timeoutMs of waiting has passed; then the lock error is thrown. Anything
// else is thrown at once. Real SqliteErrors from a second connection holding
// BEGIN IMMEDIATE on a real file; time through an injected sleep.
import { afterEach, describe, expect, it } from "vitest";
import BetterSqlite3, { type Database } from "better-sqlite3";
import { withLockWait } from "../../../src/store/lock-wait.js";
import { makeTempDir, type TempDir } from "../../support/temp-dir.js";

describe("withLockWait", () => {
  let tmp: TempDir;
  let a: Database;
  let b: Database;
  const open = (): void => {
    tmp = makeTempDir();
    a = new BetterSqlite3(tmp.join("x.db"));
    a.pragma("journal_mode = WAL");
    a.pragma("busy_timeout = 0");
    a.exec("CREATE TABLE t (v INTEGER)");
    b = new BetterSqlite3(tmp.join("x.db"));
  };
  afterEach(() => {
    b?.close();
    a?.close();
    tmp?.remove();
  });

  it("gives up after timeoutMs of waiting, with doubling delays capped at maxDelayMs", async () => {
    open();
    b.exec("BEGIN IMMEDIATE");
    const delays: number[] = [];
    const insert = a.prepare("INSERT INTO t VALUES (1)");
    await expect(withLockWait(() => insert.run(), { timeoutMs: 1_000, maxDelayMs: 300, sleep: async (ms) => void delays.push(ms) })).rejects.toMatchObject({ code: "SQLITE_BUSY" });
    expect(delays).toEqual([50, 100, 200, 300, 300, 50]);
    expect(delays.reduce((n, d) => n + d, 0)).toBe(1_000);
  });

  it("returns the write's result once the lock is released", async () => {
    open();
    b.exec("BEGIN IMMEDIATE");
    const insert = a.prepare("INSERT INTO t VALUES (2)");
    const info = await withLockWait(() => insert.run(), { timeoutMs: 10_000, sleep: async () => void b.exec("COMMIT") });
    expect(info.changes).toBe(1);
  });

  it("throws anything but a lock at once", async () => {
    open();
    const delays: number[] = [];
    await expect(withLockWait(() => a.exec("INSERT INTO nope VALUES (1)"), { timeoutMs: 1_000, sleep: async (ms) => void delays.push(ms) })).rejects.toThrow(/no such table/);
    expect(delays).toEqual([]);
  });
});
