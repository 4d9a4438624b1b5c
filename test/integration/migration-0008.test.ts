// Proves migration 0008 (guardrails) on a real SQLite file with 0001-0006
// history written by the store's own code: every row of the changes view
// keeps every column and value, and the two new columns, guardrail and
// guardrail_reason, come last and are NULL for changes judged before
// guardrails existed; a change recorded after it carries its guardrail.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import path from "node:path";
import BetterSqlite3, { type Database } from "better-sqlite3";
import { migrate, readMigrations } from "../../src/store/migrate.js";
import { ensureTarget } from "../../src/store/targets-repo.js";
import { recordSuccessfulPoll, type RecordDeps } from "../../src/store/record-poll.js";
import { packageRoot } from "../../src/util/package-root.js";
import type { Change, GroupState } from "../../src/model/types.js";
import type { JudgedChange } from "../../src/model/judged.js";
import { group, rule } from "../unit/model/build.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { addPollRunColumns, dropPollRunColumns } from "../support/poll-run-columns.js";

const T0 = "2026-03-02T10:00:00.000Z"; // the fixed reference instant
const T1 = "2026-03-02T10:05:00.000Z";
const T2 = "2026-03-02T10:10:00.000Z";
const SSH = rule({ fromPort: 22, toPort: 22, source: "0.0.0.0/0" });
const HTTPS = rule();

function deps(guardrail: { id: string; reason: string } | null): RecordDeps {
  const judge = (changes: Change[]): JudgedChange[] =>
    changes.map((change) => ({ change, judgement: { severity: "critical", status: "unapproved", approvalId: null, approvalIds: [], approvalNote: null, guardrail } }));
  return { judge, route: () => [], blindAfterFailures: 3 };
}

describe("migration 0008 (guardrails)", () => {
  let tmp: TempDir;
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.remove());

  it("keeps every changes row and column, and adds guardrail and guardrail_reason last", () => {
    const db: Database = new BetterSqlite3(path.join(tmp.path, "old.db"));
    try {
      const all = readMigrations(path.join(packageRoot(), "migrations"));
      migrate(db, all.filter((m) => m.version <= 6), () => T0);
      addPollRunColumns(db);
      const target = ensureTarget(db, "111111111111", "eu-west-1", "prod", T0).id;
      const poll = (at: string, groups: GroupState[], d: RecordDeps): void => void recordSuccessfulPoll(db, target, { groups, pages: 1, startedAt: at, finishedAt: at }, d);
      // Written by this build's store, minus the columns 0008 adds: insert through the old schema.
      poll(T0, [group({ groupId: "sg-0a01", rules: [HTTPS] })], deps(null));
      const before = (() => {
        // This build's store also writes what later migrations add (0009's ignored_reason, 0010's interface columns): add them for the write, then take them away.
        const added = ["guardrail_id", "guardrail_reason", "ignored_reason", "interface_id", "instance_id", "public_ip", "interface_kind"];
        for (const c of added) db.exec(`ALTER TABLE change_events ADD COLUMN ${c} TEXT`);
        poll(T1, [group({ groupId: "sg-0a01", rules: [HTTPS, SSH] })], deps(null));
        for (const c of added) db.exec(`ALTER TABLE change_events DROP COLUMN ${c}`);
        return db.prepare("SELECT * FROM changes ORDER BY id").all() as Array<Record<string, unknown>>;
      })();
      expect(before).toHaveLength(1);

      // Up to 0010, the last the store writes to at poll time: later migrations add view columns of their own (0011's are tested in migration-0011.test.ts).
      expect(migrate(db, all.filter((m) => m.version <= 10), () => T0)).toContain("0008_guardrails.sql");
      const after = db.prepare("SELECT * FROM changes ORDER BY id").all() as Array<Record<string, unknown>>;
      expect(Object.keys(after[0] ?? {})).toEqual([...Object.keys(before[0] ?? {}), "guardrail", "guardrail_reason"]);
      expect(after[0]).toEqual({ ...before[0], guardrail: null, guardrail_reason: null });
      dropPollRunColumns(db);
      migrate(db, all, () => T0);

      poll(T2, [group({ groupId: "sg-0a01", rules: [HTTPS] }), group({ groupId: "sg-0a02", rules: [SSH] })], deps({ id: "no-world-ssh", reason: "never" }));
      const fresh = db.prepare("SELECT group_id, kind, guardrail, guardrail_reason FROM changes WHERE id > ? ORDER BY id").all(after[0]?.id) as Array<Record<string, unknown>>;
      expect(fresh).toContainEqual({ group_id: "sg-0a02", kind: "rule-added", guardrail: "no-world-ssh", guardrail_reason: "never" });
    } finally {
      db.close();
    }
  });
});
