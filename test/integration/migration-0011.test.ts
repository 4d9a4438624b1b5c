// Proves migration 0011 (transient openings, CloudTrail times) on a real
// SQLite file with 0001-0010 history written by the store's own code: every
// row of the changes view keeps every column and value, and the four new
// columns come last (changed_at is the poll's time and changed_from 'poll'
// for changes recorded before, undone_at/undone_from follow reverted_at); a
// row marked transient reads status 'transient' with detected_status kept.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import path from "node:path";
import BetterSqlite3, { type Database } from "better-sqlite3";
import { migrate, readMigrations } from "../../src/store/migrate.js";
import { addPollRunColumns } from "../support/poll-run-columns.js";
import { ensureTarget } from "../../src/store/targets-repo.js";
import { recordSuccessfulPoll, type RecordDeps } from "../../src/store/record-poll.js";
import { packageRoot } from "../../src/util/package-root.js";
import type { Change, GroupState } from "../../src/model/types.js";
import type { JudgedChange } from "../../src/model/judged.js";
import { group, rule } from "../unit/model/build.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";

const T0 = "2026-03-02T10:00:00.000Z"; // the fixed reference instant
const T1 = "2026-03-02T10:05:00.000Z";
const T2 = "2026-03-02T10:10:00.000Z";
const SSH = rule({ fromPort: 22, toPort: 22, source: "0.0.0.0/0" });
const HTTPS = rule();

const deps: RecordDeps = {
  judge: (changes: Change[]): JudgedChange[] => changes.map((change) => ({ change, judgement: { severity: "critical", status: "unapproved", approvalId: null, approvalIds: [], approvalNote: null } })),
  route: () => [],
  blindAfterFailures: 3,
};

describe("migration 0011 (transient openings, CloudTrail times)", () => {
  let tmp: TempDir;
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.remove());

  it("keeps every changes row and column, adds changed_at, changed_from, undone_at, undone_from last, and reads transient rows as status transient", () => {
    const db: Database = new BetterSqlite3(path.join(tmp.path, "old.db"));
    try {
      const all = readMigrations(path.join(packageRoot(), "migrations"));
      migrate(db, all.filter((m) => m.version <= 10), () => T0);
      addPollRunColumns(db);
      const target = ensureTarget(db, "111111111111", "eu-west-1", "prod", T0).id;
      const poll = (at: string, groups: GroupState[]): void => void recordSuccessfulPoll(db, target, { groups, pages: 1, startedAt: at, finishedAt: at }, deps);
      poll(T0, [group({ groupId: "sg-0a01", rules: [HTTPS] })]);
      poll(T1, [group({ groupId: "sg-0a01", rules: [HTTPS, SSH] })]);
      poll(T2, [group({ groupId: "sg-0a01", rules: [HTTPS] })]);
      const before = db.prepare("SELECT * FROM changes ORDER BY id").all() as Array<Record<string, unknown>>;
      expect(before.map((r) => [r.kind, r.status])).toEqual([
        ["rule-added", "reverted"],
        ["rule-removed", "unapproved"],
      ]);

      expect(migrate(db, all.filter((m) => m.version <= 11), () => T0)).toContain("0011_transient_openings.sql");
      const after = db.prepare("SELECT * FROM changes ORDER BY id").all() as Array<Record<string, unknown>>;
      expect(Object.keys(after[0] ?? {})).toEqual([...Object.keys(before[0] ?? {}), "changed_at", "changed_from", "undone_at", "undone_from"]);
      expect(after[0]).toEqual({ ...before[0], changed_at: T1, changed_from: "poll", undone_at: T2, undone_from: "poll" });
      expect(after[1]).toEqual({ ...before[1], changed_at: T2, changed_from: "poll", undone_at: null, undone_from: null });

      db.prepare("UPDATE change_events SET transient = 1, changed_at = ?, undone_at = ? WHERE id = ?").run("2026-03-02T10:06:00.000Z", "2026-03-02T10:06:20.000Z", after[0]?.id);
      expect(db.prepare("SELECT status, detected_status, changed_from, undone_from FROM changes WHERE id = ?").get(after[0]?.id)).toEqual({
        status: "transient",
        detected_status: "unapproved",
        changed_from: "cloudtrail",
        undone_from: "cloudtrail",
      });
    } finally {
      db.close();
    }
  });
});
