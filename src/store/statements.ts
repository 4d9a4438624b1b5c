// Prepared statements, compiled once per database handle. Preparing is a
// parse and plan each time; the per-poll paths run the same few statements
// thousands of times. Keyed weakly by the handle, so a closed database and
// its statements are collected together; nothing here outlives its handle.
import type { Database, Statement } from "better-sqlite3";

const cache = new WeakMap<Database, Map<string, Statement>>();

/** The prepared statement for `text` on `db`, compiled on first use. */
export function sql(db: Database, text: string): Statement {
  let perDb = cache.get(db);
  if (!perDb) {
    perDb = new Map();
    cache.set(db, perDb);
  }
  let stmt = perDb.get(text);
  if (!stmt) {
    stmt = db.prepare(text);
    perDb.set(text, stmt);
  }
  return stmt;
}
