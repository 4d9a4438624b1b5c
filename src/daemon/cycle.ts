// One cycle: every target (account × region) polled with bounded
// concurrency; each poll either fully recorded in one transaction or recorded
// as failed. One target failing never stops the others.
import type { Database } from "better-sqlite3";
import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import { resolveTargets, type ResolvedTarget } from "../config/targets.js";
import type { Attachment, GroupExposure } from "../model/attachment.js";
import { shouldReadInterfaces } from "../store/attachments-repo.js";
import type { Ec2ClientFactory, ClientSpec } from "../aws/ec2-client.js";
import type { EC2Client } from "@aws-sdk/client-ec2";
import { classifyPollError, CollectError, type PollError } from "../aws/poll-error.js";
import type { FetchPool } from "../aws/fetch-pool.js";
import type { SharedAgents } from "../aws/shared-agents.js";
import { GroupNormalizer, type Fingerprinted } from "../model/normalize.js";
import type { GroupState } from "../model/types.js";
import { isOpenDrift, type JudgedChange } from "../model/judged.js";
import { loadApprovalsDir, type ApprovalProblem } from "../approvals/load.js";
import type { ApprovalRecord } from "../approvals/schema.js";
import { routeAlert, type ChannelRoute } from "../alerts/route.js";
import { ignoreRules, ignoredReason } from "../config/ignore-list.js";
import { recordFailedPoll, recordSuccessfulPoll, type RecordDeps } from "../store/record-poll.js";
import { ensureTarget, type TargetRow } from "../store/targets-repo.js";
import { discoverRegions } from "./discover-regions.js";
import { fetchTarget, type TargetPageMemo } from "./fetch-target.js";
import { lastPoll, lastSuccessfulPoll } from "../store/polls-repo.js";
import { ZERO_GROUPS_UNCONFIRMED, zeroGroupsVerdict } from "../model/zero-groups.js";
import type { LockWait } from "../store/lock-wait.js";
import { cycleFailure, type CycleFailureReason } from "../store/db-failure.js";
import type { CycleHealth } from "./cycle-health.js";
import { losePoll, recordUnrecorded, writeWaiting, type LostPoll } from "./lost-polls.js";
import { noteApprovalProblems } from "../store/approval-problems-repo.js";
import { activeCliApprovals, mirrorFileApprovals, revokedIds } from "../store/approvals-repo.js";
import { followUp } from "../store/follow-up.js";
import { enqueueAlert } from "../store/outbox-repo.js";
import { judgeChanges, postureItems } from "./judge.js";
import type { AttributionResult } from "../attribution/attribute.js";
import { mapPool } from "../util/pool.js";
import type { Clock } from "../util/time.js";

/** Everything a cycle needs, passed in. */
export interface CycleDeps {
  db: Database;
  config: Config;
  logger: Logger;
  clock: Clock;
  /** Makes EC2 clients (the real factory, or one with test credentials). */
  clientFactory: Ec2ClientFactory;
  /** Explicit credentials for every client (demo, tests); else the default chain. */
  credentials?: ClientSpec["credentials"];
  /** Where alerts go. */
  routes: readonly ChannelRoute[];
  /**
   * Current state per target, kept between cycles when known to equal the
   * database (checked against the last successful poll id before use).
   */
  stateCache?: Map<number, CachedState>;
  /** Fetch workers (aws.fetchThreads); without them every poll is fetched and parsed on this thread. */
  fetchPool?: FetchPool;
  /** EC2 clients kept between cycles, by target; without it a client is made and destroyed per poll. */
  clientCache?: Map<string, EC2Client>;
  /** What each cached client's pages read last time, so an unchanged page is not read again (aws/page-memo.ts); else every page is read. */
  pageMemos?: WeakMap<EC2Client, TargetPageMemo>;
  /** One keep-alive connection pool for this thread's EC2 clients (aws/shared-agents.ts); else each client has its own. */
  agents?: SharedAgents;
  /**
   * Regions found for accounts configured with `regions: all`, kept between
   * cycles: when DescribeRegions fails, the last answer is used.
   */
  discoveredRegions?: Map<string, string[]>;
  /**
   * How to wait for another writer's lock (with backoff, bounded); without
   * it a locked write fails at once.
   */
  lockWait?: LockWait;
  /**
   * Polls that could not be recorded, kept in memory so they count against
   * health; without it such a poll is only logged.
   */
  health?: CycleHealth;
}

/** A target's state as last recorded, with the raw groups' fingerprints. */
export interface CachedState {
  /** The successful poll this state is from. */
  pollId: number;
  /** Groups by id. */
  state: Map<string, GroupState>;
  /** Fingerprints of the raw groups, to skip normalising unchanged ones. */
  fingerprints: Map<string, Fingerprinted>;
  /**
   * The attachments that poll read and left current, with their digest, when
   * a fetch worker read them: a worker that reads the same sends the digest
   * alone, and recording takes this very list as nothing moved.
   */
  attachments?: { digest: string; list: Attachment[] };
}

/** Progress callbacks for a terminal. */
export interface CycleProgress {
  onTargetStart?(t: ResolvedTarget): void;
  onPage?(t: ResolvedTarget, pages: number, groups: number): void;
  onTargetDone?(r: TargetResult): void;
}

/** The outcome of one target's poll. */
export interface TargetResult {
  account: string;
  region: string;
  label: string | null;
  ok: boolean;
  baseline: boolean;
  pages: number;
  groups: number;
  rules: number;
  /** Changes judged in this poll (empty on baseline and failure). */
  judged: JudgedChange[];
  /** change_events ids, same order as judged. */
  changeIds: number[];
  error: PollError | null;
  durationMs: number;
  /** Set when the poll could not be recorded (database locked, full, read-only, or a crash). */
  lost?: LostPoll | null;
}

/** The outcome of a cycle. */
export interface CycleResult {
  startedAt: string;
  finishedAt: string;
  targets: TargetResult[];
  approvalProblems: ApprovalProblem[];
  approvalRecords: number;
  /** The approval records this cycle judged with (the CloudTrail join judges transient openings with the same). */
  records?: readonly ApprovalRecord[];
  /** What attribution did after the polls. */
  attribution?: AttributionResult;
  /** Why part of this cycle could not be recorded; null (or absent) when everything was. */
  failure?: { reason: CycleFailureReason; message: string } | null;
}

/**
 * The records to match this cycle: valid file records (mirrored into the
 * database with file and line; a vanished file withdraws its records for
 * future matching) plus CLI records, less revoked ones. Every problem is
 * logged each cycle and alerted once.
 */
async function loadApprovals(deps: CycleDeps, now: string): Promise<{ records: ApprovalRecord[]; problems: ApprovalProblem[] }> {
  const loaded = loadApprovalsDir(deps.config.approvals.dir, { maxWindowMs: deps.config.approvals.maxWindow });
  const { records, problems } = await writeWaiting(deps, deps.db.transaction(() => {
    const conflicts = mirrorFileApprovals(deps.db, loaded.records, now);
    const problems = [...loaded.problems];
    for (const c of conflicts) {
      const file = c.record.origin.kind === "file" ? c.record.origin.file : "";
      const line = c.record.origin.kind === "file" ? c.record.origin.line : 0;
      const message = `id ${c.record.id} is already used by a record created with \`sgwatch approve\`; this one is ignored`;
      problems.push({ file, line, message, key: `${file}:${line}: ${message}` });
    }
    const conflicting = new Set(conflicts.map((c) => c.record));
    const revoked = revokedIds(deps.db);
    const records = [...loaded.records.filter((r) => !conflicting.has(r)), ...activeCliApprovals(deps.db)].filter((r) => !revoked.has(r.id));
    const fresh = noteApprovalProblems(deps.db, problems.map((p) => ({ key: p.key, file: p.file, line: p.line || null, message: p.message })), now);
    if (fresh.length > 0) {
      for (const r of routeAlert(deps.routes, { type: "approvals-invalid", problems: fresh.map(({ file, line, message }) => ({ file, line, message })) })) {
        enqueueAlert(deps.db, r.channel, r.severity, r.payload, now);
      }
      deps.logger.warn({ event: "approvals-invalid-alert", count: fresh.length }, "new problems in approval files; alert queued");
    }
    return { records, problems };
  }));
  for (const p of problems) deps.logger.warn({ event: "approvals-invalid", file: p.file, line: p.line }, p.key);
  return { records, problems };
}

async function pollTarget(deps: CycleDeps, t: ResolvedTarget, records: readonly ApprovalRecord[], progress: CycleProgress, signal?: AbortSignal): Promise<TargetResult> {
  const { db, config, clock } = deps;
  const log = deps.logger.child({ module: "cycle", account: t.account, region: t.region });
  const startedAt = clock();
  const base = { account: t.account, region: t.region, label: t.label, judged: [], changeIds: [] };
  let row: TargetRow | null = null;
  const lost = (err: unknown, pages: number): TargetResult => {
    const l = losePoll(deps, t, row, err, startedAt.toISOString());
    const r = { ...base, ok: false, baseline: false, pages, groups: 0, rules: 0, error: { code: l.reason, message: l.message }, durationMs: Date.now() - startedAt.getTime(), lost: l };
    progress.onTargetDone?.(r);
    return r;
  };
  try {
    row = await writeWaiting(deps, () => ensureTarget(db, t.account, t.region, t.label, startedAt.toISOString()));
  } catch (err) {
    return lost(err, 0);
  }
  const target = row;
  // Polls lost while the database took no writes are written down first, so
  // the failure count and blind_since are right before this poll is judged.
  const catchUp = async (): Promise<void> => {
    row = await recordUnrecorded(deps, t, target);
  };
  const ignore = ignoreRules(config);
  const recordDeps: RecordDeps = {
    judge: (changes, ctx) => judgeChanges(changes, { ...ctx, account: t.account, region: t.region }, config.severity, records, config.guardrails),
    route: (payload) => routeAlert(deps.routes, payload),
    ignored: (c, at) => ignoredReason(ignore, { account: t.account, region: t.region, groupId: c.groupId, groupName: c.groupName, groupTags: c.groupTags }, at),
    // Groups on the ignore list are owned by other systems: left out of the posture as of every alert.
    ...(config.alerts.baselinePosture ? { posture: (groups: readonly GroupState[], exposure: ((groupId: string) => GroupExposure | undefined) | undefined) =>
      postureItems(
        groups.filter((g) => ignoredReason(ignore, { account: t.account, region: t.region, groupId: g.groupId, groupName: g.name, groupTags: g.tags }, startedAt.toISOString()) === null),
        exposure,
        t,
        config.severity,
        config.guardrails,
      ) } : {}),
    broadSources: config.severity.broadSources,
    blindAfterFailures: config.monitoring.blindAfterFailures,
    blindAfterMs: config.monitoring.blindAfter,
  };
  progress.onTargetStart?.(t);
  let pages = 0;
  // Pages a fetch worker answered from the same bytes' last read (page-memo.ts): in the poll-ok line.
  let pagesReused = 0;
  let groups: GroupState[];
  let fingerprints = new Map<string, Fingerprinted>();
  // null: tracked, not read this poll; undefined: not tracked (interfacesEvery 0).
  let attachments: Attachment[] | null | undefined = config.aws.interfacesEvery > 0 ? null : undefined;
  // Every Nth successful poll also reads DescribeNetworkInterfaces (aws.interfacesEvery).
  const readInterfaces = shouldReadInterfaces(db, row.id, config.aws.interfacesEvery);
  // Set when a fetch worker read the interfaces (the pool's digest of what it read).
  let attachmentsDigest: string | null = null;
  try {
    const spec: ClientSpec = {
      region: t.region,
      ...(t.endpoint ? { endpoint: t.endpoint } : {}),
      ...(t.roleArn ? { roleArn: t.roleArn } : {}),
      ...(t.externalId ? { externalId: t.externalId } : {}),
      maxAttempts: config.aws.maxAttempts,
      timeoutMs: config.aws.timeout,
      ...(deps.credentials ? { credentials: deps.credentials } : {}),
    };
    const key = `${t.account}/${t.region}/${t.roleArn ?? ""}/${t.endpoint ?? ""}`;
    // Reuse the last poll's canonical groups for raw groups that did not
    // change. A fingerprint maps raw text to its canonical form, so it holds
    // whatever the database says; only the stored state needs checking.
    const cachedEntry = deps.stateCache?.get(row.id);
    const previous = cachedEntry?.fingerprints ?? new Map<string, Fingerprinted>();
    const normalizer = new GroupNormalizer(previous);
    const onPage = progress.onPage ? (p: number, g: number): void => progress.onPage?.(t, p, g) : undefined;
    const fetched = await fetchTarget(deps, { key, spec, normalizer, previous, knownAttachments: cachedEntry?.attachments ?? null, readInterfaces, onPage, signal });
    pages = fetched.pages;
    pagesReused = fetched.pagesReused;
    attachments = fetched.attachments ?? attachments;
    attachmentsDigest = fetched.attachmentsDigest;
    groups = normalizer.result();
    fingerprints = normalizer.fingerprints();
    // Credentials that reach another account would make that account's groups
    // look like this one's, and this one's look deleted.
    const foreign = groups.find((g) => g.ownerId !== t.account);
    if (foreign) throw new CollectError("WrongAccount", `the credentials reach account ${foreign.ownerId} (group ${foreign.groupId}), but this target is account ${t.account}`);
    const before = groups.length === 0 ? (lastSuccessfulPoll(db, target.id)?.group_count ?? null) : null;
    // The last poll's code matters only to an empty poll: not read for the others (nearly every poll).
    const lastPollCode = groups.length === 0 ? (lastPoll(db, target.id)?.error_code ?? null) : null;
    const verdict = zeroGroupsVerdict({ observed: groups.length, previous: before, lastPollCode, threshold: config.monitoring.confirmZeroGroups });
    if (verdict === "hold") {
      throw new CollectError(
        ZERO_GROUPS_UNCONFIRMED,
        `the poll returned no security groups where the last successful poll saw ${before}; nothing is recorded as deleted unless the next poll confirms it (a wrong account, role or endpoint is likelier than every group gone)`,
      );
    }
    if (verdict === "confirmed") {
      log.warn({ event: "zero-groups-confirmed", previous: before }, `a second poll in a row returned no security groups (the last successful poll saw ${before}); recording every group as deleted`);
    }
  } catch (err) {
    const error = classifyPollError(err);
    const finishedAt = clock().toISOString();
    deps.stateCache?.delete(target.id);
    let outcome;
    try {
      await catchUp();
      outcome = await writeWaiting(deps, () => recordFailedPoll(db, target.id, { startedAt: startedAt.toISOString(), finishedAt, errorCode: error.code, error: error.message }, recordDeps));
    } catch (dbErr) {
      log.error({ event: "poll-failed", code: error.code }, `poll failed: ${error.message}`);
      return lost(dbErr, pages);
    }
    log.error({ event: "poll-failed", code: error.code, failures: outcome.failures, blind: outcome.becameBlind }, `poll failed: ${error.message}`);
    const r = { ...base, ok: false, baseline: false, pages, groups: 0, rules: 0, error, durationMs: Date.now() - startedAt.getTime(), lost: null };
    progress.onTargetDone?.(r);
    return r;
  }
  const finishedAt = clock().toISOString();
  const cached = deps.stateCache?.get(target.id);
  if (cached) recordDeps.currentState = { pollId: cached.pollId, state: cached.state, ...(cached.attachments ? { attachments: cached.attachments.list } : {}) };
  let outcome;
  try {
    await catchUp();
    outcome = await writeWaiting(deps, () => recordSuccessfulPoll(db, target.id, { groups, ...(attachments === undefined ? {} : { attachments }), pages, startedAt: startedAt.toISOString(), finishedAt }, recordDeps));
  } catch (err) {
    // The transaction rolled back: the cache may be ahead of the database.
    deps.stateCache?.delete(target.id);
    return lost(err, pages);
  }
  // What this poll read is now the target's current attachments (recorded, or found unmoved); a poll that did not read them keeps none cached.
  const readList = attachmentsDigest !== null && attachments ? { attachments: { digest: attachmentsDigest, list: attachments } } : {};
  deps.stateCache?.set(target.id, { pollId: outcome.pollId, state: outcome.state, fingerprints, ...readList });
  const rules = groups.reduce((n, g) => n + g.rules.length, 0);
  const unapproved = outcome.judged.filter(isOpenDrift).length;
  log.info(
    { event: "poll-ok", baseline: outcome.baseline, pages, pagesReused, groups: groups.length, rules, changes: outcome.judged.length, unapproved },
    outcome.baseline ? "baseline recorded" : `${outcome.judged.length} changes (${unapproved} unapproved)`,
  );
  const r = { ...base, ok: true, baseline: outcome.baseline, pages, groups: groups.length, rules, judged: outcome.judged, changeIds: outcome.changeIds, error: null, durationMs: Date.now() - startedAt.getTime(), lost: null };
  progress.onTargetDone?.(r);
  return r;
}

/** Poll every target once. Never throws for a target's failure. */
export async function runCycle(deps: CycleDeps, opts: { signal?: AbortSignal; progress?: CycleProgress } = {}): Promise<CycleResult> {
  const startedAt = deps.clock().toISOString();
  const approvals = await loadApprovals(deps, startedAt);
  const discovered = await discoverRegions(deps, opts.signal);
  const targets = resolveTargets(deps.config, discovered);
  const results = await mapPool(targets, deps.config.concurrency, (t) => pollTarget(deps, t, approvals.records, opts.progress ?? {}, opts.signal));
  const firstLost = results.find((r) => r.lost)?.lost;
  let failure = firstLost ? { reason: firstLost.reason, message: firstLost.message } : null;
  try {
    const alerts = deps.config.alerts;
    const follow = await writeWaiting(deps, () =>
      followUp(deps.db, deps.clock(), {
        remindEveryMs: alerts.remindEvery,
        keepSentMs: alerts.keepSent,
        reminderDigestAbove: alerts.reminderDigestAbove,
        route: (p) => routeAlert(deps.routes, p),
      }),
    );
    if (follow.reminded > 0 || follow.unusedApprovals > 0) deps.logger.info({ event: "follow-up", ...follow }, "reminders and unused approvals queued");
  } catch (err) {
    // The polls are recorded; reminders wait for the next cycle.
    const f = cycleFailure(err);
    deps.logger.error({ event: "follow-up-failed", reason: f.reason, error: f.message }, `reminders could not be queued (${f.reason}): ${f.message}`);
    failure ??= f;
  }
  return {
    startedAt,
    finishedAt: deps.clock().toISOString(),
    targets: results,
    approvalProblems: approvals.problems,
    approvalRecords: approvals.records.length,
    records: approvals.records,
    failure,
  };
}

/** One summary line's worth of numbers. */
export function summarizeCycle(r: CycleResult): Record<string, number> {
  let approved = 0;
  let unapproved = 0;
  let reverting = 0;
  for (const t of r.targets) for (const j of t.judged) j.judgement.status === "approved" ? approved++ : isOpenDrift(j) ? unapproved++ : reverting++;
  return {
    targets: r.targets.length,
    targetsOk: r.targets.filter((t) => t.ok).length,
    targetsFailed: r.targets.filter((t) => !t.ok).length,
    groups: r.targets.reduce((n, t) => n + t.groups, 0),
    rules: r.targets.reduce((n, t) => n + t.rules, 0),
    changesApproved: approved,
    changesUnapproved: unapproved,
    // Unapproved changes that undid an unapproved one: they closed incidents.
    changesReverting: reverting,
    durationMs: Date.parse(r.finishedAt) - Date.parse(r.startedAt),
    attributed: r.attribution?.attributed ?? 0,
    attributionPending: r.attribution?.pending ?? 0,
  };
}
