// A database with a known history, written through the store's own code
// (ensureTarget, recordSuccessfulPoll), for the history/rules/diff queries and
// commands. Every poll finishes on the hour; the story, in UTC:
//
//   10:00 (T0) baseline. Target A (111111111111 eu-west-1): sg-0a01 "web"
//              (HTTPS from 10.0.0.0/8, the default egress), sg-0a02 "db"
//              (TCP 5432 from sg-0a01). Target B (222222222222 us-east-1):
//              sg-0b01 "web" (HTTPS from 10.0.0.0/8). B is never polled again.
//   11:00 (T1) sg-0a01: SSH from 0.0.0.0/0 added.
//   12:00 (T2) sg-0a01: SSH removed again; the HTTPS rule's description set
//              to "office LAN" (judged approved by CHG-7). sg-0a03 "batch"
//              created with TCP 8080 from 10.1.0.0/16.
//   13:00 (T3) sg-0a02 deleted; sg-0a01 renamed "web" → "frontend".
//
// The SSH addition is acknowledged by alice afterwards (acknowledgements row).
import type { Database } from "better-sqlite3";
import { openDatabase } from "../../src/store/open.js";
import { ensureTarget } from "../../src/store/targets-repo.js";
import { recordSuccessfulPoll, type RecordDeps } from "../../src/store/record-poll.js";
import type { Change, GroupState } from "../../src/model/types.js";
import type { JudgedChange } from "../../src/model/judged.js";
import { DEFAULT_EGRESS, group, rule } from "../unit/model/build.js";

export const ACCOUNT_A = "111111111111";
export const REGION_A = "eu-west-1";
export const ACCOUNT_B = "222222222222";
export const REGION_B = "us-east-1";

/** 2026-03-02 10:00 UTC: the baseline poll of both targets. */
export const T0 = "2026-03-02T10:00:00.000Z";
/** 11:00: SSH opened to the world on sg-0a01. */
export const T1 = "2026-03-02T11:00:00.000Z";
/** 12:00: SSH closed again, HTTPS description set, sg-0a03 created. */
export const T2 = "2026-03-02T12:00:00.000Z";
/** 13:00: sg-0a02 deleted, sg-0a01 renamed to frontend. */
export const T3 = "2026-03-02T13:00:00.000Z";
/** A minute after `t`, between polls. */
export function after(t: string, minutes = 30): string {
  return new Date(Date.parse(t) + minutes * 60_000).toISOString();
}

export const WEB = "sg-0a01";
export const DB = "sg-0a02";
export const BATCH = "sg-0a03";
export const WEB_B = "sg-0b01";

export const HTTPS_LAN = rule();
export const HTTPS_LAN_DESCRIBED = rule({ description: "office LAN" });
export const SSH_WORLD = rule({ fromPort: 22, toPort: 22, source: "0.0.0.0/0" });
export const PG_FROM_WEB = rule({ fromPort: 5432, toPort: 5432, sourceKind: "security-group", source: WEB });
export const BATCH_8080 = rule({ fromPort: 8080, toPort: 8080, source: "10.1.0.0/16" });

/** Low severity, unapproved — except description changes, approved by CHG-7. */
function judge(changes: Change[]): JudgedChange[] {
  return changes.map((change) =>
    change.kind === "rule-description-changed"
      ? { change, judgement: { severity: "low", status: "approved", approvalId: "CHG-7", approvalIds: ["CHG-7"], approvalNote: null } }
      : { change, judgement: { severity: "low", status: "unapproved", approvalId: null, approvalIds: [], approvalNote: null } },
  );
}

const DEPS: RecordDeps = { judge, route: () => [], blindAfterFailures: 3 };

function poll(db: Database, targetId: number, at: string, groups: GroupState[]): void {
  recordSuccessfulPoll(db, targetId, { groups, pages: 1, startedAt: new Date(Date.parse(at) - 30_000).toISOString(), finishedAt: at }, DEPS);
}

/** Ids of the interesting rows, for assertions. */
export interface HistoryDb {
  db: Database;
  targetA: number;
  targetB: number;
  /** change_events.id of the SSH addition (acknowledged by alice). */
  sshAddedId: number;
}

/** Create the database at `file` and write the story above into it. */
export function buildHistoryDb(file: string): HistoryDb {
  const db = openDatabase(file, { now: () => T0 }).db;
  const a = ensureTarget(db, ACCOUNT_A, REGION_A, "prod", T0).id;
  const b = ensureTarget(db, ACCOUNT_B, REGION_B, null, T0).id;
  const web = (name: string, rules: GroupState["rules"]): GroupState => group({ groupId: WEB, name, rules });
  const dbGroup = group({ groupId: DB, name: "db", description: "database", rules: [PG_FROM_WEB] });
  const batch = group({ groupId: BATCH, name: "batch", description: "batch jobs", rules: [BATCH_8080] });

  poll(db, a, T0, [web("web", [HTTPS_LAN, DEFAULT_EGRESS]), dbGroup]);
  poll(db, b, T0, [group({ groupId: WEB_B, name: "web", ownerId: ACCOUNT_B, vpcId: "vpc-b", rules: [HTTPS_LAN] })]);
  poll(db, a, T1, [web("web", [HTTPS_LAN, DEFAULT_EGRESS, SSH_WORLD]), dbGroup]);
  poll(db, a, T2, [web("web", [HTTPS_LAN_DESCRIBED, DEFAULT_EGRESS]), dbGroup, batch]);
  poll(db, a, T3, [web("frontend", [HTTPS_LAN_DESCRIBED, DEFAULT_EGRESS]), batch]);

  const ssh = db
    .prepare("SELECT id FROM change_events WHERE kind = 'rule-added' AND group_id = ? AND from_port = 22")
    .get(WEB) as { id: number };
  db.prepare("INSERT INTO acknowledgements (change_id, acked_at, acked_by, reason) VALUES (?, ?, 'alice', 'pairing session')").run(
    ssh.id,
    after(T1, 10),
  );
  return { db, targetA: a, targetB: b, sshAddedId: ssh.id };
}
