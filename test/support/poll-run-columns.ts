// Tests that build an older schema's history with this build's store: the
// store writes the run columns migration 0014 adds to polls (poll_count,
// run; src/store/poll-runs.ts). Give the old schema them while the history
// is written, and take them away before the migration under test runs.
import type { Database } from "better-sqlite3";

export function addPollRunColumns(db: Database): void {
  db.exec("ALTER TABLE polls ADD COLUMN poll_count INTEGER NOT NULL DEFAULT 1; ALTER TABLE polls ADD COLUMN run INTEGER NOT NULL DEFAULT 0");
}

export function dropPollRunColumns(db: Database): void {
  db.exec("ALTER TABLE polls DROP COLUMN poll_count; ALTER TABLE polls DROP COLUMN run");
}
