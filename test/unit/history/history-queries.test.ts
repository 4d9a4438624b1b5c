// The history read queries against a database whose history is known
// (test/support/history-db.ts: polls on the hour from 10:00 to 13:00 UTC,
// 2026-03-02). Proves interval semantics (a version is valid from added_at
// inclusive to removed_at exclusive), the net semantics of diff (an addition
// undone in between shows nothing), group resolution by id or any past name,
// and that a timeline carries the changes view's status.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "better-sqlite3";
import { findGroups, groupTimeline, netDiff, rulesAt, stateAt, targetCoverage, type HistoryScope, type NetChange } from "../../../src/store/history-queries.js";
import { describeRule } from "../../../src/model/describe-rule.js";
import { makeTempDir, type TempDir } from "../../support/temp-dir.js";
import {
  ACCOUNT_A,
  ACCOUNT_B,
  BATCH,
  BATCH_8080,
  DB,
  HTTPS_LAN,
  HTTPS_LAN_DESCRIBED,
  PG_FROM_WEB,
  REGION_A,
  SSH_WORLD,
  T0,
  T1,
  T2,
  T3,
  WEB,
  WEB_B,
  after,
  buildHistoryDb,
  type HistoryDb,
} from "../../support/history-db.js";
import { DEFAULT_EGRESS } from "../model/build.js";

let dir: TempDir;
let h: HistoryDb;
let db: Database;

beforeAll(() => {
  dir = makeTempDir();
  h = buildHistoryDb(dir.join("history.db"));
  db = h.db;
});
afterAll(() => {
  db.close();
  dir.remove();
});

const A_ONLY: HistoryScope = { account: ACCOUNT_A };
const webA = (): HistoryScope => ({ group: { targetId: h.targetA, groupId: WEB } });

/** "group: rule sentence [description]" for each rule, for readable expectations. */
function brief(at: string, scope: HistoryScope = A_ONLY): string[] {
  return rulesAt(db, at, scope).map((r) => `${r.groupId} ${r.groupName}: ${describeRule(r.rule)}${r.rule.description ? ` [${r.rule.description}]` : ""}`);
}

function briefDiff(changes: NetChange[]): string[] {
  return changes.map(({ change: c }) => `${c.groupId} ${c.kind}${c.rule ? ` ${describeRule(c.rule)}` : ""}`);
}

describe("rulesAt", () => {
  it("knows nothing before the first poll", () => {
    expect(rulesAt(db, after(T0, -1))).toEqual([]);
  });

  // Rules come in rule-key order within a group: egress before ingress, then protocol, ports, source.
  it("gives the baseline at the baseline poll's own instant (added_at is inclusive)", () => {
    expect(brief(T0)).toEqual([
      "sg-0a01 web: all traffic to 0.0.0.0/0",
      "sg-0a01 web: TCP 443 from 10.0.0.0/8",
      "sg-0a02 db: TCP 5432 from sg-0a01",
    ]);
  });

  it("includes a rule between its addition and its removal, and not at the removal (removed_at is exclusive)", () => {
    expect(brief(after(T1))).toContain("sg-0a01 web: TCP 22 from 0.0.0.0/0");
    expect(brief(T1)).toContain("sg-0a01 web: TCP 22 from 0.0.0.0/0");
    expect(brief(T2)).not.toContain("sg-0a01 web: TCP 22 from 0.0.0.0/0");
  });

  it("gives the description valid at the time, and the group's name valid at the time", () => {
    expect(brief(after(T1))).toContain("sg-0a01 web: TCP 443 from 10.0.0.0/8");
    expect(brief(after(T2))).toContain("sg-0a01 web: TCP 443 from 10.0.0.0/8 [office LAN]");
    expect(brief(after(T3))).toEqual([
      "sg-0a01 frontend: all traffic to 0.0.0.0/0",
      "sg-0a01 frontend: TCP 443 from 10.0.0.0/8 [office LAN]",
      "sg-0a03 batch: TCP 8080 from 10.1.0.0/16",
    ]);
  });

  it("reports since as the start of the rule version", () => {
    const https = rulesAt(db, after(T3), webA()).find((r) => r.rule.fromPort === 443);
    expect(https).toMatchObject({ since: T2, account: ACCOUNT_A, region: REGION_A, groupName: "frontend" });
    expect(https?.rule).toEqual(HTTPS_LAN_DESCRIBED);
  });

  it("narrows to one group of one target, or to an account", () => {
    expect(rulesAt(db, after(T1), webA()).map((r) => r.rule)).toEqual([DEFAULT_EGRESS, SSH_WORLD, HTTPS_LAN]);
    expect(rulesAt(db, T0, { account: ACCOUNT_B }).map((r) => r.groupId)).toEqual([WEB_B]);
    expect(rulesAt(db, T0).map((r) => r.account)).toEqual([ACCOUNT_A, ACCOUNT_A, ACCOUNT_A, ACCOUNT_B]);
  });
});

describe("stateAt", () => {
  it("keeps groups with their rules per target, and drops deleted groups", () => {
    const at2 = stateAt(db, after(T2));
    expect([...(at2.get(h.targetA)?.groups.keys() ?? [])]).toEqual([WEB, DB, BATCH]);
    expect(at2.get(h.targetA)?.groups.get(DB)?.rules).toEqual([PG_FROM_WEB]);
    expect([...(stateAt(db, after(T3)).get(h.targetA)?.groups.keys() ?? [])]).toEqual([WEB, BATCH]);
  });
});

describe("netDiff", () => {
  it("shows nothing for a rule added and removed in between, one event for a description edit, and a new group", () => {
    expect(briefDiff(netDiff(db, T0, after(T2), A_ONLY))).toEqual([
      "sg-0a01 rule-description-changed TCP 443 from 10.0.0.0/8",
      "sg-0a03 group-created",
      "sg-0a03 rule-added TCP 8080 from 10.1.0.0/16",
    ]);
    const described = netDiff(db, T0, after(T2), A_ONLY)[0]?.change;
    expect(described).toMatchObject({ oldDescription: null, rule: HTTPS_LAN_DESCRIBED, groupName: "web" });
  });

  it("shows a removal when the window starts while the rule was there", () => {
    expect(briefDiff(netDiff(db, after(T1), after(T2), webA()))).toEqual(["sg-0a01 rule-removed TCP 22 from 0.0.0.0/0", "sg-0a01 rule-description-changed TCP 443 from 10.0.0.0/8"]);
  });

  it("shows a deleted group with its rules, and a rename as a group change", () => {
    const changes = netDiff(db, after(T2), after(T3), A_ONLY);
    expect(briefDiff(changes)).toEqual(["sg-0a01 group-changed", "sg-0a02 group-deleted", "sg-0a02 rule-removed TCP 5432 from sg-0a01"]);
    expect(changes[0]?.change).toMatchObject({ before: { name: "web" }, after: { name: "frontend" } });
    expect(changes.every((c) => c.account === ACCOUNT_A && c.region === REGION_A)).toBe(true);
  });

  it("is empty for an empty window and for a window with no change", () => {
    expect(netDiff(db, after(T1), after(T1))).toEqual([]);
    expect(netDiff(db, after(T3), after(T3, 600))).toEqual([]);
  });

  it("covers every target without a scope, each change tagged with its own", () => {
    const all = netDiff(db, after(T0, -1), T0);
    expect(all.filter((c) => c.change.kind === "group-created").map((c) => `${c.account} ${c.change.groupId}`)).toEqual([
      `${ACCOUNT_A} ${WEB}`,
      `${ACCOUNT_A} ${DB}`,
      `${ACCOUNT_B} ${WEB_B}`,
    ]);
  });

  it("builds the added group from the rule set at the later time", () => {
    const created = netDiff(db, after(T1), after(T2), { group: { targetId: h.targetA, groupId: BATCH } });
    expect(created.map((c) => c.change.rule ?? null)).toEqual([null, BATCH_8080]);
  });
});

describe("findGroups", () => {
  it("finds a group by id, by its current name, or by a name it once had", () => {
    expect(findGroups(db, DB).map((g) => [g.groupId, g.name, g.deleted])).toEqual([[DB, "db", true]]);
    expect(findGroups(db, "frontend").map((g) => g.groupId)).toEqual([WEB]);
    expect(findGroups(db, "web").map((g) => g.groupId)).toEqual([WEB, WEB_B]);
  });

  it("narrows by account and region, and finds nothing for an unknown reference", () => {
    expect(findGroups(db, "web", { account: ACCOUNT_B }).map((g) => g.groupId)).toEqual([WEB_B]);
    expect(findGroups(db, "web", { region: REGION_A }).map((g) => g.groupId)).toEqual([WEB]);
    expect(findGroups(db, "nope")).toEqual([]);
  });
});

describe("groupTimeline", () => {
  it("lists every change in order with the changes view's status now", () => {
    const t = groupTimeline(db, { targetId: h.targetA, groupId: WEB });
    expect(t?.group).toEqual({
      account: ACCOUNT_A,
      region: REGION_A,
      groupId: WEB,
      name: "frontend",
      vpcId: "vpc-1",
      firstSeenAt: T0,
      firstSeenAtBaseline: true,
      deletedAt: null,
    });
    expect(t?.changes.map((c) => [c.time, c.kind, c.rule ? describeRule(c.rule) : null])).toEqual([
      [T1, "rule-added", "TCP 22 from 0.0.0.0/0"],
      [T2, "rule-removed", "TCP 22 from 0.0.0.0/0"],
      [T2, "rule-description-changed", "TCP 443 from 10.0.0.0/8"],
      [T3, "group-changed", null],
    ]);
    const view = db.prepare("SELECT id, status FROM changes WHERE group_id = ? ORDER BY time, id").all(WEB) as { id: number; status: string }[];
    expect(t?.changes.map((c) => ({ id: c.id, status: c.status }))).toEqual(view);
    expect(t?.changes[0]).toMatchObject({ id: h.sshAddedId, status: "acknowledged", ackedBy: "alice", sincePreviousPoll: T0, attribution: null });
    expect(t?.changes[2]).toMatchObject({ status: "approved", approvalId: "CHG-7", oldDescription: null });
    expect(t?.changes[3]).toMatchObject({ before: { name: "web" }, after: { name: "frontend" } });
  });

  it("gives a deleted group's deletion time, and a created group's first change", () => {
    expect(groupTimeline(db, { targetId: h.targetA, groupId: DB })?.group).toMatchObject({ deletedAt: T3, firstSeenAtBaseline: true });
    const batch = groupTimeline(db, { targetId: h.targetA, groupId: BATCH });
    expect(batch?.group).toMatchObject({ firstSeenAt: T2, firstSeenAtBaseline: false, deletedAt: null });
    expect(batch?.changes.map((c) => c.kind)).toEqual(["group-created", "rule-added"]);
  });

  it("is undefined for a group the target never had", () => {
    expect(groupTimeline(db, { targetId: h.targetB, groupId: WEB })).toBeUndefined();
  });
});

describe("targetCoverage", () => {
  it("gives each target's first successful poll", () => {
    expect(targetCoverage(db)).toEqual([
      { account: ACCOUNT_A, region: REGION_A, firstPollAt: T0 },
      { account: ACCOUNT_B, region: "us-east-1", firstPollAt: T0 },
    ]);
  });
});
