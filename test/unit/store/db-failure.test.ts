// dbFailureReason reads SQLite's own error codes, produced here by real
// failures on a real file: another writer's lock, a full database
// (max_page_count), a read-only connection; anything else is no database
// failure (null) and counts as a crash.
import { afterEach, describe, expect, it } from "vitest";
import BetterSqlite3, { type Database } from "better-sqlite3";
import { cycleFailure, dbFailureReason } from "../../../src/store/db-failure.js";
import { makeTempDir, type TempDir } from "../../support/temp-dir.js";

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a throw");
}

describe("dbFailureReason", () => {
  let tmp: TempDir;
  const open: Database[] = [];
  const db = (opts?: BetterSqlite3.Options): Database => {
    const d = new BetterSqlite3(tmp.join("x.db"), opts);
    open.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of open.splice(0)) d.close();
    tmp?.remove();
  });

  it("names a lock, a full disk and a read-only database; nothing else", () => {
    tmp = makeTempDir();
    const a = db();
    a.pragma("journal_mode = WAL");
    a.pragma("busy_timeout = 0");
    a.exec("CREATE TABLE t (v TEXT)");
    const b = db();
    b.exec("BEGIN IMMEDIATE");
    expect(dbFailureReason(thrown(() => a.exec("INSERT INTO t VALUES ('x')")))).toBe("db-locked");
    b.exec("COMMIT");

    a.pragma(`max_page_count = ${a.pragma("page_count", { simple: true }) as number}`);
    expect(dbFailureReason(thrown(() => a.prepare("INSERT INTO t VALUES (?)").run("x".repeat(100_000))))).toBe("db-full");

    const ro = db({ readonly: true });
    expect(dbFailureReason(thrown(() => ro.exec("INSERT INTO t VALUES ('x')")))).toBe("db-readonly");

    const other = thrown(() => a.exec("SELECT * FROM nope"));
    expect(dbFailureReason(other)).toBeNull();
    expect(cycleFailure(other)).toEqual({ reason: "crash", message: "no such table: nope" });
    expect(cycleFailure(new TypeError("x is undefined"))).toEqual({ reason: "crash", message: "x is undefined" });
  });
});
