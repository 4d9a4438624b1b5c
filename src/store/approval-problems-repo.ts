// Remembers approval-file problems already alerted on.
import type { Database } from "better-sqlite3";
import { sql } from "./statements.js";

/** A problem to note. */
export interface ProblemToNote {
  key: string;
  file: string;
  line: number | null;
  message: string;
}

/** Record problems; returns the ones never seen before (to alert on). */
export function noteApprovalProblems(db: Database, problems: readonly ProblemToNote[], now: string): ProblemToNote[] {
  const insert = sql(db, 
    `INSERT INTO approval_problems (key, file, line, message, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET last_seen = excluded.last_seen`,
  );
  const exists = sql(db, "SELECT 1 FROM approval_problems WHERE key = ?");
  // A problem no longer present is forgotten, so if it comes back it alerts again.
  sql(db, "DELETE FROM approval_problems WHERE key NOT IN (SELECT value FROM json_each(?))").run(JSON.stringify(problems.map((p) => p.key)));
  const fresh: ProblemToNote[] = [];
  for (const p of problems) {
    if (!exists.get(p.key)) fresh.push(p);
    insert.run(p.key, p.file, p.line, p.message, now, now);
  }
  return fresh;
}
