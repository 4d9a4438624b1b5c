// The broad-source thresholds the last recorded poll was judged with
// (severity.broadSources), kept in the database so the current_exposure view
// (migration 0012) calls a range broad exactly where the alerts did.
import type { Database } from "better-sqlite3";
import type { BroadSources } from "../model/severity.js";
import { sql } from "./statements.js";

/** Store the thresholds; writes nothing when they are already stored. */
export function recordBroadSources(db: Database, b: BroadSources): void {
  sql(db, "UPDATE broad_sources SET ipv4_shorter_than = ?, ipv6_shorter_than = ? WHERE id = 1 AND (ipv4_shorter_than != ? OR ipv6_shorter_than != ?)").run(
    b.ipv4ShorterThan,
    b.ipv6ShorterThan,
    b.ipv4ShorterThan,
    b.ipv6ShorterThan,
  );
}
