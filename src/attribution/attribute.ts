// The attribution job: for each detected change not yet attributed, find the
// CloudTrail event that made it among the events the sweep stored
// (trail_events, src/trail/): attribution makes no LookupEvents call of its
// own, so each event is fetched once. CloudTrail delivers events minutes after
// the call, so a change without a match stays pending and is matched again on
// later calls (after later sweeps) until the horizon (attribution.horizon
// after detection), then it is marked unattributed. A change is alerted when
// detected, whatever happens here: attribution is a later fact stored beside
// it. What it can change is the actor verdict (actor-check.ts): a caller
// outside the actor policy, or not the one the approving record names.
//
// Run after each cycle's sweep.
import type { Database } from "better-sqlite3";
import type { Logger } from "pino";
import type { Event } from "@aws-sdk/client-cloudtrail";
import type { AlertPayload } from "../model/alert-payload.js";
import type { RoutedAlert } from "../store/record-poll.js";
import type { ActorFacts, ActorPolicyConfig } from "../policy/actor.js";
import { getCursor } from "../trail/store.js";
import type { Change, ChangeKind, GroupAttributes } from "../model/types.js";
import { columnsToRule, type RuleColumns } from "../store/rule-columns.js";
import type { Clock } from "../util/time.js";
import { matchChange, parseCandidates, type Match } from "./match.js";
import { checkActors } from "./actor-check.js";
import { factsOfEvent } from "../trail/actor-facts.js";

export { toAttribution, type Attribution } from "./trail-event.js";

/** The target a change belongs to, as attributePending sees it. */
export interface AttributionTarget {
  /** AWS account id. */
  account: string;
  /** AWS region. */
  region: string;
  /** targets.id. */
  targetId: number;
  /** The configured label. */
  label: string | null;
}

/** Everything the job needs, passed in. */
export interface AttributionDeps {
  /** The sgwatch database (migrated to 0003). */
  db: Database;
  /** Time source: detection times and the horizon are compared with it. */
  clock: Clock;
  /** Narrowed to module "attribution". */
  logger: Logger;
  /** The target's actor policy (cloudtrail.actors); absent or null: none. */
  actors?: (target: AttributionTarget) => ActorPolicyConfig | null;
  /** Where unexpected-actor alerts go; absent: verdicts are stored, nothing is queued. */
  route?: (payload: AlertPayload) => RoutedAlert[];
  /** Keep looking this long after detection, then give up (config attribution.horizon; default 30 min). */
  horizonMs: number;
  /** Whether a target has attribution on; default every target. Changes of other targets are marked n/a. */
  enabled?: (target: AttributionTarget) => boolean;
  /**
   * Slack around the poll interval for clock differences between sgwatch and
   * AWS (default 60 s). A match in this window is taken at once.
   */
  skewMs?: number;
  /**
   * Wider slack (default 5 min) looked up too; a match only in it, or a
   * "possible" match, is taken only at the horizon, when nothing better came.
   */
  padMs?: number;
  /** Changes handled per call, oldest first (default 500); the rest wait for the next call. */
  batch?: number;
  /** Stop between groups (shutdown); what was not looked up stays as it was for the next call. */
  signal?: AbortSignal;
}

/** What one call did. */
export interface AttributionResult {
  /** Changes attributed now. */
  attributed: number;
  /** Changes still pending (looked up, or CloudTrail failed; retried next call). */
  pending: number;
  /** Changes marked unattributed now (horizon passed without a match). */
  gaveUp: number;
  /** Changes of targets without attribution, marked n/a now. */
  notApplicable: number;
  /** Ids of the changes attributed now, to tell people who made changes they were alerted about. */
  attributedChangeIds: number[];
  /** Ids of the changes an unexpected-actor alert was queued for now (their "attributed" follow-up would say less). */
  actorAlertedChangeIds: number[];
}

interface OpenRow extends Nullable<RuleColumns> {
  id: number;
  target_id: number;
  account: string;
  region: string;
  label: string | null;
  kind: ChangeKind;
  group_id: string;
  group_name: string;
  vpc_id: string | null;
  detected_at: string;
  interval_start: string | null;
  old_description: string | null;
  before: string | null;
  after: string | null;
}

type Nullable<T> = { [K in keyof T]: T[K] | null };

function toChange(r: OpenRow): Change {
  const change: Change = { kind: r.kind, groupId: r.group_id, groupName: r.group_name, vpcId: r.vpc_id, groupTags: {} };
  if (r.kind.startsWith("rule-") && r.direction !== null && r.protocol !== null && r.source_kind !== null && r.source !== null) {
    change.rule = columnsToRule({ ...r, direction: r.direction, protocol: r.protocol, source_kind: r.source_kind, source: r.source });
  }
  if (r.kind === "rule-description-changed") change.oldDescription = r.old_description;
  if (r.before !== null) change.before = JSON.parse(r.before) as Partial<GroupAttributes>;
  if (r.after !== null) change.after = JSON.parse(r.after) as Partial<GroupAttributes>;
  return change;
}

function openRows(db: Database, batch: number): OpenRow[] {
  return db
    .prepare(
      `SELECT c.id, c.target_id, t.account, t.region, t.label, c.kind, c.group_id, c.group_name, c.vpc_id,
              c.detected_at, c.interval_start, c.direction, c.protocol, c.from_port, c.to_port, c.source_kind,
              c.source, c.source_account, c.peering_id, c.description, c.old_description, c.before, c.after
         FROM change_events c JOIN targets t ON t.id = c.target_id
        WHERE c.attribution_status IS NULL OR c.attribution_status = 'pending'
        ORDER BY c.id LIMIT ?`,
    )
    .all(batch) as OpenRow[];
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = out.get(k);
    if (list) list.push(it);
    else out.set(k, [it]);
  }
  return out;
}

/** Match every open change to the stored events, store what is found, and decide the actor verdicts; makes no CloudTrail call. */
export async function attributePending(deps: AttributionDeps): Promise<AttributionResult> {
  const { db } = deps;
  const log = deps.logger.child({ module: "attribution" });
  const skewMs = deps.skewMs ?? 60_000;
  const padMs = Math.max(deps.padMs ?? 5 * 60_000, skewMs);
  const result: AttributionResult = { attributed: 0, pending: 0, gaveUp: 0, notApplicable: 0, attributedChangeIds: [], actorAlertedChangeIds: [] };
  const rows = openRows(db, deps.batch ?? 500);

  const markNa = db.prepare("UPDATE change_events SET attribution_status = 'n/a' WHERE id = ?");
  const attempt = db.prepare(
    "UPDATE change_events SET attribution_status = ?, attribution_attempts = attribution_attempts + 1, attribution_last_attempt_at = ? WHERE id = ?",
  );
  const store = db.prepare(
    `INSERT INTO change_attributions (change_id, event_id, event_name, event_time, actor_arn, actor_type, actor_name,
       access_key_id, source_ip, user_agent, match_quality, attributed_at)
     VALUES (@change_id, @event_id, @event_name, @event_time, @actor_arn, @actor_type, @actor_name,
       @access_key_id, @source_ip, @user_agent, @match_quality, @attributed_at)
     ON CONFLICT (change_id) DO NOTHING`,
  );

  // The sweep's stored events of one group (and creates/deletes named only by group name) in a window.
  const candidatesOf = db.prepare(
    `SELECT event_id, event_name, event_time, record FROM trail_events
      WHERE target_id = @target AND error_code IS NULL AND event_time >= @from AND event_time <= @to
        AND (group_id = @group OR EXISTS (SELECT 1 FROM json_each(group_ids) WHERE value = @group)
             OR (group_id IS NULL AND event_name IN ('CreateSecurityGroup', 'DeleteSecurityGroup')))
      ORDER BY event_time DESC, event_id`,
  );
  const toEvent = (e: { event_id: string; event_name: string; event_time: string; record: string }): Event => ({
    EventId: e.event_id,
    EventName: e.event_name,
    EventTime: new Date(e.event_time),
    EventSource: "ec2.amazonaws.com",
    CloudTrailEvent: e.record,
  });

  for (const targetRows of groupBy(rows, (r) => String(r.target_id)).values()) {
    const first = targetRows[0] as OpenRow;
    const target: AttributionTarget = { targetId: first.target_id, account: first.account, region: first.region, label: first.label };
    const check = { policy: deps.actors?.(target) ?? null, ...(deps.route ? { route: deps.route } : {}) };
    const nowIsoTarget = deps.clock().toISOString();
    if (deps.enabled !== undefined && !deps.enabled(target)) {
      db.transaction(() => {
        targetRows.forEach((r) => markNa.run(r.id));
        // Without CloudTrail nothing names the caller: a record that approves only a named one does not approve.
        result.actorAlertedChangeIds.push(...checkActors(db, check, targetRows.map((r) => ({ changeId: r.id, facts: null })), nowIsoTarget));
      })();
      result.notApplicable += targetRows.length;
      continue;
    }
    // An exposure-added change is made by interface calls (RunInstances,
    // AttachNetworkInterface, ModifyNetworkInterfaceAttribute, AssociateAddress),
    // which the sweep does not read: nothing to look up, so n/a now rather than
    // "unattributed" after the horizon, which would say CloudTrail had no event.
    const exposures = targetRows.filter((r) => r.kind === "exposure-added");
    if (exposures.length > 0) {
      db.transaction(() => {
        exposures.forEach((r) => markNa.run(r.id));
        result.actorAlertedChangeIds.push(...checkActors(db, check, exposures.map((r) => ({ changeId: r.id, facts: null })), nowIsoTarget));
      })();
      result.notApplicable += exposures.length;
    }
    const byGroupCalls = targetRows.filter((r) => r.kind !== "exposure-added");
    // Where the sweep has read up to: a change after that cannot have its event stored yet.
    const sweptUntil = getCursor(db, target.targetId).swept_until;
    let behindLogged = false;
    for (const [groupId, groupRows] of groupBy(byGroupCalls, (r) => r.group_id)) {
      if (deps.signal?.aborted) return result;
      const now = deps.clock();
      const nowIso = now.toISOString();
      const startOf = (r: OpenRow): number => Date.parse(r.interval_start ?? r.detected_at) - (r.interval_start === null ? deps.horizonMs : 0);
      const from = new Date(Math.min(...groupRows.map(startOf)) - padMs);
      const to = new Date(Math.max(...groupRows.map((r) => Date.parse(r.detected_at))) + padMs);
      const expired = (r: OpenRow): boolean => now.getTime() - Date.parse(r.detected_at) >= deps.horizonMs;

      const behind = sweptUntil === null || groupRows.some((r) => Date.parse(sweptUntil) < Date.parse(r.detected_at));
      if (behind && !behindLogged) {
        log.debug({ event: "attribution-waits-for-sweep", account: target.account, region: target.region, sweptUntil }, "the CloudTrail sweep has not read up to these changes yet");
        behindLogged = true;
      }
      const events = (candidatesOf.all({ target: target.targetId, group: groupId, from: from.toISOString(), to: to.toISOString() }) as Array<{ event_id: string; event_name: string; event_time: string; record: string }>).map(toEvent);
      const candidates = parseCandidates(events);
      const decisions = groupRows.map((r) => {
        const change = toChange(r);
        const start = Date.parse(r.interval_start ?? r.detected_at) - (r.interval_start === null ? deps.horizonMs : 0);
        const end = Date.parse(r.detected_at);
        const near = matchChange(change, candidates, { fromMs: start - skewMs, toMs: end + skewMs });
        let chosen: Match | null = near !== null && near.quality !== "possible" ? near : null;
        if (chosen === null && expired(r)) chosen = near ?? matchChange(change, candidates, { fromMs: start - padMs, toMs: end + padMs });
        return { r, chosen, gaveUp: chosen === null && expired(r) };
      });
      const decided: Array<{ changeId: number; facts: ActorFacts | null }> = [];
      db.transaction(() => {
        for (const d of decisions) {
          if (d.chosen !== null) {
            const a = d.chosen.attribution;
            store.run({
              change_id: d.r.id,
              event_id: a.eventId,
              event_name: a.eventName,
              event_time: a.eventTime,
              actor_arn: a.actorArn,
              actor_type: a.actorType,
              actor_name: a.actorName,
              access_key_id: a.accessKeyId,
              source_ip: a.sourceIp,
              user_agent: a.userAgent,
              match_quality: d.chosen.quality,
              attributed_at: nowIso,
            });
            attempt.run("attributed", nowIso, d.r.id);
            decided.push({ changeId: d.r.id, facts: factsOfEvent(db, a.eventId) });
          } else {
            attempt.run(d.gaveUp ? "unattributed" : "pending", nowIso, d.r.id);
            if (d.gaveUp) decided.push({ changeId: d.r.id, facts: null });
          }
        }
        result.actorAlertedChangeIds.push(...checkActors(db, check, decided, nowIso));
      })();
      for (const d of decisions) {
        if (d.chosen !== null) {
          result.attributed++;
          result.attributedChangeIds.push(d.r.id);
          const a = d.chosen.attribution;
          log.info(
            {
              event: "attributed",
              changeId: d.r.id,
              groupId,
              kind: d.r.kind,
              who: a.actorArn,
              accessKeyId: a.accessKeyId,
              sourceIp: a.sourceIp,
              userAgent: a.userAgent,
              eventName: a.eventName,
              eventId: a.eventId,
              eventTime: a.eventTime,
              quality: d.chosen.quality,
            },
            `change ${d.r.id} (${d.r.kind} on ${groupId}) was made by ${a.actorArn ?? a.actorName ?? "?"} from ${a.sourceIp ?? "?"} (${a.eventName})`,
          );
        } else if (d.gaveUp) {
          result.gaveUp++;
          const reason = behind ? "trail-not-read" : "no-matching-event";
          log.warn(
            { event: "unattributed", changeId: d.r.id, groupId, kind: d.r.kind, reason },
            `change ${d.r.id} could not be attributed: ${behind ? "the CloudTrail sweep had not read up to it by the horizon" : "no matching CloudTrail event before the horizon"}`,
          );
        } else result.pending++;
      }
    }
  }
  return result;
}
