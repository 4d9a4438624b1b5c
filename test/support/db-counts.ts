// Row counts of every table in a sgwatch database, to prove what a step wrote.
import type { Database } from "better-sqlite3";

/** table name -> row count, for every table (views excluded). */
export function tableCounts(db: Database): Record<string, number> {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>;
  const out: Record<string, number> = {};
  for (const { name } of tables) out[name] = (db.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n;
  return out;
}
