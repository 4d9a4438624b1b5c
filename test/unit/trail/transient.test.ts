// Transient openings: the pure pairing and verdict as tables (transient.ts),
// and a property over the real join (transient-store.ts) on a real SQLite
// file, polls written by the store's own recordSuccessfulPoll and events by
// the sweep's storeEvents: for random interleavings of add/remove calls,
// polls, late event deliveries and joins, every rule that was ever live is
// either seen by a poll or reported transient, exactly once.
import { afterAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { classify, eventForChange, findOpenings, resolveRuleIds, type Opening, type PollSight, type RuleEvent } from "../../../src/trail/transient.js";
import { openDatabase } from "../../../src/store/open.js";
import { ensureTarget } from "../../../src/store/targets-repo.js";
import { recordSuccessfulPoll } from "../../../src/store/record-poll.js";
import { storeEvents } from "../../../src/trail/store.js";
import { joinTarget } from "../../../src/trail/transient-store.js";
import { routeAlert } from "../../../src/alerts/route.js";
import type { TrailEventRow } from "../../../src/trail/event-row.js";
import type { TransientAlert } from "../../../src/model/alert-payload.js";
import type { Rule } from "../../../src/model/types.js";
import { group, rule } from "../model/build.js";
import { makeTempDir } from "../../support/temp-dir.js";

const S = 1000;
const T = Date.parse("2026-03-02T10:00:00.000Z");
const at = (s: number): number => T + s * S;
const MYSQL = rule({ fromPort: 3306, toPort: 3306, source: "0.0.0.0/0" });
const SSH = rule({ fromPort: 22, toPort: 22, source: "0.0.0.0/0" });

function ev(id: string, s: number, name: string, over: Partial<RuleEvent> = {}): RuleEvent {
  return { eventId: id, timeMs: at(s), eventName: name, groupId: "sg-1", added: [], removed: [], modified: [], ...over };
}
const poll = (id: number, s: number, saw: boolean): PollSight => ({ id, startedMs: at(s), finishedMs: at(s) + 300, saw });

describe("findOpenings", () => {
  it("pairs each add with the first later remove of the same rule; a remove in the same second closes it", () => {
    const o = findOpenings([
      ev("a1", 10, "AuthorizeSecurityGroupIngress", { added: [MYSQL] }),
      ev("r1", 10, "RevokeSecurityGroupIngress", { removed: [MYSQL] }), // 20 ms later: the same second
      ev("a2", 30, "AuthorizeSecurityGroupIngress", { added: [MYSQL, SSH] }),
      ev("r2", 50, "RevokeSecurityGroupIngress", { removed: [SSH] }),
      ev("r0", 5, "RevokeSecurityGroupIngress", { removed: [SSH] }), // a rule older than the events: closes nothing
    ]);
    expect(o.map((x) => [x.addEventId, x.rule.fromPort, x.closeEventId])).toEqual([
      ["a1", 3306, "r1"],
      ["a2", 3306, null],
      ["a2", 22, "r2"],
    ]);
  });

  it("a modified rule changed and changed back is open between the two calls; deleting the group closes what is open in it", () => {
    const o = findOpenings([
      ev("m1", 10, "ModifySecurityGroupRules", { modified: [{ ruleId: "sgr-1", rule: MYSQL }] }),
      ev("m2", 20, "ModifySecurityGroupRules", { modified: [{ ruleId: "sgr-1", rule: SSH }] }),
      ev("a1", 25, "AuthorizeSecurityGroupEgress", { added: [rule({ direction: "egress", source: "198.51.100.0/24" })] }),
      ev("d1", 40, "DeleteSecurityGroup"),
    ]);
    expect(o.map((x) => [x.addEventId, x.rule.fromPort, x.anyDirection, x.closeEventId])).toEqual([
      ["m1", 3306, true, "m2"],
      ["m2", 22, true, "d1"],
      ["a1", 443, false, "d1"],
    ]);
  });
});

describe("classify", () => {
  const opening = (openS: number, closeS: number | null): Opening => ({
    addEventId: "a",
    openedMs: at(openS),
    groupId: "sg-1",
    rule: MYSQL,
    anyDirection: false,
    closeEventId: closeS === null ? null : "r",
    closeEventName: closeS === null ? null : "RevokeSecurityGroupIngress",
    closedMs: closeS === null ? null : at(closeS),
  });
  const cases: Array<[string, Opening, PollSight[], ReturnType<typeof classify>["kind"]]> = [
    ["no poll between that saw it, one after: transient", opening(100, 110), [poll(1, 0, false), poll(2, 200, false)], "transient"],
    ["a poll between saw it: seen", opening(100, 130), [poll(1, 0, false), poll(2, 120, true), poll(3, 200, false)], "seen"],
    ["a poll between that did not see it changes nothing", opening(100, 130), [poll(1, 0, false), poll(2, 120, false), poll(3, 200, false)], "transient"],
    ["still open: wait", opening(100, null), [poll(1, 0, false), poll(2, 200, false)], "wait"],
    ["no poll after the removal yet: wait", opening(100, 110), [poll(1, 0, false)], "wait"],
    // The removal's second and the skew: a poll 1.5 s after eventTime may have run before the call.
    ["a poll within the removal's second and the skew is not 'after': wait", opening(100, 110), [poll(1, 0, false), poll(2, 111.5, false)], "wait"],
    ["a poll just before the add that saw it (skew): seen", opening(100, 110), [poll(1, 0, false), poll(2, 99.5, true), poll(3, 200, false)], "seen"],
    ["before the first poll: not reported (the baseline's time)", opening(100, 110), [poll(1, 300, false)], "before-monitoring"],
  ];
  it.each(cases)("%s", (_name, o, polls, kind) => {
    expect(classify(o, polls, S).kind).toBe(kind);
  });

  it("names the polls around it", () => {
    expect(classify(opening(100, 110), [poll(1, 0, false), poll(2, 50, false), poll(3, 200, false), poll(4, 300, false)], S)).toMatchObject({
      kind: "transient",
      previousPoll: { id: 2 },
      nextPoll: { id: 3 },
    });
  });
});

describe("eventForChange", () => {
  it("finds the last call that made a change a poll saw, within (previous poll, detecting poll] and the skew", () => {
    const events = [
      ev("a0", 5, "AuthorizeSecurityGroupIngress", { added: [MYSQL] }), // before the previous poll: another change
      ev("a1", 20, "AuthorizeSecurityGroupIngress", { added: [MYSQL] }),
      ev("r1", 25, "RevokeSecurityGroupIngress", { removed: [MYSQL] }),
      ev("a2", 40, "AuthorizeSecurityGroupIngress", { added: [MYSQL] }), // the one that stuck
      ev("a3", 70, "AuthorizeSecurityGroupIngress", { added: [SSH] }),
    ];
    const key = "ingress|tcp|3306|3306|ipv4|0.0.0.0/0||";
    expect(eventForChange({ kind: "rule-added", groupId: "sg-1", key, intervalStartMs: at(10), detectedMs: at(60) }, events, S)).toEqual({ eventId: "a2", timeMs: at(40) });
    expect(eventForChange({ kind: "rule-removed", groupId: "sg-1", key, intervalStartMs: at(10), detectedMs: at(60) }, events, S)).toEqual({ eventId: "r1", timeMs: at(25) });
    expect(eventForChange({ kind: "rule-added", groupId: "sg-2", key, intervalStartMs: at(10), detectedMs: at(60) }, events, S)).toBeNull();
  });
});

describe("resolveRuleIds: rules named by sgr- id", () => {
  const MYSQL_KEY = "ingress|tcp|3306|3306|ipv4|0.0.0.0/0||";
  const INTERNAL = rule({ fromPort: 3306, toPort: 3306, source: "10.0.0.0/8" });
  const byId = (over: Partial<RuleEvent> & { eventId: string; s: number; eventName: string }): RuleEvent => ev(over.eventId, over.s, over.eventName, over);

  it("a revoke by id removes the content the Authorize response gave that id (adds first within a second); an id known nowhere, or of another group, removes nothing", () => {
    const events = resolveRuleIds([
      byId({ eventId: "r1", s: 10, eventName: "RevokeSecurityGroupIngress", removedIds: ["sgr-1"] }),
      byId({ eventId: "a1", s: 10, eventName: "AuthorizeSecurityGroupIngress", added: [MYSQL], addedIds: [{ ruleId: "sgr-1", rule: MYSQL }] }),
      byId({ eventId: "r2", s: 20, eventName: "RevokeSecurityGroupIngress", removedIds: ["sgr-404"] }),
      { ...byId({ eventId: "r3", s: 30, eventName: "RevokeSecurityGroupIngress", removedIds: ["sgr-1"] }), groupId: "sg-2" },
    ]);
    expect(events.map((e) => [e.eventId, e.removed])).toEqual([
      ["r1", [MYSQL]],
      ["a1", []],
      ["r2", []],
      ["r3", []],
    ]);
    expect(findOpenings(events)).toEqual([expect.objectContaining({ addEventId: "a1", closeEventId: "r1", closedMs: at(10) })]);
  });

  it("a modify replaces what the id held (finding 4's removed side); a later revoke by id removes the new content, its direction from the revoke", () => {
    const raw = [
      byId({ eventId: "a1", s: 10, eventName: "AuthorizeSecurityGroupIngress", added: [INTERNAL], addedIds: [{ ruleId: "sgr-1", rule: INTERNAL }] }),
      byId({ eventId: "m1", s: 20, eventName: "ModifySecurityGroupRules", modified: [{ ruleId: "sgr-1", rule: MYSQL }] }),
      byId({ eventId: "r1", s: 30, eventName: "RevokeSecurityGroupEgress", removedIds: ["sgr-1"] }),
    ];
    const events = resolveRuleIds(raw);
    expect(events[1]?.replaced).toEqual([{ rule: INTERNAL, anyDirection: false }]);
    expect(events[2]?.removed).toEqual([{ ...MYSQL, direction: "egress" }]);
    // The Authorize's opening ends at the modify that changed its content; the modified content at the revoke.
    expect(findOpenings(events).map((o) => [o.addEventId, o.closeEventId])).toEqual([
      ["a1", "m1"],
      ["m1", "r1"],
    ]);
    // A modify that only sets the description of what an Authorize opened: still the same opening.
    const described = resolveRuleIds([
      raw[0] as RuleEvent,
      byId({ eventId: "m0", s: 12, eventName: "ModifySecurityGroupRules", modified: [{ ruleId: "sgr-1", rule: { ...INTERNAL, description: "db clients" } }] }),
    ]);
    expect(described[1]?.replaced).toBeUndefined();
    expect(findOpenings(described).map((o) => [o.addEventId, o.closeEventId])).toEqual([["a1", null]]);
    const internalKey = "ingress|tcp|3306|3306|ipv4|10.0.0.0/8||";
    expect(eventForChange({ kind: "rule-removed", groupId: "sg-1", key: internalKey, intervalStartMs: at(15), detectedMs: at(25) }, events, S)).toEqual({ eventId: "m1", timeMs: at(20) });
    // Without the id's earlier content, the modify says nothing of what it replaced.
    expect(eventForChange({ kind: "rule-removed", groupId: "sg-1", key: internalKey, intervalStartMs: at(15), detectedMs: at(25) }, resolveRuleIds(raw.slice(1)), S)).toBeNull();
    expect(eventForChange({ kind: "rule-removed", groupId: "sg-1", key: MYSQL_KEY, intervalStartMs: at(15), detectedMs: at(25) }, events, S)).toBeNull();
  });
});

// --- The property, through the real store ------------------------------------

type Op = { kind: "toggle"; rule: number } | { kind: "poll" } | { kind: "deliver" } | { kind: "join" };

const RULES: Rule[] = [MYSQL, SSH, rule({ fromPort: 6379, toPort: 6379, source: "0.0.0.0/0" })];
const GROUP = "sg-0p01";

function eventRow(id: string, timeMs: number, name: string, added: Rule[], removed: Rule[]): TrailEventRow {
  return {
    event_id: id,
    event_time: new Date(timeMs).toISOString(),
    account: "111111111111",
    region: "eu-west-1",
    event_name: name,
    group_id: GROUP,
    group_ids: JSON.stringify([GROUP]),
    rules: JSON.stringify({ added, removed, described: [], modified: [] }),
    rules_text: "",
    error_code: null,
    error_message: null,
    identity_type: "IAMUser",
    identity_arn: "arn:aws:iam::111111111111:user/mallory",
    access_key_id: "AKIAEXAMPLEMALLORY01",
    source_ip: "203.0.113.9",
    user_agent: "aws-cli/2",
    vpc_endpoint_id: null,
    record: "{}",
  };
}

interface Live {
  addEventId: string;
  rule: number;
  closed: boolean;
  seen: boolean;
}

describe("property: every rule ever live is seen by a poll or reported transient, exactly once", () => {
  const tmp = makeTempDir();
  afterAll(() => tmp.remove());
  let run = 0;

  it("holds for random interleavings of calls, polls, late deliveries and joins", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            { weight: 4, arbitrary: fc.integer({ min: 0, max: RULES.length - 1 }).map((rule): Op => ({ kind: "toggle", rule })) },
            { weight: 2, arbitrary: fc.constant<Op>({ kind: "poll" }) },
            { weight: 2, arbitrary: fc.constant<Op>({ kind: "deliver" }) },
            { weight: 2, arbitrary: fc.constant<Op>({ kind: "join" }) },
          ),
          { minLength: 1, maxLength: 30 },
        ),
        (ops) => {
          const { db } = openDatabase(`${tmp.path}/p${run++}.db`);
          try {
            let now = T;
            const target = ensureTarget(db, "111111111111", "eu-west-1", null, new Date(now).toISOString());
            const routes = [{ channel: "log", minSeverity: "low" as const }];
            const deps = {
              db,
              judge: (changes: Parameters<Parameters<typeof recordSuccessfulPoll>[3]["judge"]>[0]) =>
                changes.map((change) => ({ change, judgement: { severity: "low" as const, status: "unapproved" as const, approvalId: null, approvalIds: [], approvalNote: null } })),
              route: (p: Parameters<typeof routeAlert>[1]) => routeAlert(routes, p),
              blindAfterFailures: 3,
            };
            const live = new Map<number, Live>();
            const lives: Live[] = [];
            let pending: TrailEventRow[] = [];
            let seq = 0;
            const doPoll = (): void => {
              const iso = new Date(now).toISOString();
              recordSuccessfulPoll(db, target.id, { groups: [group({ groupId: GROUP, rules: [...live.keys()].map((i) => RULES[i] as Rule) })], pages: 1, startedAt: iso, finishedAt: iso }, deps);
              for (const l of live.values()) l.seen = true;
            };
            const join = (): void => void joinTarget({ db, judge: deps.judge, route: deps.route, skewMs: S, horizonMs: 7 * 86_400_000 }, { id: target.id, account: "111111111111", region: "eu-west-1", label: null }, new Date(now));
            doPoll(); // the baseline: monitoring starts before every call
            for (const op of ops) {
              now += 10 * S;
              if (op.kind === "toggle") {
                const open = live.get(op.rule);
                const r = RULES[op.rule] as Rule;
                if (open) {
                  pending.push(eventRow(`e${seq++}`, now, "RevokeSecurityGroupIngress", [], [r]));
                  open.closed = true;
                  live.delete(op.rule);
                } else {
                  const id = `e${seq++}`;
                  pending.push(eventRow(id, now, "AuthorizeSecurityGroupIngress", [r], []));
                  const l: Live = { addEventId: id, rule: op.rule, closed: false, seen: false };
                  live.set(op.rule, l);
                  lives.push(l);
                }
              } else if (op.kind === "poll") doPoll();
              else if (op.kind === "deliver") {
                storeEvents(db, target.id, pending, new Date(now).toISOString());
                pending = [];
              } else join();
            }
            // Everything arrives in the end, a poll runs after it all, and the join runs twice.
            now += 10 * S;
            storeEvents(db, target.id, pending, new Date(now).toISOString());
            doPoll();
            join();
            now += 10 * S;
            join();

            const transients = db.prepare("SELECT changed_event_id AS id, rule_key FROM change_events WHERE transient = 1").all() as Array<{ id: string; rule_key: string }>;
            const alerted = (db.prepare("SELECT payload FROM outbox WHERE kind = 'transient'").all() as Array<{ payload: string }>).flatMap(
              (r) => (JSON.parse(r.payload) as TransientAlert).items.map((i) => i.openedBy.eventId),
            );
            for (const l of lives) {
              const reported = transients.filter((t) => t.id === l.addEventId).length;
              // Seen by a poll: never transient. Not seen: exactly one transient row and one alert.
              expect({ add: l.addEventId, reported, alerted: alerted.filter((a) => a === l.addEventId).length }).toEqual({
                add: l.addEventId,
                reported: l.seen ? 0 : 1,
                alerted: l.seen ? 0 : 1,
              });
            }
            expect(transients).toHaveLength(lives.filter((l) => !l.seen).length);
          } finally {
            db.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
