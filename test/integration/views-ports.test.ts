// Proves that the views people query spell a rule's ports exactly as the CLI
// and the alerts do (model/describe-rule.ts formatPorts), ICMP included:
// type 3 code 4 is "type 3/code 4" in current_rules, group_history and
// changes, never the port range "3-4". Real SQLite files, history written by
// the store's own code (recordSuccessfulPoll):
// - on a new database, every view's ports equal formatPorts for tcp, udp,
//   all, icmp and icmpv6 rules, "any" (-1) included;
// - migration 0006 on a database with 0001-0005 history changes nothing but
//   the ICMP ports (and adds changes.who_match at the end), so queries written
//   against the old views keep working.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import path from "node:path";
import BetterSqlite3, { type Database } from "better-sqlite3";
import { openDatabase } from "../../src/store/open.js";
import { migrate, readMigrations } from "../../src/store/migrate.js";
import { ensureTarget } from "../../src/store/targets-repo.js";
import { recordSuccessfulPoll, type RecordDeps } from "../../src/store/record-poll.js";
import { formatPorts } from "../../src/model/describe-rule.js";
import { packageRoot } from "../../src/util/package-root.js";
import type { Change, GroupState, Rule } from "../../src/model/types.js";
import type { JudgedChange } from "../../src/model/judged.js";
import { DEFAULT_EGRESS, group, rule } from "../unit/model/build.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { addPollRunColumns, dropPollRunColumns } from "../support/poll-run-columns.js";

const T0 = "2026-03-02T10:00:00.000Z"; // the fixed reference instant
const T1 = "2026-03-02T10:05:00.000Z";

const HTTPS = rule();
const RANGE = rule({ fromPort: 20, toPort: 25 });
const DNS = rule({ protocol: "udp", fromPort: 53, toPort: 53 });
const FRAG_NEEDED = rule({ protocol: "icmp", fromPort: 3, toPort: 4, source: "0.0.0.0/0" });
const ICMP_ANY = rule({ protocol: "icmp", fromPort: -1, toPort: -1 });
const ECHO_V6 = rule({ protocol: "icmpv6", fromPort: 128, toPort: -1, sourceKind: "ipv6", source: "::/0" });
const BEFORE: Rule[] = [HTTPS, RANGE, DEFAULT_EGRESS, FRAG_NEEDED];
const ADDED: Rule[] = [DNS, ICMP_ANY, ECHO_V6];

function judge(changes: Change[]): JudgedChange[] {
  return changes.map((change) => ({ change, judgement: { severity: "low", status: "unapproved", approvalId: null, approvalIds: [], approvalNote: null } }));
}
const DEPS: RecordDeps = { judge, route: () => [], blindAfterFailures: 3 };

/** A baseline with BEFORE, then a poll that adds ADDED. */
function writeHistory(db: Database): void {
  const target = ensureTarget(db, "111111111111", "eu-west-1", "prod", T0).id;
  const poll = (at: string, groups: GroupState[]): void => {
    recordSuccessfulPoll(db, target, { groups, pages: 1, startedAt: at, finishedAt: at }, DEPS);
  };
  poll(T0, [group({ groupId: "sg-0a01", rules: BEFORE })]);
  poll(T1, [group({ groupId: "sg-0a01", rules: [...BEFORE, ...ADDED] })]);
}

interface PortsRow {
  protocol: string;
  source: string;
  ports: string;
}

const key = (r: { protocol: string; source: string; ports: string }): string => `${r.protocol} ${r.ports} ${r.source}`;
const expected = (rules: Rule[]): string[] => rules.map((r) => key({ protocol: r.protocol, source: r.source, ports: formatPorts(r) })).sort();
const viewPorts = (db: Database, sql: string): string[] => (db.prepare(sql).all() as PortsRow[]).map(key).sort();

let tmp: TempDir;
beforeEach(() => {
  tmp = makeTempDir();
});
afterEach(() => tmp.remove());

describe("ports in the views", () => {
  it("current_rules, group_history and changes spell ports as formatPorts does, ICMP as type/code", () => {
    const db = openDatabase(tmp.join("views.db"), { now: () => T0 }).db;
    try {
      writeHistory(db);
      const all = [...BEFORE, ...ADDED];
      expect(viewPorts(db, "SELECT protocol, source, ports FROM current_rules")).toEqual(expected(all));
      expect(viewPorts(db, "SELECT protocol, source, ports FROM group_history")).toEqual(expected(all));
      expect(viewPorts(db, "SELECT protocol, source, ports FROM changes WHERE kind = 'rule-added'")).toEqual(expected(ADDED));
      // The forensic reading, spelled out once.
      expect(db.prepare("SELECT ports FROM current_rules WHERE protocol = 'icmp' AND source = '0.0.0.0/0'").get()).toEqual({ ports: "type 3/code 4" });
      expect(db.prepare("SELECT ports FROM changes WHERE protocol = 'icmpv6'").get()).toEqual({ ports: "type 128/code -1" });
    } finally {
      db.close();
    }
  });

  it("migration 0006 on 0001-0005 history changes only the ICMP ports, and adds who_match last", () => {
    const file = path.join(tmp.path, "old.db");
    const db = new BetterSqlite3(file);
    try {
      const all = readMigrations(path.join(packageRoot(), "migrations"));
      migrate(
        db,
        all.filter((m) => m.version <= 5),
        () => T0,
      );
      // This build's store also writes the guardrail columns of 0008, 0009's
      // ignored_reason and the exposure columns of 0010; give the old schema
      // them only while the history is written.
      const added = ["guardrail_id", "guardrail_reason", "ignored_reason", "interface_id", "instance_id", "public_ip", "interface_kind"];
      for (const c of added) db.exec(`ALTER TABLE change_events ADD COLUMN ${c} TEXT`);
      addPollRunColumns(db);
      writeHistory(db);
      dropPollRunColumns(db);
      for (const c of added) db.exec(`ALTER TABLE change_events DROP COLUMN ${c}`);
      const views = ["current_rules", "group_history", "changes"] as const;
      // Views have no rowid: order rows by everything but the columns 0006 changes.
      const order = (r: Record<string, unknown>): string => JSON.stringify({ ...r, ports: null, who_match: null });
      const snapshot = (): Record<string, Array<Record<string, unknown>>> =>
        Object.fromEntries(
          views.map((v) => [v, (db.prepare(`SELECT * FROM ${v}`).all() as Array<Record<string, unknown>>).sort((a, b) => order(a).localeCompare(order(b)))]),
        );
      const before = snapshot();
      expect(before.current_rules?.find((r) => r.protocol === "icmp" && r.source === "0.0.0.0/0")?.ports).toBe("3-4");

      // Up to 0006 only: later migrations add columns and views of their own.
      expect(migrate(db, all.filter((m) => m.version <= 6), () => T0)).toContain("0006_readable_views.sql");

      const after = snapshot();
      for (const v of views) {
        const old = before[v] ?? [];
        const now = after[v] ?? [];
        expect(now).toHaveLength(old.length);
        expect(Object.keys(now[0] ?? {})).toEqual([...Object.keys(old[0] ?? {}), ...(v === "changes" ? ["who_match"] : [])]);
        now.forEach((row, i) => {
          const was = old[i] ?? {};
          const icmp = typeof row.protocol === "string" && row.protocol.startsWith("icmp");
          const { ports, who_match: _whoMatch, ...rest } = row;
          const { ports: oldPorts, ...oldRest } = was;
          expect(rest, `${v} row ${i}`).toEqual(oldRest);
          if (!icmp) expect(ports, `${v} row ${i}`).toBe(oldPorts);
          else expect(ports, `${v} row ${i}`).toMatch(/^type -?\d+\/code -?\d+$/);
        });
      }
    } finally {
      db.close();
    }
  });
});
