// The attribution job: for each detected change not yet attributed, ask
// CloudTrail who made it. CloudTrail delivers events minutes after the call,
// so a change without a match stays pending and is looked up again on later
// calls until the horizon (attribution.horizon after detection), then it is
// marked unattributed. A change is alerted when detected, whatever happens
// here: attribution is a later fact stored beside it, never a gate.
//
// Run after each cycle. One LookupEvents series per group (not per change) and
// groups one after another, because LookupEvents allows 2 calls a second per
// account and region.
import type { Database } from "better-sqlite3";
import type { Logger } from "pino";
import type { Event } from "@aws-sdk/client-cloudtrail";
import type { Change, ChangeKind, GroupAttributes } from "../model/types.js";
import { columnsToRule, type RuleColumns } from "../store/rule-columns.js";
import { errorMessage } from "../util/errors.js";
import { redact } from "../util/redact.js";
import type { Clock } from "../util/time.js";
import { matchChange, parseCandidates, type Match } from "./match.js";
import type { AttributionLookup, LookupTarget } from "./lookup.js";

export { toAttribution, type Attribution } from "./trail-event.js";

/** The target a change belongs to, as attributePending sees it. */
export interface AttributionTarget extends LookupTarget {
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
  /** Candidate events of one group between two times (cloudTrailLookup().lookup, or a fake). */
  lookup: (target: AttributionTarget, groupId: string, from: Date, to: Date) => Promise<Event[]>;
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

/** Look up and store attribution for every open change; never throws for CloudTrail's failures. */
export async function attributePending(deps: AttributionDeps): Promise<AttributionResult> {
  const { db } = deps;
  const log = deps.logger.child({ module: "attribution" });
  const skewMs = deps.skewMs ?? 60_000;
  const padMs = Math.max(deps.padMs ?? 5 * 60_000, skewMs);
  const result: AttributionResult = { attributed: 0, pending: 0, gaveUp: 0, notApplicable: 0, attributedChangeIds: [] };
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

  for (const targetRows of groupBy(rows, (r) => String(r.target_id)).values()) {
    const first = targetRows[0] as OpenRow;
    const target: AttributionTarget = { targetId: first.target_id, account: first.account, region: first.region, label: first.label };
    if (deps.enabled !== undefined && !deps.enabled(target)) {
      db.transaction(() => targetRows.forEach((r) => markNa.run(r.id)))();
      result.notApplicable += targetRows.length;
      continue;
    }
    let failureLogged = false;
    for (const [groupId, groupRows] of groupBy(targetRows, (r) => r.group_id)) {
      if (deps.signal?.aborted) return result;
      const now = deps.clock();
      const nowIso = now.toISOString();
      const startOf = (r: OpenRow): number => Date.parse(r.interval_start ?? r.detected_at) - (r.interval_start === null ? deps.horizonMs : 0);
      const from = new Date(Math.min(...groupRows.map(startOf)) - padMs);
      const to = new Date(Math.max(...groupRows.map((r) => Date.parse(r.detected_at))) + padMs);
      const expired = (r: OpenRow): boolean => now.getTime() - Date.parse(r.detected_at) >= deps.horizonMs;

      let events: Event[];
      try {
        events = await deps.lookup(target, groupId, from, to);
      } catch (err) {
        if (!failureLogged) {
          const code = err instanceof Error && err.name !== "Error" ? err.name : undefined;
          log.warn(
            { event: "attribution-lookup-failed", account: target.account, region: target.region, groupId, code },
            `CloudTrail lookup failed: ${code !== undefined ? `${code}: ` : ""}${redact(errorMessage(err))}`,
          );
          failureLogged = true;
        }
        db.transaction(() => {
          for (const r of groupRows) {
            const gaveUp = expired(r);
            attempt.run(gaveUp ? "unattributed" : "pending", nowIso, r.id);
            if (gaveUp) {
              result.gaveUp++;
              log.warn({ event: "unattributed", changeId: r.id, groupId, kind: r.kind, reason: "lookup-failed" }, `change ${r.id} could not be attributed: CloudTrail failed until the horizon`);
            } else result.pending++;
          }
        })();
        continue;
      }

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
          } else attempt.run(d.gaveUp ? "unattributed" : "pending", nowIso, d.r.id);
        }
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
          log.warn({ event: "unattributed", changeId: d.r.id, groupId, kind: d.r.kind, reason: "no-matching-event" }, `change ${d.r.id} could not be attributed: no matching CloudTrail event before the horizon`);
        } else result.pending++;
      }
    }
  }
  return result;
}
