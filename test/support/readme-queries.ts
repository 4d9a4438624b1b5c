// The README's SQL examples: the ```sql block of "Querying history with
// sqlite3", split into statements, comments dropped. The demo test runs them
// on a fresh demo database; the coalescing migration test runs them before
// and after the migration.
import { readFileSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "./cli.js";

export function readmeQueries(): string[] {
  const readme = readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Querying history with sqlite3"));
  const match = /```sql\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error("README has no ```sql block under 'Querying history with sqlite3'");
  const withoutComments = (match[1] ?? "")
    .split("\n")
    .filter((l) => !l.trim().startsWith("--"))
    .join("\n");
  return withoutComments
    .split(";")
    .map((q) => q.trim())
    .filter((q) => q !== "");
}
