// Opens the SQLite database the way the daemon needs it: owner-only files
// (a pre-existing 0644 file is tightened),
// WAL (so a person's long query in the sqlite3 shell never blocks a poll),
// foreign keys, a busy timeout, an integrity quick check, then migrations.
import { accessSync, chmodSync, constants, existsSync, mkdirSync, closeSync, openSync, statSync } from "node:fs";
import path from "node:path";
import BetterSqlite3, { type Database } from "better-sqlite3";
import { UserError, EXIT, errorMessage } from "../util/errors.js";
import { packageRoot } from "../util/package-root.js";
import { assertNotNewer, assertOursOrEmpty, assertReadable, migrate, pendingCount, readMigrations } from "./migrate.js";

/** Options for openDatabase. */
export interface OpenOptions {
  /** Open without writing anything (CLI reads); fails when the file is missing. */
  readonly?: boolean;
  /** Skip applying migrations (used by `sgwatch migrate` to report what it applied). */
  skipMigrate?: boolean;
  /** Current time as ISO text, for schema_migrations.applied_at. */
  now?: () => string;
  /**
   * With readonly: accept an empty or not yet migrated sgwatch database (the
   * daemon would initialise or migrate it) instead of refusing it; the caller
   * reads `pendingMigrations` and must not query it when that is not 0.
   */
  acceptPending?: boolean;
}

/** Result of opening: the handle and the migrations applied now. */
export interface OpenedDatabase {
  /** The open handle. */
  db: Database;
  /** Migrations applied by this open. */
  appliedNow: string[];
  /** Migrations this build knows that the database still lacks (0 unless readonly with acceptPending, or skipMigrate). */
  pendingMigrations: number;
}

function prepareDirectory(file: string): void {
  const dir = path.dirname(file);
  if (!existsSync(dir)) {
    const parent = path.dirname(dir);
    if (!existsSync(parent)) {
      throw new UserError(`database directory ${dir} does not exist (nor its parent ${parent}); create it or fix "database" in the config`, EXIT.usage);
    }
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      throw new UserError(`cannot create database directory ${dir}: ${errorMessage(err)}`, EXIT.usage, { cause: err });
    }
  }
  if (!statSync(dir).isDirectory()) throw new UserError(`database directory ${dir} is not a directory`, EXIT.usage);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    // SQLite needs to create -wal and -shm files beside the database.
    throw new UserError(`database directory ${dir} is not writable by this user; sgwatch needs to write ${path.basename(file)} and its -wal/-shm files there`, EXIT.usage);
  }
  if (!existsSync(file)) closeSync(openSync(file, "a", 0o600)); // SQLite gives -wal/-shm the same mode
  tightenModes(file);
}

/**
 * The history says which firewalls are open: only its owner may read it. A
 * file created by someone else's umask (a copy, a restore, an older sgwatch)
 * is tightened to 0600, its -wal and -shm too (SQLite copies the database's
 * mode to them, and they hold recent pages). If that is not allowed, refuse.
 */
function tightenModes(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    let mode: number;
    try {
      mode = statSync(f).mode & 0o777;
    } catch {
      continue; // no such file (yet): SQLite creates -wal/-shm with the database's mode
    }
    if ((mode & 0o077) === 0) continue;
    try {
      chmodSync(f, mode & 0o700);
    } catch (err) {
      throw new UserError(
        `${f} has mode 0${mode.toString(8)} (others can read the history) and cannot be changed to owner-only: ${errorMessage(err)}; chmod 600 it`,
        EXIT.usage,
        { cause: err },
      );
    }
  }
}

/**
 * Why the daemon could not create `file`, or null when it could: the same
 * checks as opening for writing, without creating anything (check-config).
 */
export function databaseLocationProblem(file: string): string | null {
  const dir = path.dirname(file);
  const existing = existsSync(dir) ? dir : path.dirname(dir);
  if (!existsSync(existing)) return `database directory ${dir} does not exist (nor its parent ${existing}); create it or fix "database" in the config`;
  if (!statSync(existing).isDirectory()) return `database directory ${existing} is not a directory`;
  try {
    accessSync(existing, constants.W_OK);
  } catch {
    return `database directory ${existing} is not writable by this user; sgwatch needs to write ${existing === dir ? `${path.basename(file)} and its -wal/-shm files` : path.basename(dir)} there`;
  }
  return null;
}

/** Open (and by default migrate) the database at `file`. */
export function openDatabase(file: string, opts: OpenOptions = {}): OpenedDatabase {
  const now = opts.now ?? (() => new Date().toISOString());
  if (opts.readonly) {
    if (!existsSync(file)) throw new UserError(`database ${file} does not exist yet; run \`sgwatch poll\` or \`sgwatch run\` first`, EXIT.usage);
  } else {
    prepareDirectory(file);
  }
  let db: Database;
  try {
    db = new BetterSqlite3(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  } catch (err) {
    throw new UserError(`cannot open database ${file}: ${errorMessage(err)}`, EXIT.usage, { cause: err });
  }
  try {
    db.pragma("busy_timeout = 5000");
    const migrations = readMigrations(path.join(packageRoot(), "migrations"));
    assertNotNewer(db, migrations, file);
    if (opts.readonly && !opts.acceptPending) assertReadable(db, migrations, file);
    else assertOursOrEmpty(db, file);
    const check = db.pragma("quick_check", { simple: true });
    if (check !== "ok") throw new UserError(`database ${file} failed PRAGMA quick_check: ${String(check)}`, EXIT.usage);
    let appliedNow: string[] = [];
    if (!opts.readonly) {
      db.pragma("journal_mode = WAL");
      // NORMAL in WAL mode survives a process crash; a power loss may drop the
      // last transactions whole, which is consistent: the next poll re-detects.
      db.pragma("synchronous = NORMAL");
      db.pragma("foreign_keys = ON");
      // After a checkpoint the WAL file is cut back to this size, so a reader
      // that held it open for a while does not leave it large for good.
      db.pragma("journal_size_limit = 67108864");
      if (!opts.skipMigrate) appliedNow = migrate(db, migrations, now);
    }
    return { db, appliedNow, pendingMigrations: pendingCount(db, migrations) };
  } catch (err) {
    db.close();
    if (err instanceof UserError) throw err;
    throw new UserError(`cannot use database ${file}: ${errorMessage(err)}`, EXIT.usage, { cause: err });
  }
}
