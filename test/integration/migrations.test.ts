// Proves the store's migrations and file handling on real SQLite files:
// - from empty, every migration in migrations/ is applied and recorded;
// - each migration runs in its own transaction (a failing one leaves nothing
//   behind, earlier ones stay applied);
// - opening again applies nothing and changes no schema;
// - the database file is created 0600 and its directory 0700;
// - unusable locations are UserErrors naming the path (as root, permission
//   bits do not bind, so the read-only directory case runs only as non-root;
//   the missing-parent and not-a-directory cases run everywhere);
// - a database with an unknown newer migration is refused and left unmodified.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { openDatabase } from "../../src/store/open.js";
import { migrate, readMigrations } from "../../src/store/migrate.js";
import { UserError, EXIT } from "../../src/util/errors.js";
import { packageRoot } from "../../src/util/package-root.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";

const NOW = "2026-03-02T10:00:00.000Z"; // the fixed reference instant
const known = readMigrations(path.join(packageRoot(), "migrations"));

function schema(file: string): unknown {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return {
      objects: db.prepare("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").all(),
      migrations: db.prepare("SELECT * FROM schema_migrations ORDER BY version").all(),
    };
  } finally {
    db.close();
  }
}

function userErrorOf(fn: () => unknown): UserError {
  try {
    fn();
  } catch (err) {
    if (err instanceof UserError) return err;
    throw new Error(`expected a UserError, got ${String(err)}`);
  }
  throw new Error("expected a UserError, but nothing was thrown");
}

describe("migrations and database files", () => {
  let tmp: TempDir;
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => {
    tmp.remove();
  });

  it("applies every migration from empty and records each", () => {
    expect(known[0]?.name).toBe("0001_init.sql");
    const file = tmp.join("data", "sgwatch.db");
    const { db, appliedNow } = openDatabase(file, { now: () => NOW });
    db.close();
    expect(appliedNow).toEqual(known.map((m) => m.name));
    const s = schema(file) as { objects: Array<{ name: string }>; migrations: unknown[] };
    expect(s.migrations).toEqual(known.map((m) => ({ version: m.version, name: m.name, applied_at: NOW })));
    const names = s.objects.map((o) => o.name);
    for (const t of ["targets", "polls", "group_versions", "rule_versions", "change_events", "outbox", "changes", "group_history", "current_rules"]) {
      expect(names).toContain(t);
    }
  });

  it("runs each migration in its own transaction", () => {
    const db = new BetterSqlite3(tmp.join("t.db"));
    try {
      const list = [
        { version: 1, name: "0001_ok.sql", sql: "CREATE TABLE first_one (x INTEGER);" },
        { version: 2, name: "0002_broken.sql", sql: "CREATE TABLE half_done (x INTEGER); CREATE TABLE broken (;" },
      ];
      expect(() => migrate(db, list, () => NOW)).toThrow();
      const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map((t) => t.name);
      expect(tables).toEqual(["first_one", "schema_migrations"]);
      expect(db.prepare("SELECT version, name FROM schema_migrations").all()).toEqual([{ version: 1, name: "0001_ok.sql" }]);
    } finally {
      db.close();
    }
  });

  it("applies nothing and changes no schema when opened again", () => {
    const file = tmp.join("data", "sgwatch.db");
    openDatabase(file, { now: () => NOW }).db.close();
    const before = schema(file);
    const again = openDatabase(file, { now: () => "2027-01-01T00:00:00.000Z" });
    again.db.close();
    expect(again.appliedNow).toEqual([]);
    expect(schema(file)).toEqual(before);
  });

  it("creates the database file 0600 (its WAL too) and its directory 0700", () => {
    const dir = tmp.join("fresh");
    const file = path.join(dir, "sgwatch.db");
    const { db } = openDatabase(file);
    try {
      db.prepare("INSERT INTO targets (account, region, created_at) VALUES ('123456789012', 'us-east-1', ?)").run(NOW);
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(existsSync(`${file}-wal`)).toBe(true);
      expect(statSync(`${file}-wal`).mode & 0o777).toBe(0o600);
    } finally {
      db.close();
    }
  });

  it("refuses a path whose parent directory does not exist, naming it", () => {
    const file = tmp.join("no", "such", "sgwatch.db");
    const err = userErrorOf(() => openDatabase(file));
    expect(err.exitCode).toBe(EXIT.usage);
    expect(err.message).toContain(path.dirname(file));
    expect(existsSync(tmp.join("no"))).toBe(false);
  });

  it("refuses a 'directory' that is a file, naming it", () => {
    writeFileSync(tmp.join("data"), "not a directory");
    const err = userErrorOf(() => openDatabase(tmp.join("data", "sgwatch.db")));
    expect(err.message).toContain(tmp.join("data"));
  });

  it.runIf(process.getuid?.() !== 0)("refuses a read-only directory, naming it (non-root only)", () => {
    const dir = tmp.join("ro");
    mkdirSync(dir, { mode: 0o500 });
    try {
      const err = userErrorOf(() => openDatabase(path.join(dir, "sgwatch.db")));
      expect(err.message).toContain(dir);
      expect(err.message).toMatch(/not writable/);
    } finally {
      chmodSync(dir, 0o700);
    }
  });

  it("refuses a database with an unknown newer migration and leaves it byte for byte", () => {
    const file = tmp.join("data", "sgwatch.db");
    openDatabase(file, { now: () => NOW }).db.close();
    const raw = new BetterSqlite3(file);
    raw.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', ?)").run(NOW);
    raw.close();
    const hash = (): string => createHash("sha256").update(readFileSync(file)).digest("hex");
    const before = hash();
    for (const readonly of [false, true]) {
      const err = userErrorOf(() => openDatabase(file, { readonly }));
      expect(err.exitCode).toBe(EXIT.usage);
      expect(err.message).toContain("9999_future.sql");
      expect(err.message).toContain(file);
      expect(hash()).toBe(before);
    }
  });
});
