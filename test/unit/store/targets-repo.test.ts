// The targets table's bookkeeping on a real SQLite file: ensureTarget keeps
// one row per account × region and its label current, and writes only when
// something changed (it runs at every poll of every target); noteSuccess
// clears the failure fields, and leaves an already clean row unwritten.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "better-sqlite3";
import { openDatabase } from "../../../src/store/open.js";
import { ensureTarget, getTarget, noteFailure, noteSuccess } from "../../../src/store/targets-repo.js";
import { makeTempDir, type TempDir } from "../../support/temp-dir.js";

const NOW = "2026-11-28T12:00:00.000Z";
let dir: TempDir;
let db: Database;
/** Rows written by the last statement (SQLite's changes()). */
const written = (): number => (db.prepare("SELECT changes() AS n").get() as { n: number }).n;
const totalWrites = (): number => (db.prepare("SELECT total_changes() AS n").get() as { n: number }).n;

beforeAll(() => {
  dir = makeTempDir();
  db = openDatabase(dir.join("targets.db")).db;
});
afterAll(() => {
  db.close();
  dir.remove();
});

describe("targets", () => {
  it("creates a target once, keeps its label current, and writes nothing when nothing changed", () => {
    const a = ensureTarget(db, "111111111111", "eu-west-1", "prod", NOW);
    expect(a).toMatchObject({ account: "111111111111", region: "eu-west-1", label: "prod", consecutive_failures: 0 });
    const before = totalWrites();
    expect(ensureTarget(db, "111111111111", "eu-west-1", "prod", NOW)).toEqual(a);
    expect(totalWrites()).toBe(before);
    expect(ensureTarget(db, "111111111111", "eu-west-1", "production", NOW)).toEqual({ ...a, label: "production" });
    expect(ensureTarget(db, "111111111111", "eu-west-1", null, NOW)).toEqual({ ...a, label: null });
    expect(ensureTarget(db, "111111111111", "us-east-1", null, NOW).id).not.toBe(a.id);
  });

  it("clears failures on success, and leaves a clean row unwritten", () => {
    const t = ensureTarget(db, "222222222222", "eu-west-1", null, NOW);
    expect(noteFailure(db, t.id, "Timeout")).toBe(1);
    noteSuccess(db, t.id);
    expect(written()).toBe(1);
    expect(getTarget(db, t.id)).toMatchObject({ consecutive_failures: 0, blind_since: null, last_error: null });
    noteSuccess(db, t.id);
    expect(written()).toBe(0);
  });
});
