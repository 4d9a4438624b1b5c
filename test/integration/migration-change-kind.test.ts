// Migration 0010 lets change_events take the exposure-added kind by editing
// the CHECK in the stored schema (src/store/migrate.ts explains why not a
// table rebuild). On a real SQLite file this proves:
// - before 0010 the kind is refused, after it accepted, and every other kind
//   is still checked (a typo is refused);
// - columns that an earlier migration added to change_events (as another
//   branch's 0009 does) and their rows survive: nothing is copied or dropped;
// - a connection opened before the migration sees the new definition (the
//   schema version moved), and the file passes integrity_check;
// - unsafe mode is off again afterwards (a schema write is refused).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import path from "node:path";
import BetterSqlite3, { type Database } from "better-sqlite3";
import { migrate, readMigrations, type Migration } from "../../src/store/migrate.js";
import { packageRoot } from "../../src/util/package-root.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";

const NOW = "2026-03-02T10:00:00.000Z";
const all = readMigrations(path.join(packageRoot(), "migrations"));
const upTo = (n: number): Migration[] => all.filter((m) => m.version <= n);

function insertChange(db: Database, kind: string): void {
  db.prepare(
    `INSERT INTO change_events (poll_id, target_id, detected_at, kind, group_id, group_name, severity, status)
     VALUES (1, 1, ?, ?, 'sg-1', 'db', 'high', 'unapproved')`,
  ).run(NOW, kind);
}

describe("migration 0010: exposure-added in change_events", () => {
  let tmp: TempDir;
  let file: string;
  beforeEach(() => {
    tmp = makeTempDir();
    file = tmp.join("sgwatch.db");
  });
  afterEach(() => tmp.remove());

  it("accepts the new kind, keeps checking the others, and keeps columns and rows other migrations added", () => {
    const db = new BetterSqlite3(file);
    migrate(db, upTo(9), () => NOW);
    db.exec(`INSERT INTO targets (id, account, region, created_at) VALUES (1, '123456789012', 'us-east-1', '${NOW}');
             INSERT INTO polls (id, target_id, started_at, finished_at, status) VALUES (1, 1, '${NOW}', '${NOW}', 'ok');`);
    // Migration 0008 added guardrail_id to the same table before 0010 runs: its column and rows must survive.
    db.prepare("INSERT INTO change_events (poll_id, target_id, detected_at, kind, group_id, group_name, severity, status, guardrail_id) VALUES (1, 1, ?, 'rule-added', 'sg-1', 'db', 'critical', 'unapproved', 'no-ssh')").run(NOW);
    expect(() => insertChange(db, "exposure-added")).toThrow(/CHECK constraint failed/);

    const other = new BetterSqlite3(file); // opened before the migration, as a CLI reader would be
    migrate(db, all, () => NOW);
    insertChange(db, "exposure-added");
    expect(() => insertChange(db, "exposure-addded")).toThrow(/CHECK constraint failed/);
    expect(() => insertChange(other, "rule-removd")).toThrow(/CHECK constraint failed/);
    insertChange(other, "exposure-added");
    expect(db.prepare("SELECT kind, guardrail_id FROM change_events ORDER BY id").all()).toEqual([
      { kind: "rule-added", guardrail_id: "no-ssh" },
      { kind: "exposure-added", guardrail_id: null },
      { kind: "exposure-added", guardrail_id: null },
    ]);
    expect(db.pragma("integrity_check")).toEqual([{ integrity_check: "ok" }]);
    // Unsafe mode was for that migration alone.
    expect(() => db.exec("PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = sql WHERE name = 'polls'")).toThrow(/may not be modified/);
    other.close();
    db.close();
  });
});
