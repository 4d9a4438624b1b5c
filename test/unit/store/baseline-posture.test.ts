// recordSuccessfulPoll and the posture: asked only at a target's baseline,
// queued once in the outbox in the same transaction, cut to the worst 100
// findings with the total kept; nothing queued when there is nothing to say.
import { afterEach, describe, expect, it } from "vitest";
import type { Database } from "better-sqlite3";
import { openDatabase } from "../../../src/store/open.js";
import { ensureTarget } from "../../../src/store/targets-repo.js";
import { recordSuccessfulPoll, POSTURE_ALERT_MAX, type RecordDeps } from "../../../src/store/record-poll.js";
import type { PostureAlert, PostureItem } from "../../../src/model/alert-payload.js";
import type { GroupState } from "../../../src/model/types.js";
import { makeTempDir, type TempDir } from "../../support/temp-dir.js";

const T0 = "2026-03-02T10:00:00.000Z";
const T1 = "2026-03-02T10:05:00.000Z";
const GROUP: GroupState = { groupId: "sg-1", name: "bastion", description: "", vpcId: "vpc-1", ownerId: "111111111111", tags: {}, rules: [] };

function item(i: number): PostureItem {
  return {
    groupId: `sg-${i}`,
    groupName: "g",
    rule: { direction: "ingress", protocol: "tcp", fromPort: 22, toPort: 22, sourceKind: "ipv4", source: "0.0.0.0/0", sourceAccount: null, peeringId: null, description: null },
    severity: "critical",
    reasons: ["world-open-sensitive"],
    guardrail: null,
    exposure: null,
    revokeCommand: null,
  };
}

describe("posture at the baseline poll (store)", () => {
  let tmp: TempDir;
  let db: Database;
  afterEach(() => {
    db?.close();
    tmp?.remove();
  });

  function setup(findings: number): { asked: number; deps: RecordDeps; targetId: number } {
    tmp = makeTempDir();
    db = openDatabase(`${tmp.path}/h.db`, { now: () => T0 }).db;
    const targetId = ensureTarget(db, "111111111111", "us-east-1", null, T0).id;
    const state = { asked: 0 };
    const deps: RecordDeps = {
      judge: () => [],
      route: (payload) => [{ channel: "email", severity: "critical", payload }],
      posture: () => {
        state.asked++;
        return Array.from({ length: findings }, (_, i) => item(i));
      },
      blindAfterFailures: 3,
    };
    return {
      get asked() {
        return state.asked;
      },
      deps,
      targetId,
    };
  }

  const outbox = (): PostureAlert[] =>
    (db.prepare("SELECT payload FROM outbox ORDER BY id").all() as Array<{ payload: string }>).map((r) => JSON.parse(r.payload) as PostureAlert).filter((p) => p.type === "posture");

  it("queues one alert at the baseline, cut to the worst 100 with the total, and is not asked again", () => {
    const s = setup(150);
    recordSuccessfulPoll(db, s.targetId, { groups: [GROUP], pages: 1, startedAt: T0, finishedAt: T0 }, s.deps);
    recordSuccessfulPoll(db, s.targetId, { groups: [GROUP], pages: 1, startedAt: T1, finishedAt: T1 }, s.deps);
    expect(s.asked).toBe(1);
    const alerts = outbox();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.items).toHaveLength(POSTURE_ALERT_MAX);
    expect(alerts[0]?.total).toBe(150);
  });

  it("queues nothing when there is nothing to say", () => {
    const s = setup(0);
    recordSuccessfulPoll(db, s.targetId, { groups: [GROUP], pages: 1, startedAt: T0, finishedAt: T0 }, s.deps);
    expect(s.asked).toBe(1);
    expect(outbox()).toEqual([]);
  });
});
