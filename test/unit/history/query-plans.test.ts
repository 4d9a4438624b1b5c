// The history queries use the indexes the schema provides for them: a query
// about one group must search rule_versions_by_group / group_versions_by_group /
// change_events_by_group, never scan the table. A rewrite that defeats an
// index (an `@group IS NULL OR …` filter, a function around a column) fails here.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "better-sqlite3";
import { FIND_GROUPS_SQL, GROUPS_AT_SQL, RULES_AT_SQL, TIMELINE_SQL } from "../../../src/store/history-queries.js";
import { README_QUERIES } from "../../../bench/query-figure.js";
import { makeTempDir, type TempDir } from "../../support/temp-dir.js";
import { T1, WEB, buildHistoryDb } from "../../support/history-db.js";

let dir: TempDir;
let db: Database;

beforeAll(() => {
  dir = makeTempDir();
  db = buildHistoryDb(dir.join("plans.db")).db;
});
afterAll(() => {
  db.close();
  dir.remove();
});

function plan(sql: string, params: Record<string, unknown> | unknown[]): string[] {
  const stmt = db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
  const rows = (Array.isArray(params) ? stmt.all(...params) : stmt.all(params)) as { detail: string }[];
  return rows.map((r) => r.detail);
}

const ONE_GROUP = { at: T1, account: null, region: null, group: WEB, target: 1 };

describe("query plans", () => {
  it("rules of one group at T: rule_versions_by_group on (group_id, added_at), group name by group_versions_by_group", () => {
    const p = plan(RULES_AT_SQL.oneGroup, ONE_GROUP);
    expect(p).toContainEqual(expect.stringMatching(/^SEARCH r USING INDEX rule_versions_by_group \(group_id=\? AND added_at<\?\)/));
    expect(p).toContainEqual(expect.stringMatching(/^SEARCH g USING INDEX group_versions_by_group \(group_id=\? AND added_at<\?\)/));
  });

  it("rules of every group at T: one pass over rule_versions, the group name still by index", () => {
    const p = plan(RULES_AT_SQL.all, { at: T1, account: null, region: null });
    expect(p).toContainEqual(expect.stringMatching(/^SEARCH g USING INDEX group_versions_by_group/));
    expect(p.filter((d) => d.startsWith("SCAN"))).toEqual(["SCAN r"]);
  });

  it("one group's version at T: group_versions_by_group", () => {
    expect(plan(GROUPS_AT_SQL.oneGroup, ONE_GROUP)).toContainEqual(expect.stringMatching(/^SEARCH g USING INDEX group_versions_by_group \(group_id=\? AND added_at<\?\)/));
  });

  it("a timeline: group_versions_by_group and change_events_by_group", () => {
    expect(plan(TIMELINE_SQL.versions, [WEB, 1])).toContainEqual(expect.stringMatching(/^SEARCH g USING INDEX group_versions_by_group/));
    const p = plan(TIMELINE_SQL.changes, [WEB, 1]);
    expect(p).toContainEqual(expect.stringMatching(/^SEARCH c USING INDEX change_events_by_group/));
    expect(p.filter((d) => d.startsWith("SCAN"))).toEqual([]);
  });

  it("finding a group: by id through the index; by name one scan of group_versions (no name index)", () => {
    const p = plan(FIND_GROUPS_SQL, { ref: "web", account: null, region: null });
    expect(p).toContainEqual(expect.stringMatching(/^SEARCH group_versions USING INDEX group_versions_by_group \(group_id=\?\)/));
    expect(p.filter((d) => d.startsWith("SCAN"))).toEqual(["SCAN group_versions", "SCAN h"]);
  });

  it("open to the world now (the README's query): a seek on source and direction, not every default egress rule", () => {
    const q = README_QUERIES.find((x) => x.name === "open to the world now");
    if (!q) throw new Error("the README query is missing from bench/query-figure.ts");
    const p = plan(q.sql, {});
    expect(p).toContainEqual(expect.stringMatching(/^SEARCH r USING INDEX rule_versions_current_by_source_direction \(source=\? AND direction=\?\)/));
    expect(p.filter((d) => d.startsWith("SCAN"))).toEqual([]);
  });
});
