// Migration 0014 (coalesced polls) on a database written by the release
// before it: test/fixtures/release-db/release-0010.db, made by that release's
// App polling the simulator (make.mjs beside it says how). Opened the way the
// daemon opens it (openDatabase: foreign keys on, pending migrations applied),
// after the migrations between that release and this one that come before
// coalescing (so the README's newer queries have their columns), it proves:
// - every query of the README's "Querying history with sqlite3" block
//   returns the same rows, byte for byte as JSON, before and after;
// - the questions asked of `polls` keep their answers: each target's last
//   successful poll, the failed polls and why, how many polls per day
//   (count(*) before, sum(poll_count) after), when interfaces were last read
//   and how many polls since;
// - every poll a rule, group or interface interval, change or alert thread
//   names still exists with its time, and the file passes foreign_key_check
//   and integrity_check; the runs of unchanged polls became one row each;
// - the next unchanged poll, written by this build, extends the last run row.
import { copyFileSync } from "node:fs";
import path from "node:path";
import BetterSqlite3, { type Database } from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/store/open.js";
import { migrate, readMigrations } from "../../src/store/migrate.js";
import { lastInterfacesRead } from "../../src/store/attachments-repo.js";
import { loadCurrentState } from "../../src/store/state-repo.js";
import { recordSuccessfulPoll } from "../../src/store/record-poll.js";
import { REPO_ROOT } from "../support/cli.js";
import { readmeQueries } from "../support/readme-queries.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";

const FIXTURE = path.join(REPO_ROOT, "test", "fixtures", "release-db", "release-0010.db");

/** Each README query's rows, serialised. */
function readmeAnswers(db: Database): string[] {
  return readmeQueries().map((q) => JSON.stringify(db.prepare(q).all()));
}

/** The questions people ask of `polls`; `polls` is how one poll is counted: count(*) before, sum(poll_count) after. */
function pollAnswers(db: Database, polls: string): unknown {
  return {
    lastSuccess: db.prepare("SELECT t.region, max(p.finished_at) AS at FROM polls p JOIN targets t ON t.id = p.target_id WHERE p.status = 'ok' GROUP BY t.region ORDER BY t.region").all(),
    failed: db.prepare("SELECT p.finished_at, t.account, t.region, p.error_code, p.error FROM polls p JOIN targets t ON t.id = p.target_id WHERE p.status = 'failed' ORDER BY p.id DESC LIMIT 20").all(),
    perDay: db.prepare(`SELECT t.region, substr(p.started_at, 1, 10) AS day, ${polls} AS polls FROM polls p JOIN targets t ON t.id = p.target_id GROUP BY 1, 2 ORDER BY 1, 2`).all(),
  };
}

/** Every poll something points at, with its time. */
function referencedPolls(db: Database): unknown {
  return db
    .prepare(
      `SELECT id, started_at, finished_at, status, baseline, change_count FROM polls WHERE id IN (
         SELECT added_poll_id FROM rule_versions UNION SELECT removed_poll_id FROM rule_versions
         UNION SELECT added_poll_id FROM group_versions UNION SELECT removed_poll_id FROM group_versions
         UNION SELECT added_poll_id FROM interface_versions UNION SELECT removed_poll_id FROM interface_versions
         UNION SELECT poll_id FROM change_events UNION SELECT poll_id FROM alert_threads) ORDER BY id`,
    )
    .all();
}

describe("migration 0014: coalesced polls, on a database the previous release wrote", () => {
  let tmp: TempDir;
  let file: string;
  beforeEach(() => {
    tmp = makeTempDir();
    file = tmp.join("sgwatch.db");
    copyFileSync(FIXTURE, file);
  });
  afterEach(() => tmp.remove());

  it("answers the README's queries and the polls questions the same, keeps every referenced poll, and coalesces the runs", () => {
    const old = new BetterSqlite3(file);
    // Up to the migration before coalescing: the README's queries read columns later migrations added.
    const all = readMigrations(path.join(REPO_ROOT, "migrations"));
    const coalescing = all.find((m) => m.name.endsWith("_coalesced_polls.sql"));
    migrate(old, all.filter((m) => m.version < (coalescing?.version ?? 0)), () => "2026-12-06T00:00:00.000Z");
    const readmeBefore = readmeAnswers(old);
    const pollsBefore = pollAnswers(old, "count(*)");
    // The release had no notion of runs: its own reading of the last interface read and the polls since.
    const interfacesBefore = (old.prepare("SELECT id FROM targets ORDER BY id").pluck().all() as number[]).map((id) => {
        const last = old.prepare("SELECT id, finished_at FROM polls WHERE target_id = ? AND interfaces_read = 1 ORDER BY id DESC LIMIT 1").get(id) as { id: number; finished_at: string };
        return { at: last.finished_at, pollsSince: old.prepare("SELECT count(*) FROM polls WHERE target_id = ? AND status = 'ok' AND id > ?").pluck().get(id, last.id) };
      });
    const refsBefore = referencedPolls(old);
    const rowsBefore = old.prepare("SELECT count(*) FROM polls").pluck().get() as number;
    old.close();
    expect(rowsBefore).toBe(98);

    const { db, appliedNow } = openDatabase(file, { now: () => "2026-12-06T00:00:00.000Z" });
    try {
      // By name: the coordinator may renumber it.
      expect(appliedNow.filter((n) => n.endsWith("_coalesced_polls.sql"))).toHaveLength(1);
      expect(readmeAnswers(db)).toEqual(readmeBefore);
      expect(pollAnswers(db, "sum(p.poll_count)")).toEqual(pollsBefore);
      expect((db.prepare("SELECT id FROM targets ORDER BY id").pluck().all() as number[]).map((id) => lastInterfacesRead(db, id))).toEqual(interfacesBefore);
      expect(referencedPolls(db)).toEqual(refsBefore);
      expect(db.pragma("foreign_key_check")).toEqual([]);
      expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
      expect(db.prepare("SELECT sum(poll_count) FROM polls").pluck().get()).toBe(rowsBefore);
      // Interfaces were read every third poll, so a run holds at most three polls: 98 rows become 42.
      expect(db.prepare("SELECT count(*) FROM polls").pluck().get()).toBe(42);
      expect(db.prepare("SELECT count(*) FROM sqlite_schema WHERE name LIKE 'coalesce_%'").pluck().get()).toBe(0);

      // This build's next unchanged poll (reading interfaces) extends the target's last run row.
      const last = db.prepare("SELECT * FROM polls WHERE target_id = 1 ORDER BY id DESC LIMIT 1").get() as { id: number; run: number; poll_count: number; finished_at: string };
      expect(last.run).toBe(1);
      const at = "2026-03-02T14:05:00.000Z";
      const groups = [...loadCurrentState(db, 1).values()];
      const attachments = db.prepare("SELECT interface_id AS interfaceId, group_id AS groupId, kind, interface_type AS interfaceType, instance_id AS instanceId, public_ip AS publicIp, description FROM interface_versions WHERE target_id = 1 AND removed_poll_id IS NULL").all() as never[];
      const out = recordSuccessfulPoll(db, 1, { groups, pages: 1, attachments, startedAt: at, finishedAt: at }, { judge: () => [], route: () => [], blindAfterFailures: 3 });
      expect(out).toMatchObject({ pollId: last.id, judged: [] });
      expect(db.prepare("SELECT poll_count, finished_at FROM polls WHERE id = ?").get(last.id)).toEqual({ poll_count: last.poll_count + 1, finished_at: at });
    } finally {
      db.close();
    }
  });

  it("counts a lost-poll row as the polls its message says it stands for", () => {
    const old = new BetterSqlite3(file);
    old
      .prepare("INSERT INTO polls (target_id, started_at, finished_at, status, error_code, error) VALUES (2, ?, ?, 'failed', 'db-locked', ?)")
      .run("2026-03-02T14:05:00.000Z", "2026-03-02T14:20:00.000Z", "3 polls since 2026-03-02T14:05:00.000Z could not be recorded (db-locked): database is locked");
    old.close();
    const { db } = openDatabase(file, { now: () => "2026-12-06T00:00:00.000Z" });
    try {
      expect(db.prepare("SELECT error_code, poll_count FROM polls WHERE status = 'failed' ORDER BY id").all()).toEqual([
        { error_code: "InternalError", poll_count: 1 },
        { error_code: "InternalError", poll_count: 1 },
        { error_code: "InternalError", poll_count: 1 },
        { error_code: "db-locked", poll_count: 3 },
      ]);
    } finally {
      db.close();
    }
  });

  it("ends runs at UTC midnight, as the daemon does", () => {
    // The fixture is one day long: move its polls from 12:00 on to the next day.
    const old = new BetterSqlite3(file);
    old.exec("UPDATE polls SET started_at = '2026-03-03' || substr(started_at, 11), finished_at = '2026-03-03' || substr(finished_at, 11) WHERE started_at >= '2026-03-02T12:00'");
    const perDayBefore = pollAnswers(old, "count(*)");
    old.close();
    const { db } = openDatabase(file, { now: () => "2026-12-06T00:00:00.000Z" });
    try {
      expect(pollAnswers(db, "sum(p.poll_count)")).toEqual(perDayBefore);
      expect(db.prepare("SELECT count(*) FROM polls WHERE substr(started_at, 1, 10) != substr(finished_at, 1, 10)").pluck().get()).toBe(0);
    } finally {
      db.close();
    }
  });
});
