// Up-only SQL migrations: migrations/NNNN_name.sql, applied in order, each in
// its own transaction and recorded in schema_migrations. A database that has a
// migration this build does not know was written by a newer sgwatch and is
// refused before anything is written to it.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Database } from "better-sqlite3";
import { UserError, EXIT } from "../util/errors.js";

/** One migration file. */
export interface Migration {
  /** Number from the file name (0001 → 1). */
  version: number;
  /** File name, e.g. 0001_init.sql. */
  name: string;
  /** The SQL. */
  sql: string;
}

/** Read migrations/ in version order. */
export function readMigrations(dir: string): Migration[] {
  const files = readdirSync(dir).filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f));
  const list = files.map((name) => ({ version: Number(name.slice(0, 4)), name, sql: readFileSync(path.join(dir, name), "utf8") }));
  list.sort((a, b) => a.version - b.version);
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migrations/ is not numbered 0001, 0002, … without gaps: found ${m.name} at position ${i + 1}`);
  });
  return list;
}

interface AppliedRow {
  version: number;
  name: string;
}

function applied(db: Database): AppliedRow[] {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (!exists) return [];
  return db.prepare("SELECT version, name FROM schema_migrations ORDER BY version").all() as AppliedRow[];
}

/**
 * Refuse a database written by a newer sgwatch. Call before anything writes,
 * so such a file is left exactly as it was.
 */
export function assertNotNewer(db: Database, migrations: Migration[], file: string): void {
  const known = new Map(migrations.map((m) => [m.version, m.name]));
  const unknown = applied(db).filter((r) => known.get(r.version) !== r.name);
  if (unknown.length > 0) {
    const latest = migrations[migrations.length - 1]?.name ?? "none";
    throw new UserError(
      `${file} was written by a newer or different sgwatch: it has migration ${unknown.map((u) => u.name).join(", ")}, ` +
        `which this version does not know (it knows up to ${latest}). Upgrade sgwatch; the database was not modified.`,
      EXIT.usage,
    );
  }
}

/** Whether the file holds any table, index or view at all (a 0-byte file holds none). */
function hasAnySchema(db: Database): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master LIMIT 1").get() !== undefined;
}

/**
 * Refuse a file that is some other program's SQLite database: migrating it
 * would write sgwatch's tables into it. An empty file (0 bytes, or SQLite
 * with nothing in it) is fine: sgwatch initialises it.
 */
export function assertOursOrEmpty(db: Database, file: string): void {
  if (applied(db).length === 0 && hasAnySchema(db)) {
    throw new UserError(
      `${file} is not an sgwatch database (it holds tables but no schema_migrations); point "database" in the config (or --db) at sgwatch's file. It was not modified.`,
      EXIT.usage,
    );
  }
}

/**
 * Refuse to read a file that does not hold this version's schema: empty (a
 * 0-byte file, or one no poll has initialised yet), another program's database,
 * or one with migrations still to apply. Queries would otherwise fail with
 * "no such table".
 */
export function assertReadable(db: Database, migrations: Migration[], file: string): void {
  const done = applied(db);
  if (done.length === 0) {
    throw new UserError(
      hasAnySchema(db)
        ? `${file} is not an sgwatch database (it holds tables but no schema_migrations); point "database" in the config (or --db) at sgwatch's file`
        : `database ${file} is empty: nothing has been recorded in it yet; run \`sgwatch migrate\` or \`sgwatch poll\` first`,
      EXIT.usage,
    );
  }
  const latest = migrations[migrations.length - 1];
  if (latest && done.length < migrations.length) {
    throw new UserError(
      `database ${file} has schema version ${done.length}, this sgwatch needs ${latest.version}; run \`sgwatch migrate\` (the daemon does at start)`,
      EXIT.usage,
    );
  }
}

/** How many of `migrations` the database has not applied yet (all of them for an empty file). */
export function pendingCount(db: Database, migrations: Migration[]): number {
  const done = new Set(applied(db).map((r) => r.version));
  return migrations.filter((m) => !done.has(m.version)).length;
}

/** Apply every migration not yet applied. Returns the names applied now. */
export function migrate(db: Database, migrations: Migration[], now: () => string): string[] {
  db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
  const done = new Set(applied(db).map((r) => r.version));
  const record = db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");
  const names: string[] = [];
  for (const m of migrations) {
    if (done.has(m.version)) continue;
    // A migration that loosens a CHECK constraint edits the stored schema
    // text (SQLite's documented procedure, "ALTER TABLE", section 7): a table
    // rebuild would copy a column list frozen when it was written and drop
    // columns that other migrations add. better-sqlite3 refuses schema writes
    // unless unsafe mode is on, so it is on for that migration alone, and
    // the file is checked whole before the migration counts.
    const editsSchema = /^\s*PRAGMA\s+writable_schema\s*=\s*ON/im.test(m.sql);
    if (editsSchema) db.unsafeMode(true);
    try {
      db.transaction(() => {
        db.exec(m.sql);
        if (editsSchema) {
          const check = db.pragma("integrity_check") as Array<{ integrity_check: string }>;
          if (check[0]?.integrity_check !== "ok") throw new Error(`migration ${m.name} left the database inconsistent: ${check.map((c) => c.integrity_check).join("; ")}`);
        }
        record.run(m.version, m.name, now());
      })();
    } finally {
      if (editsSchema) db.unsafeMode(false);
    }
    names.push(m.name);
  }
  return names;
}
