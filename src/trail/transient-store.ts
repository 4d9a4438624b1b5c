// The join of the two stores for one target (DESIGN.md "Two sensors"): reads
// trail_events and poll history, writes what they say together, in one
// transaction:
// - transient openings (transient.ts decides): a change_events row of its
//   own, judged like any addition, attributed from its adding call, its caller
//   held against the actor policy and the covering record's by: like a
//   change a poll saw (src/policy/actor-verdict.ts), alerted when unapproved
//   and not ignored;
// - CloudTrail times for the rule changes polls saw (finding 4): when each was
//   made and undone, and the exposure between those times.
// Idempotent and order-free: it reads only what is stored, a transient is
// written once (checked, and a unique index behind it), and times are only
// filled in where missing. Running it after every sweep, whatever arrived
// late, converges on the same answer.
import type { Database } from "better-sqlite3";
import type { AlertPayload, AlertTarget, TransientCall, TransientItem } from "../model/alert-payload.js";
import type { Change, Rule } from "../model/types.js";
import { severityRank } from "../model/types.js";
import type { JudgedChange } from "../model/judged.js";
import type { JudgeContext, RoutedAlert } from "../store/record-poll.js";
import { insertChanges } from "../store/changes-repo.js";
import { enqueueRouted } from "../store/threads-repo.js";
import { exposureByGroup, unattached } from "../model/attachment.js";
import { lastInterfacesRead, loadCurrentAttachments } from "../store/attachments-repo.js";
import { ruleKey } from "../model/rule-key.js";
import { revokeCommand } from "../policy/revoke-command.js";
import { sql } from "../store/statements.js";
import type { ActorPolicyConfig } from "../policy/actor.js";
import { decideActor } from "../policy/actor-verdict.js";
import { approvalBy, storeActorVerdict } from "../store/actor-verdict-repo.js";
import { factsOfEvent } from "./actor-facts.js";
import { classify, eventForChange, findOpenings, openingKeys, openingWindow, resolveRuleIds, type Opening, type PollSight, type RuleEvent } from "./transient.js";
import { parseTrailEvent, type ModifiedRule, type RuleWithId } from "./event-record.js";
import type { TrailEventRow } from "./event-row.js";

/** What the join needs, passed in. */
export interface TrailJoinDeps {
  /** The sgwatch database (migrated to 0011). */
  db: Database;
  /** Judges a change like the polls' (guardrails, approvals, severity, blast radius). */
  judge(changes: Change[], ctx: JudgeContext): JudgedChange[];
  /** Where transient alerts go (routed like drift). */
  route(payload: AlertPayload): RoutedAlert[];
  /** Why a change is recorded but not alerted (the ignore list), or null. */
  ignored?(change: Change, at: string): string | null;
  /** The target's actor policy (cloudtrail.actors); null or absent: only a covering record's by: is checked. */
  actors?: ActorPolicyConfig | null;
  /** Clock skew allowed between CloudTrail's eventTime and sgwatch's poll times (ms). */
  skewMs: number;
  /** Events and changes older than this (ms before now) are settled: not joined again. */
  horizonMs: number;
}

/** The target as the join writes for it. */
export interface JoinTarget {
  /** targets.id. */
  id: number;
  account: string;
  region: string;
  label: string | null;
}

/** What one join did. */
export interface JoinResult {
  /** Transient openings recorded now. */
  transients: number;
  /** Of those, alerted (unapproved, not ignored). */
  alerted: number;
  /** Closed openings still waiting for a successful poll after their removal. */
  waiting: number;
  /** Poll-seen changes given CloudTrail times now. */
  timed: number;
}

/** The calls the join reads: those that add or remove rules. */
const RULE_EVENT_NAMES = [
  "AuthorizeSecurityGroupIngress",
  "AuthorizeSecurityGroupEgress",
  "RevokeSecurityGroupIngress",
  "RevokeSecurityGroupEgress",
  "ModifySecurityGroupRules",
  "DeleteSecurityGroup",
];

/** The columns of a stored call (trail_events) the join reads. */
type EventRow = Pick<
  TrailEventRow,
  "event_id" | "event_time" | "event_name" | "group_id" | "rules" | "identity_arn" | "access_key_id" | "source_ip" | "user_agent" | "identity_type" | "record"
>;

interface PollRow {
  id: number;
  started_at: string;
  finished_at: string;
  /** 1: a run of unchanged polls (migration 0014), started_at its first poll's start, finished_at its last's finish. */
  run: number;
  poll_count: number;
}

function toRuleEvent(r: EventRow): RuleEvent {
  const rules = JSON.parse(r.rules) as { added?: Rule[]; removed?: Rule[]; modified?: ModifiedRule[]; addedIds?: RuleWithId[]; removedIds?: string[] };
  // Rows stored before rule ids were kept: read them from the record as delivered.
  const ids = rules.addedIds === undefined || rules.removedIds === undefined ? parseTrailEvent({ CloudTrailEvent: r.record }) : null;
  return {
    eventId: r.event_id,
    timeMs: Date.parse(r.event_time),
    eventName: r.event_name,
    groupId: r.group_id,
    added: rules.added ?? [],
    removed: rules.removed ?? [],
    modified: rules.modified ?? [],
    addedIds: rules.addedIds ?? ids?.addedIds ?? [],
    removedIds: rules.removedIds ?? ids?.removedIds ?? [],
  };
}

function callOf(r: EventRow | undefined, fallback: { eventId: string | null; eventName: string | null }): TransientCall {
  return {
    eventName: r?.event_name ?? fallback.eventName ?? "",
    eventId: r?.event_id ?? fallback.eventId ?? "",
    arn: r?.identity_arn ?? null,
    accessKeyId: r?.access_key_id ?? null,
    sourceIp: r?.source_ip ?? null,
    userAgent: r?.user_agent ?? null,
  };
}

/** userIdentity's user or session name, for change_attributions.actor_name. */
function actorName(record: string): string | null {
  try {
    const v = JSON.parse(record) as { userIdentity?: { userName?: unknown; sessionContext?: { sessionIssuer?: { userName?: unknown } }; arn?: unknown } };
    const u = v.userIdentity;
    if (typeof u?.userName === "string") return u.userName;
    if (typeof u?.arn === "string") return u.arn.split("/").pop() ?? null;
  } catch {
    // An unreadable record names nobody; the ARN column still does.
  }
  return null;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The successful polls that decide an opening: overlapping its window, the last before, the first after, the first ever. */
function pollsFor(db: Database, targetId: number, o: Opening, skewMs: number): PollSight[] {
  const w = openingWindow(o, skewMs);
  if (w === null) return [];
  const from = iso(w.from);
  const until = iso(w.until);
  const rows = new Map<number, PollRow>();
  const add = (list: PollRow[]): void => {
    for (const r of list) rows.set(r.id, r);
  };
  add(db.prepare("SELECT id, started_at, finished_at, run, poll_count FROM polls WHERE target_id = ? AND status = 'ok' AND finished_at >= ? AND started_at <= ? ORDER BY id").all(targetId, from, until) as PollRow[]);
  add(db.prepare("SELECT id, started_at, finished_at, run, poll_count FROM polls WHERE target_id = ? AND status = 'ok' AND finished_at < ? ORDER BY id DESC LIMIT 1").all(targetId, from) as PollRow[]);
  add(db.prepare("SELECT id, started_at, finished_at, run, poll_count FROM polls WHERE target_id = ? AND status = 'ok' AND started_at > ? ORDER BY id LIMIT 1").all(targetId, until) as PollRow[]);
  add(db.prepare("SELECT id, started_at, finished_at, run, poll_count FROM polls WHERE target_id = ? AND status = 'ok' ORDER BY id LIMIT 1").all(targetId) as PollRow[]);
  const keys = JSON.stringify(openingKeys(o));
  const saw = db.prepare(
    `SELECT 1 FROM rule_versions WHERE target_id = ? AND group_id = ? AND rule_key IN (SELECT value FROM json_each(?))
        AND added_poll_id <= ? AND (removed_poll_id IS NULL OR removed_poll_id > ?) LIMIT 1`,
  );
  return [...rows.values()]
    .sort((a, b) => a.id - b.id)
    .flatMap((p): PollSight[] => {
      const startedMs = Date.parse(p.started_at);
      const finishedMs = Date.parse(p.finished_at);
      const seen = saw.get(targetId, o.groupId, keys, p.id, p.id) !== undefined;
      if (seen || p.run !== 1 || p.poll_count < 2) return [{ id: p.id, startedMs, finishedMs, saw: seen }];
      // A run row stands for polls that all recorded the same state, one after
      // another: its first poll (started at started_at) and its last (finished
      // at finished_at); one that saw the rule stays whole, so every window it
      // overlaps is seen. The last one's start is not kept; it is taken as its
      // finish. That can only call a later poll "after the window": sound,
      // because a target's polls run one at a time, so once a poll that
      // finished after the window is recorded, no poll that could have seen
      // the rule is still to come, and none of the run's polls saw it.
      return [
        { id: p.id, startedMs, finishedMs: startedMs, saw: seen },
        { id: p.id, startedMs: finishedMs, finishedMs, saw: seen },
      ];
    });
}

interface GroupInfo {
  name: string;
  vpc_id: string | null;
  tags: string;
}

/** Records one transient opening; returns the alert item when it alerts. */
function recordTransient(
  deps: TrailJoinDeps,
  target: JoinTarget,
  o: Opening & { closeEventId: string; closedMs: number },
  verdict: { previousPoll: PollSight | null; nextPoll: PollSight },
  byId: Map<string, EventRow>,
  nowIso: string,
): TransientItem | null {
  const { db } = deps;
  const group = db.prepare("SELECT name, vpc_id, tags FROM group_versions WHERE target_id = ? AND group_id = ? ORDER BY id DESC LIMIT 1").get(target.id, o.groupId) as GroupInfo | undefined;
  const change: Change = {
    kind: "rule-added",
    groupId: o.groupId,
    groupName: group?.name ?? "",
    vpcId: group?.vpc_id ?? null,
    groupTags: group ? (JSON.parse(group.tags) as Record<string, string>) : {},
    rule: o.rule,
  };
  const openedAt = iso(o.openedMs);
  const closedAt = iso(o.closedMs);
  // Blast radius as last read: what the rule exposed while it was open.
  const last = lastInterfacesRead(db, target.id);
  const exposure = last ? exposureByGroup(loadCurrentAttachments(db, target.id), last.at) : null;
  // Approval records are held against the time it was open, as CloudTrail says.
  const judged = deps.judge([change], { intervalStart: openedAt, detectedAt: closedAt, ...(exposure && last ? { exposure: (id: string) => exposure.get(id) ?? unattached(last.at) } : {}) });
  const [id] = insertChanges(db, { pollId: verdict.nextPoll.id, targetId: target.id, detectedAt: nowIso, intervalStart: verdict.previousPoll ? iso(verdict.previousPoll.finishedMs) : null }, judged);
  const changeId = id as number;
  const seconds = Math.max(0, Math.round((o.closedMs - o.openedMs) / 1000));
  db.prepare(
    `UPDATE change_events SET transient = 1, changed_at = ?, changed_event_id = ?, undone_at = ?, undone_event_id = ?, reverted_at = ?, exposure_seconds = ?, attribution_status = 'attributed'
      WHERE id = ?`,
  ).run(openedAt, o.addEventId, closedAt, o.closeEventId, closedAt, seconds, changeId);
  // Who opened it is known exactly: the adding call.
  const adder = byId.get(o.addEventId);
  if (adder) {
    db.prepare(
      `INSERT INTO change_attributions (change_id, event_id, event_name, event_time, actor_arn, actor_type, actor_name, access_key_id, source_ip, user_agent, match_quality, attributed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'exact', ?)`,
    ).run(changeId, adder.event_id, adder.event_name, adder.event_time, adder.identity_arn, adder.identity_type, actorName(adder.record), adder.access_key_id, adder.source_ip, adder.user_agent, nowIso);
  }
  const first = judged[0] as JudgedChange;
  // Then who opened it (judgement order: guardrails, actor policy, approvals, severity): its
  // caller is known exactly, so the verdict is decided now, once, and stored like a polled change's.
  const actor = decideActor(
    { status: first.judgement.status, approvalId: first.judgement.approvalId, approvalNote: first.judgement.approvalNote },
    factsOfEvent(db, o.addEventId),
    deps.actors ?? null,
    approvalBy(db, first.judgement.approvalId),
  );
  if (actor !== null) storeActorVerdict(db, changeId, actor);
  const failed = actor !== null && actor.verdict !== "allowed" ? { verdict: actor.verdict, problems: actor.problems, note: actor.note } : null;
  const j: JudgedChange = failed
    ? { ...first, judgement: { ...first.judgement, status: "unapproved", approvalNote: failed.note, severity: failed.verdict === "unexpected" ? "critical" : first.judgement.severity } }
    : first;
  const reason = deps.ignored?.(change, closedAt) ?? null;
  if (reason !== null) db.prepare("UPDATE change_events SET ignored_reason = ? WHERE id = ?").run(reason, changeId);
  if (reason !== null || j.judgement.status === "approved") return null;
  const guardrail = j.judgement.guardrail ?? null;
  return {
    change: {
      changeId,
      kind: "rule-added",
      severity: j.judgement.severity,
      groupId: o.groupId,
      groupName: change.groupName,
      vpcId: change.vpcId,
      rule: o.rule,
      oldDescription: null,
      before: null,
      after: null,
      approvalNote: j.judgement.approvalNote,
      guardrail,
      broadSource: j.judgement.broadSource ?? false,
      // Closed already; the command is for the next time, and says which rule.
      revokeCommand: guardrail !== null ? revokeCommand(o.groupId, o.rule, target) : null,
      groupTags: change.groupTags,
      ...(j.judgement.exposure ? { exposure: j.judgement.exposure } : {}),
      ...(j.judgement.notReachable ? { notReachable: true } : {}),
    },
    openedAt,
    closedAt,
    seconds,
    openedBy: callOf(adder, { eventId: o.addEventId, eventName: null }),
    closedBy: callOf(byId.get(o.closeEventId), { eventId: o.closeEventId, eventName: o.closeEventName }),
    previousPollAt: verdict.previousPoll ? iso(verdict.previousPoll.finishedMs) : null,
    nextPollAt: iso(verdict.nextPoll.startedMs),
    ...(failed ? { actor: { verdict: failed.verdict, problems: failed.problems, approvalId: first.judgement.approvalId } } : {}),
  };
}

interface UntimedRow {
  id: number;
  kind: "rule-added" | "rule-removed";
  group_id: string;
  rule_key: string;
  interval_start: string | null;
  detected_at: string;
}

/** Finding 4: CloudTrail times for the rule changes polls saw, and exposure between them. */
function attachTrailTimes(deps: TrailJoinDeps, targetId: number, events: readonly RuleEvent[], sinceIso: string): number {
  const { db } = deps;
  const rows = db
    .prepare(
      `SELECT id, kind, group_id, rule_key, interval_start, detected_at FROM change_events
        WHERE target_id = ? AND changed_at IS NULL AND rule_key IS NOT NULL AND transient = 0
          AND kind IN ('rule-added', 'rule-removed') AND detected_at >= ?`,
    )
    .all(targetId, sinceIso) as UntimedRow[];
  if (rows.length === 0) return 0;
  const setChanged = db.prepare("UPDATE change_events SET changed_at = ?, changed_event_id = ? WHERE id = ?");
  // By group: each change is compared with its own group's calls only.
  const byGroup = new Map<string, RuleEvent[]>();
  for (const e of events) if (e.groupId !== null) byGroup.set(e.groupId, [...(byGroup.get(e.groupId) ?? []), e]);
  const touched: number[] = [];
  for (const r of rows) {
    const hit = eventForChange(
      { kind: r.kind, groupId: r.group_id, key: r.rule_key, intervalStartMs: r.interval_start === null ? null : Date.parse(r.interval_start), detectedMs: Date.parse(r.detected_at) },
      byGroup.get(r.group_id) ?? [],
      deps.skewMs,
    );
    if (hit === null) continue;
    setChanged.run(iso(hit.timeMs), hit.eventId, r.id);
    touched.push(r.id);
  }
  if (touched.length === 0) return 0;
  // An undone change takes its undoing change's call time; either time
  // arriving recomputes the exposure, each side from the best source known.
  const ids = JSON.stringify(touched);
  db.prepare(
    `UPDATE change_events AS c SET undone_at = u.changed_at, undone_event_id = u.changed_event_id
       FROM change_events u
      WHERE u.id = c.reverted_by_change_id AND u.changed_at IS NOT NULL AND c.undone_at IS NULL
        AND (c.id IN (SELECT value FROM json_each(?)) OR u.id IN (SELECT value FROM json_each(?)))`,
  ).run(ids, ids);
  db.prepare(
    `UPDATE change_events SET exposure_seconds = max(0, CAST(round((julianday(coalesce(undone_at, reverted_at)) - julianday(coalesce(changed_at, detected_at))) * 86400) AS INTEGER))
      WHERE reverted_at IS NOT NULL AND transient = 0
        AND (id IN (SELECT value FROM json_each(?)) OR reverted_by_change_id IN (SELECT value FROM json_each(?)))`,
  ).run(ids, ids);
  return touched.length;
}

/** Joins one target's stored events with its poll history; one transaction. */
export function joinTarget(deps: TrailJoinDeps, target: JoinTarget, now: Date): JoinResult {
  const { db } = deps;
  const since = iso(now.getTime() - deps.horizonMs);
  // A quiet trail costs one indexed read, outside any write transaction.
  if (sql(db, "SELECT 1 FROM trail_events WHERE target_id = ? AND event_time >= ? AND error_code IS NULL LIMIT 1").get(target.id, since) === undefined) {
    return { transients: 0, alerted: 0, waiting: 0, timed: 0 };
  }
  return db.transaction((): JoinResult => {
    const result: JoinResult = { transients: 0, alerted: 0, waiting: 0, timed: 0 };
    const nowIso = now.toISOString();
    const rows = sql(
        db,
        `SELECT event_id, event_time, event_name, group_id, rules, identity_arn, access_key_id, source_ip, user_agent, identity_type, record
           FROM trail_events
          WHERE target_id = ? AND error_code IS NULL AND event_time >= ? AND event_name IN (SELECT value FROM json_each(?))
          ORDER BY event_time, event_id`,
      ).all(target.id, since, JSON.stringify(RULE_EVENT_NAMES)) as EventRow[];
    if (rows.length === 0) return result;
    const byId = new Map(rows.map((r) => [r.event_id, r]));
    const events = resolveRuleIds(rows.map(toRuleEvent));
    const reported = db.prepare(
      "SELECT 1 FROM change_events WHERE target_id = ? AND transient = 1 AND changed_event_id = ? AND group_id = ? AND rule_key IN (SELECT value FROM json_each(?)) LIMIT 1",
    );
    const items: TransientItem[] = [];
    for (const o of findOpenings(events)) {
      // Still open (or its removal not delivered yet): a poll will see it, or a later join decides.
      if (o.closeEventId === null || o.closedMs === null) continue;
      const keys = o.anyDirection ? openingKeys(o) : [ruleKey(o.rule)];
      if (reported.get(target.id, o.addEventId, o.groupId, JSON.stringify(keys)) !== undefined) continue;
      const verdict = classify(o, pollsFor(db, target.id, o, deps.skewMs), deps.skewMs);
      if (verdict.kind === "wait") result.waiting++;
      if (verdict.kind !== "transient") continue;
      const item = recordTransient(deps, target, { ...o, closeEventId: o.closeEventId, closedMs: o.closedMs }, verdict, byId, nowIso);
      result.transients++;
      if (item) items.push(item);
    }
    if (items.length > 0) {
      items.sort((a, b) => severityRank(b.change.severity) - severityRank(a.change.severity) || a.change.changeId - b.change.changeId);
      const alertTarget: AlertTarget = { account: target.account, region: target.region, label: target.label };
      for (const r of deps.route({ type: "transient", target: alertTarget, items })) enqueueRouted(db, r, nowIso);
      result.alerted = items.length;
    }
    result.timed = attachTrailTimes(deps, target.id, events, since);
    return result;
  })();
}
