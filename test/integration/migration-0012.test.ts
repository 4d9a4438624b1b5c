// Proves migration 0012 on a real SQLite file with history written by the
// store's own code through 0012: every row of the changes view keeps every
// column and value, except what 0012 means to change (the change that undid
// an unapproved one reads `revert`), and the new columns come last (closes,
// interface_id, interface_kind, instance_id, public_ip); current_exposure
// keeps its columns and adds breadth last.
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
import type { Attachment } from "../../src/model/attachment.js";
import { group, rule } from "../unit/model/build.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";

const T0 = "2026-03-02T10:00:00.000Z"; // the fixed reference instant
const T1 = "2026-03-02T10:05:00.000Z";
const T2 = "2026-03-02T10:10:00.000Z";
const SSH = rule({ fromPort: 22, toPort: 22, source: "0.0.0.0/0" });
const HTTPS = rule({ source: "0.0.0.0/0" });
const PUBLIC_ENI: Attachment = { interfaceId: "eni-0p", groupId: "sg-0a01", kind: "instance", interfaceType: "interface", instanceId: "i-0p", publicIp: "198.51.100.7", description: "" };

const deps: RecordDeps = {
  judge: (changes: Change[]): JudgedChange[] =>
    changes.map((change) => ({ change, judgement: { severity: "critical", status: "unapproved", approvalId: null, approvalIds: [], approvalNote: null, guardrail: null } })),
  route: () => [],
  blindAfterFailures: 3,
};

describe("migration 0012 (revert status, interface columns, broad exposure)", () => {
  let tmp: TempDir;
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.remove());

  it("keeps every changes and current_exposure row and column, adds the new columns last, and calls the undoing change a revert", () => {
    const db: Database = new BetterSqlite3(path.join(tmp.path, "old.db"));
    try {
      const all = readMigrations(path.join(packageRoot(), "migrations"));
      migrate(db, all.filter((m) => m.version <= 11), () => T0);
      addPollRunColumns(db);
      const target = ensureTarget(db, "111111111111", "eu-west-1", "prod", T0).id;
      const poll = (at: string, groups: GroupState[], attachments: Attachment[]): void =>
        void recordSuccessfulPoll(db, target, { groups, attachments, pages: 1, startedAt: at, finishedAt: at }, deps);
      poll(T0, [group({ groupId: "sg-0a01", rules: [HTTPS, SSH] })], []);
      // SSH removed, then put back (that undoes the removal); a public instance starts using the group (exposure-added for its world-open HTTPS).
      poll(T1, [group({ groupId: "sg-0a01", rules: [HTTPS] })], []);
      poll(T2, [group({ groupId: "sg-0a01", rules: [HTTPS, SSH] })], [PUBLIC_ENI]);
      const read = (q: string) => db.prepare(q).all() as Array<Record<string, unknown>>;
      const before = read("SELECT * FROM changes ORDER BY id");
      const exposureBefore = read("SELECT * FROM current_exposure ORDER BY source, ports");
      expect(before.map((r) => [r.kind, r.status])).toEqual([
        ["rule-removed", "reverted"],
        ["rule-added", "unapproved"],
        ["exposure-added", "unapproved"],
      ]);

      expect(migrate(db, all.filter((m) => m.version <= 12), () => T0)).toEqual(["0012_revert_status_exposure.sql"]);
      const after = read("SELECT * FROM changes ORDER BY id");
      const added = ["closes", "interface_id", "interface_kind", "instance_id", "public_ip"];
      expect(Object.keys(after[0] ?? {})).toEqual([...Object.keys(before[0] ?? {}), ...added]);
      const [removal, reAdded, exposure] = after;
      // Unchanged but for what 0012 means: the re-add undid the removal, so it is a revert that closes it.
      expect(removal).toEqual({ ...before[0], closes: null, interface_id: null, interface_kind: null, instance_id: null, public_ip: null });
      expect(reAdded).toEqual({ ...before[1], status: "revert", closes: removal?.id, interface_id: null, interface_kind: null, instance_id: null, public_ip: null });
      // exposure-added rows now show their ports and the interface they went public through.
      expect(exposure).toEqual({ ...before[2], ports: "443", closes: null, interface_id: "eni-0p", interface_kind: "instance", instance_id: "i-0p", public_ip: "198.51.100.7" });

      const exposureAfter = read("SELECT * FROM current_exposure ORDER BY source, ports");
      expect(exposureAfter.map((r) => Object.keys(r))).toEqual(exposureBefore.map((r) => [...Object.keys(r), "breadth"]));
      expect(exposureAfter).toEqual(exposureBefore.map((r) => ({ ...r, breadth: "world" })));
    } finally {
      db.close();
    }
  });
});
