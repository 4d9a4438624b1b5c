// Recording a poll: ONE transaction per target and poll. Either the whole
// effect of a poll (poll row, closed and opened intervals, change rows and
// their alerts in the outbox) is committed, or none of it is.
import type { Database } from "better-sqlite3";
import type { Change, GroupState } from "../model/types.js";
import type { JudgedChange } from "../model/judged.js";
import { diffGroups } from "../model/diff.js";
import type { AlertPayload, AlertTarget, AlertChange, PostureItem } from "../model/alert-payload.js";
import type { Severity } from "../model/types.js";
import { severityRank } from "../model/types.js";
import { applyChangesToIntervals, loadCurrentState, openBaselineIntervals } from "./state-repo.js";
import { insertPoll, lastPoll, lastSuccessfulPoll, setPollChangeCount } from "./polls-repo.js";
import { insertChanges } from "./changes-repo.js";
import { markReverts } from "./reverts-repo.js";
import { ruleKey } from "../model/rule-key.js";
import { revokeCommand } from "../policy/revoke-command.js";
import { enqueueRouted } from "./threads-repo.js";
import { CHANGE_ROW_COLUMNS, rowToAlertChange, type OpenChangeRow } from "./change-rows.js";
import type { RevertedChange } from "./reverts-repo.js";
import { getTarget, markBlind, needsSuccessNoted, noteFailure, noteSuccess, type TargetRow } from "./targets-repo.js";
import { exposureByGroup, unattached, type Attachment, type GroupExposure } from "../model/attachment.js";
import { exposureChanges } from "../model/exposure-change.js";
import { recordBroadSources } from "./broad-sources-repo.js";
import { DEFAULT_SEVERITY_SETTINGS, type BroadSources } from "../model/severity.js";
import { lastInterfacesRead, loadCurrentAttachments, planAttachmentsFrom, recordAttachments } from "./attachments-repo.js";
import { extendRun, unchangedPollStepAfter } from "./poll-runs.js";

/** A complete observation of one target: every page arrived. */
export interface Observation {
  /** Canonical groups, as normalised from every page. */
  groups: GroupState[];
  /** Pages fetched. */
  pages: number;
  /**
   * Every network interface's group attachments, when this poll read them;
   * null when it did not (what was last read still counts); absent when
   * interfaces are not tracked at all (aws.interfacesEvery: 0).
   */
  attachments?: Attachment[] | null;
  /** When the poll started and finished (ISO). */
  startedAt: string;
  finishedAt: string;
}

/** Where the poll's changes happened in time, for approval matching. */
export interface JudgeContext {
  /** The previous successful poll's time, or null. */
  intervalStart: string | null;
  /** The detecting poll's time. */
  detectedAt: string;
  /** What a group exposes after this poll (blast radius); absent, or undefined for a group, when interfaces were never read. */
  exposure?: (groupId: string) => GroupExposure | undefined;
}

/** One outbox entry to write. */
export interface RoutedAlert {
  /** The channel that delivers it. */
  channel: string;
  /** Worst severity in it (for this channel). */
  severity: Severity;
  /** What it says (for this channel). */
  payload: AlertPayload;
  /** For drift and transient alerts: the subject follow-ups in its thread reply to. */
  threadSubject?: string;
  /** For drift alerts on a route with a batch window: collect into that route's open digest. */
  batch?: { ms: number; route: string };
}

/** What recording needs from the rest of the system (all pure). */
export interface RecordDeps {
  /** Severity and approval status of each change. */
  judge(changes: Change[], ctx: JudgeContext): JudgedChange[];
  /** Which channels get an alert, with what content. */
  route(payload: AlertPayload): RoutedAlert[];
  /** Why a change is recorded but not alerted on (the ignore list), or null. */
  ignored?(change: Change, at: string): string | null;
  /** What is already wrong with the groups (the posture), sent once at a target's baseline; absent = never sent. */
  posture?(groups: readonly GroupState[], exposure: ((groupId: string) => GroupExposure | undefined) | undefined): PostureItem[];
  /** Sources that count like the world (severity.broadSources); default the built-in threshold. */
  broadSources?: BroadSources;
  /** Consecutive failures that make a target blind. */
  blindAfterFailures: number;
  /** Time without a successful poll that makes a target blind (ms). */
  blindAfterMs?: number;
  /**
   * The state recorded by a successful poll (a cache), used when that poll is
   * still the last one; with the attachments it left current, when it read them.
   */
  currentState?: { pollId: number; state: Map<string, GroupState>; attachments?: readonly Attachment[] };
}

/** What a successful poll did. */
export interface SuccessOutcome {
  pollId: number;
  baseline: boolean;
  judged: JudgedChange[];
  changeIds: number[];
  /** The state now stored, for callers that cache it. */
  state: Map<string, GroupState>;
}

/** Findings one posture alert carries at most. */
export const POSTURE_ALERT_MAX = 100;

export function alertTarget(t: TargetRow): AlertTarget {
  return { account: t.account, region: t.region, label: t.label };
}

function toAlertChange(j: JudgedChange, id: number, groupName: (groupId: string) => string | undefined, place: { account: string; region: string }): AlertChange {
  const c = j.change;
  const guardrail = j.judgement.guardrail ?? null;
  const peer = c.rule?.sourceKind === "security-group" ? groupName(c.rule.source) : undefined;
  return {
    peerName: peer ?? null,
    changeId: id,
    kind: c.kind,
    severity: j.judgement.severity,
    groupId: c.groupId,
    groupName: c.groupName,
    vpcId: c.vpcId,
    rule: c.rule ?? null,
    oldDescription: c.oldDescription ?? null,
    before: c.before ?? null,
    after: c.after ?? null,
    approvalNote: j.judgement.approvalNote,
    guardrail,
    broadSource: j.judgement.broadSource ?? false,
    // A rule that must never exist gets the command that removes it, not an invitation to approve it.
    revokeCommand: guardrail !== null && c.rule ? revokeCommand(c.groupId, c.rule, place) : null,
    groupTags: c.groupTags,
    ...(j.judgement.exposure ? { exposure: j.judgement.exposure } : {}),
    ...(j.judgement.notReachable ? { notReachable: true } : {}),
    ...(c.exposedVia ? { exposedVia: c.exposedVia } : {}),
  };
}

function enqueueAll(db: Database, deps: RecordDeps, payload: AlertPayload, now: string): void {
  for (const r of deps.route(payload)) enqueueRouted(db, r, now);
}

/**
 * Undone unapproved changes close their incidents: one "closed" reply per
 * drift alert (thread) that reported them, instead of a new unapproved change
 * asking on-call to acknowledge their own fix.
 */
function enqueueClosed(db: Database, deps: RecordDeps, target: TargetRow, reverts: readonly RevertedChange[], closedAt: string): void {
  if (reverts.length === 0) return;
  const rows = db
    .prepare(`SELECT ${CHANGE_ROW_COLUMNS} FROM change_events c JOIN targets t ON t.id = c.target_id WHERE c.id IN (SELECT value FROM json_each(?)) AND c.ignored_reason IS NULL ORDER BY c.id`)
    .all(JSON.stringify(reverts.map((r) => r.changeId))) as OpenChangeRow[];
  const byPoll = new Map<number, OpenChangeRow[]>();
  for (const r of rows) byPoll.set(r.poll_id, [...(byPoll.get(r.poll_id) ?? []), r]);
  const revertOf = new Map(reverts.map((r) => [r.changeId, r]));
  for (const [pollId, list] of byPoll) {
    const first = list[0] as OpenChangeRow;
    enqueueAll(
      db,
      deps,
      {
        type: "closed",
        target: alertTarget(target),
        thread: { pollId, detectedAt: first.detected_at },
        closedAt,
        items: list.map((r) => {
          const rev = revertOf.get(r.id) as RevertedChange;
          return { change: rowToAlertChange(r), detectedAt: r.detected_at, byChangeId: rev.byChangeId, exposureSeconds: rev.exposureSeconds };
        }),
      },
      closedAt,
    );
  }
}

/** Record a poll in which every page arrived. */
export function recordSuccessfulPoll(db: Database, targetId: number, obs: Observation, deps: RecordDeps): SuccessOutcome {
  return db.transaction((): SuccessOutcome => {
    const target = getTarget(db, targetId);
    // One read for both rows in the usual case: a latest poll that succeeded is also the last successful one.
    const latest = lastPoll(db, targetId);
    const previous = latest === undefined || latest.status === "ok" ? latest : lastSuccessfulPoll(db, targetId);
    const baseline = previous === undefined;
    // Nothing is stored before a target's first successful poll.
    // A cached state is used only when it is the state of the last successful
    // poll, checked inside this transaction; anything else reloads from disk.
    const cached = deps.currentState?.pollId === previous?.id ? deps.currentState?.state : undefined;
    const stored = baseline ? new Map<string, GroupState>() : (cached ?? loadCurrentState(db, targetId));
    const changes = baseline ? [] : diffGroups(stored, obs.groups);
    const ruleCount = obs.groups.reduce((n, g) => n + g.rules.length, 0);
    const observed = new Map(obs.groups.map((g) => [g.groupId, g]));
    // The cached state's attachments are the stored current ones only while the cache holds (checked above).
    const moves = obs.attachments ? planAttachmentsFrom(db, targetId, obs.attachments, cached ? deps.currentState?.attachments : undefined) : null;
    // Nothing new (no change, interfaces where they were, not a restored
    // transition): the poll extends the target's run row in place, or starts one.
    const unchanged = !baseline && changes.length === 0 && !target.blind_since && (moves === null || (moves.opened.length === 0 && moves.closed.length === 0));
    const step = unchanged ? unchangedPollStepAfter(latest, obs.startedAt, moves !== null) : null;
    if (step?.kind === "extend") {
      extendRun(db, step.row.id, obs.finishedAt, moves !== null);
      if (needsSuccessNoted(target)) noteSuccess(db, targetId);
      return { pollId: step.row.id, baseline: false, judged: [], changeIds: [], state: observed };
    }
    const pollId = insertPoll(db, {
      targetId,
      startedAt: obs.startedAt,
      finishedAt: obs.finishedAt,
      status: "ok",
      baseline,
      pages: obs.pages,
      groupCount: obs.groups.length,
      ruleCount,
      errorCode: null,
      error: null,
      run: step?.kind === "insert" && step.run,
    });
    if (baseline) openBaselineIntervals(db, { targetId, pollId, at: obs.finishedAt }, obs.groups);
    else applyChangesToIntervals(db, { targetId, pollId, at: obs.finishedAt }, changes, observed);

    // current_exposure calls a source broad as this poll's judgement does.
    if (deps.broadSources) recordBroadSources(db, deps.broadSources);
    // Blast radius: the interfaces read by this poll, or as last read.
    let exposure: ((groupId: string) => GroupExposure | undefined) | undefined;
    if (obs.attachments && moves) {
      recordAttachments(db, { targetId, pollId, at: obs.finishedAt }, moves);
      const moved = moves;
      const byGroup = exposureByGroup(obs.attachments, obs.finishedAt);
      exposure = (id) => byGroup.get(id) ?? unattached(obs.finishedAt);
      // A group already open to the world that a public interface starts using is news too.
      if (!baseline) changes.push(...exposureChanges(stored, observed, moved.before, moved.opened, deps.broadSources ?? DEFAULT_SEVERITY_SETTINGS.broadSources));
    } else if (obs.attachments === null) {
      const last = lastInterfacesRead(db, targetId);
      if (last) {
        const byGroup = exposureByGroup(loadCurrentAttachments(db, targetId), last.at);
        exposure = (id) => byGroup.get(id) ?? unattached(last.at);
      }
    }

    let judged: JudgedChange[] = [];
    let changeIds: number[] = [];
    // The first successful poll is the baseline: its state is history, not news.
    if (!baseline && changes.length > 0) {
      const ctx = { intervalStart: previous.finished_at, detectedAt: obs.finishedAt };
      judged = deps.judge(changes, { ...ctx, ...(exposure ? { exposure } : {}) });
      changeIds = insertChanges(db, { pollId, targetId, ...ctx }, judged);
      // Groups owned by other systems: recorded with the entry's reason, never alerted on.
      const ignoredIds = new Set<number>();
      const markIgnored = db.prepare("UPDATE change_events SET ignored_reason = ? WHERE id = ?");
      judged.forEach((j, i) => {
        const reason = deps.ignored?.(j.change, obs.finishedAt) ?? null;
        if (reason === null) return;
        markIgnored.run(reason, changeIds[i]);
        ignoredIds.add(changeIds[i] as number);
      });
      const reverts = markReverts(
        db,
        targetId,
        obs.finishedAt,
        judged.map((j, i) => ({ id: changeIds[i] as number, kind: j.change.kind, groupId: j.change.groupId, ruleKey: j.change.rule ? ruleKey(j.change.rule) : null })),
      );
      // A change that undid an unapproved one says which: the view, the CLI and --fail-on-drift tell it from drift.
      const closes = new Map(reverts.map((r) => [r.byChangeId, r.changeId]));
      judged = judged.map((j, i) => {
        const id = closes.get(changeIds[i] as number);
        return id === undefined ? j : { ...j, closes: id };
      });
      // Peers are named from this poll, or from the stored state for groups just deleted.
      const nameOf = (groupId: string): string | undefined => observed.get(groupId)?.name ?? (stored instanceof Map ? stored.get(groupId)?.name : undefined);
      // A change that undoes an unapproved one closes that incident (below); it is not news to acknowledge.
      const undoing = new Set(reverts.map((r) => r.byChangeId));
      const unapproved = judged
        .map((j, i) => toAlertChange(j, changeIds[i] as number, nameOf, target))
        .filter((c, i) => judged[i]?.judgement.status === "unapproved" && !undoing.has(c.changeId) && !ignoredIds.has(c.changeId))
        .sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.changeId - b.changeId);
      if (unapproved.length > 0) {
        enqueueAll(db, deps, { type: "drift", target: alertTarget(target), pollId, ...ctx, changes: unapproved }, obs.finishedAt);
      }
      enqueueClosed(db, deps, target, reverts, obs.finishedAt);
    }
    // The baseline alerts on no change, but what is already wrong is news once: one posture alert per target.
    if (baseline && deps.posture) {
      const items = deps.posture(obs.groups, exposure);
      // An account with thousands of open rules gets the worst hundred; `sgwatch report` lists them all.
      if (items.length > 0) enqueueAll(db, deps, { type: "posture", target: alertTarget(target), pollId, at: obs.finishedAt, items: items.slice(0, POSTURE_ALERT_MAX), total: items.length }, obs.finishedAt);
    }
    // A baseline's count is its diff against nothing: every group and rule is new.
    setPollChangeCount(db, pollId, baseline ? obs.groups.length + ruleCount : changes.length);
    if (target.blind_since) {
      enqueueAll(db, deps, { type: "monitoring-restored", target: alertTarget(target), blindSince: target.blind_since, restoredAt: obs.finishedAt }, obs.finishedAt);
    }
    if (needsSuccessNoted(target)) noteSuccess(db, targetId);
    return { pollId, baseline, judged, changeIds, state: observed };
  })();
}

/** A poll that did not complete. */
export interface Failure {
  startedAt: string;
  finishedAt: string;
  /** A short machine code (AWS error code, or a class like Timeout). */
  errorCode: string;
  /** The error in words, naming the missing permission where known. */
  error: string;
}

/** What a failed poll did. */
export interface FailureOutcome {
  pollId: number;
  failures: number;
  /** True when this failure made the target blind (alert queued). */
  becameBlind: boolean;
}

/**
 * Record a failed poll. It changes no stored state and produces no change
 * events: a network error must never read as "all groups deleted".
 */
export function recordFailedPoll(db: Database, targetId: number, f: Failure, deps: RecordDeps): FailureOutcome {
  return db.transaction((): FailureOutcome => {
    const pollId = insertPoll(db, {
      targetId,
      startedAt: f.startedAt,
      finishedAt: f.finishedAt,
      status: "failed",
      baseline: false,
      pages: null,
      groupCount: null,
      ruleCount: null,
      errorCode: f.errorCode,
      error: f.error,
    });
    const failures = noteFailure(db, targetId, f.error);
    const target = getTarget(db, targetId);
    let becameBlind = false;
    const lastOk = lastSuccessfulPoll(db, targetId);
    const quietSince = Date.parse(lastOk?.finished_at ?? target.created_at);
    const tooLong = deps.blindAfterMs !== undefined && Date.parse(f.finishedAt) - quietSince >= deps.blindAfterMs;
    if ((failures >= deps.blindAfterFailures || tooLong) && !target.blind_since) {
      const firstFailed = db
        .prepare("SELECT started_at FROM polls WHERE target_id = ? AND status = 'failed' ORDER BY id DESC LIMIT 1 OFFSET ?")
        .get(targetId, failures - 1) as { started_at: string } | undefined;
      const since = firstFailed?.started_at ?? f.startedAt;
      markBlind(db, targetId, since);
      enqueueAll(
        db,
        deps,
        { type: "monitoring-blind", target: alertTarget(target), failures, since, lastSuccessAt: lastOk?.finished_at ?? null, lastError: f.error },
        f.finishedAt,
      );
      becameBlind = true;
    }
    return { pollId, failures, becameBlind };
  })();
}

/** Polls that could not be recorded when they happened (database locked, full, read-only). */
export interface LostPolls {
  /** How many. */
  failures: number;
  /** When the first started. */
  since: string;
  /** When this catch-up is written. */
  finishedAt: string;
  /** The reason code (db-locked, db-full, db-readonly, crash). */
  reason: string;
  /** The last error, in words. */
  message: string;
  /** True when they made the target blind (its alert was sent directly, not queued). */
  blind: boolean;
}

/**
 * Write down, once the database takes writes again, a run of polls the daemon
 * could only count in memory: one failed poll row covering them, the failure
 * count raised by all of them, and blind_since when they made the target
 * blind, so the next good poll queues monitoring-restored. No blind alert is
 * queued: it went out directly when it happened.
 */
export function recordLostPolls(db: Database, targetId: number, lost: LostPolls): void {
  db.transaction(() => {
    const error = `${lost.failures} poll${lost.failures === 1 ? "" : "s"} since ${lost.since} could not be recorded (${lost.reason}): ${lost.message}`;
    insertPoll(db, {
      targetId,
      startedAt: lost.since,
      finishedAt: lost.finishedAt,
      status: "failed",
      baseline: false,
      pages: null,
      groupCount: null,
      ruleCount: null,
      errorCode: lost.reason,
      error,
      pollCount: Math.max(1, lost.failures),
    });
    db.prepare("UPDATE targets SET consecutive_failures = consecutive_failures + ?, last_error = ?, blind_since = CASE WHEN ? THEN coalesce(blind_since, ?) ELSE blind_since END WHERE id = ?").run(
      lost.failures,
      error,
      lost.blind ? 1 : 0,
      lost.since,
      targetId,
    );
  })();
}
