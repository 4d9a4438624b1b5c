// What the demo prints after each cycle: the cycle told as a story from what
// sgwatch stored — each change by group name (with its id), what was decided
// and why, and which channels were alerted; calls CloudTrail saw refused, as
// the one failed-attempts alert they became — in a few lines, so a cycle fits
// on one screen. The daemon's full log goes to a file; this reads only the
// database, the same facts a person would query.
import type { Database } from "better-sqlite3";
import { oneLine } from "../alerts/render/sanitize.js";
import { exposureText, guardrailText } from "../alerts/render/words.js";
import type { AlertChange } from "../model/alert-payload.js";
import type { ChangeViewRow } from "../store/view-rows.js";
import { humanDuration } from "../util/time.js";
import type { TransientAlert } from "../model/alert-payload.js";
import { spanText } from "../alerts/render/transient.js";
import { portsShort } from "../alerts/render/words.js";

/** Where the previous cycle's story stopped, so each cycle tells only its own news. */
export interface StoryCursor {
  /** Highest polls.id already told. */
  pollId: number;
  /** Latest polls.finished_at already told: a run of unchanged polls is one row, extended in place, so it comes back with a later finish. */
  finishedAt: string;
  /** Highest outbox.id already told. */
  outboxId: number;
}

/** One poll of the cycle, as stored. */
export interface StoryPoll {
  /** ok / failed. */
  status: string;
  /** 1 for the target's first successful poll. */
  baseline: number;
  /** Groups seen (null for a failed poll). */
  group_count: number | null;
  /** Rules seen (null for a failed poll). */
  rule_count: number | null;
  /** The failure's code (InternalError, AuthFailure, …). */
  error_code: string | null;
  /** The failure in words. */
  error: string | null;
}

/** One alert written to the outbox during the cycle, per channel. */
export interface StoryAlert {
  /** outbox.id. */
  id: number;
  /** log, email, webhook. */
  channel: string;
  /** The payload's type: drift, attributed, approval-unused, … */
  kind: string;
  /** The payload, as stored. */
  payload: string;
}

/** Everything one cycle's story is told from. */
export interface CycleFacts {
  /** Polls finished in the cycle. */
  polls: StoryPoll[];
  /** Changes those polls found, as the `changes` view shows them. */
  changes: ChangeViewRow[];
  /** Alerts queued in the cycle. */
  alerts: StoryAlert[];
  /** Last known name of each group a failed-attempts alert names (its payload has only the id). */
  groupNames: Record<string, string>;
}

/** The parts of a failed-attempts payload the story tells (src/model/alert-payload.ts has all of it). */
interface AttemptsStory {
  /** The worst the tried changes would have been. */
  severity: string;
  /** Who, and the keys they signed with. */
  identity: { arn: string | null; accessKeyIds: string[] };
  /** Refused calls in the burst. */
  count: number;
  /** Where the calls came from. */
  sources: Array<{ sourceIp: string | null }>;
  /** What each call tried, on which group. */
  attempts: Array<{ groupId: string | null; rules: string }>;
}

/** Reads what happened since `cursor` and moves the cursor past it. */
export function readCycleFacts(db: Database, cursor: StoryCursor): CycleFacts {
  const polls = db
    .prepare("SELECT id, status, baseline, group_count, rule_count, error_code, error, finished_at FROM polls WHERE id > ? OR (run = 1 AND finished_at > ?) ORDER BY id")
    .all(cursor.pollId, cursor.finishedAt) as Array<StoryPoll & { id: number; finished_at: string }>;
  const changes = db.prepare("SELECT * FROM changes WHERE poll_id > ? ORDER BY id").all(cursor.pollId) as ChangeViewRow[];
  const alerts = db.prepare("SELECT id, channel, kind, payload FROM outbox WHERE id > ? ORDER BY id").all(cursor.outboxId) as StoryAlert[];
  for (const p of polls) {
    cursor.pollId = Math.max(cursor.pollId, p.id);
    if (p.finished_at > cursor.finishedAt) cursor.finishedAt = p.finished_at;
  }
  for (const a of alerts) cursor.outboxId = Math.max(cursor.outboxId, a.id);
  const nameOf = db.prepare("SELECT name FROM group_versions WHERE group_id = ? ORDER BY added_at DESC, id DESC LIMIT 1").pluck();
  const groupNames: Record<string, string> = {};
  for (const a of alerts) {
    if (a.kind !== "failed-attempts") continue;
    for (const t of (JSON.parse(a.payload) as AttemptsStory).attempts) {
      const name = t.groupId === null ? undefined : (nameOf.get(t.groupId) as string | undefined);
      if (t.groupId !== null && name !== undefined) groupNames[t.groupId] = name;
    }
  }
  return { polls, changes, alerts, groupNames };
}

const SEVERITY_WIDTH = 9;

/** "bastion (sg-0abc…)": the name people know first, the id to act on. */
export function groupHeadline(name: string | null, id: string): string {
  const n = oneLine(name ?? "", 60);
  return n ? `${n} (${id})` : id;
}

/** "added ingress tcp/22 from 0.0.0.0/0 — anyone on the internet", from a `changes` row. */
export function changeWords(r: ChangeViewRow): string {
  const verb: Record<string, string> = {
    "rule-added": "added",
    "rule-removed": "removed",
    "rule-description-changed": "edited the description of",
    "group-created": "created the group",
    "group-deleted": "deleted the group",
    "group-changed": "changed the group's name, tags or VPC",
  };
  const v = verb[r.kind] ?? r.kind;
  if (!r.direction) return v;
  const ports = r.ports === "all" || r.ports === null ? "" : `/${r.ports}`;
  const source = oneLine(r.source ?? "", 80);
  const world = source === "0.0.0.0/0" || source === "::/0" ? " — anyone on the internet" : "";
  const rule = `${r.direction} ${r.protocol ?? ""}${ports} ${r.direction === "egress" ? "to" : "from"} ${source}${world}`;
  return `${v} ${rule}`;
}

type RevertFact = { changeId: number; exposureSeconds: number };

/** What the cycle's drift alerts said of its changes. */
interface DriftFacts {
  /** The channels that were given each change. */
  channels: Map<number, string[]>;
  /** What each change undid. */
  reverts: Map<number, RevertFact>;
  /** Each change as its alert told it (guardrail, revoke command, blast radius). */
  told: Map<number, AlertChange>;
}

/** Channels that were given each change, what each change undid, and how each was told, from the cycle's drift alerts. */
function readDriftAlerts(alerts: readonly StoryAlert[]): DriftFacts {
  const channels = new Map<number, string[]>();
  const reverts = new Map<number, RevertFact>();
  const toldAs = new Map<number, AlertChange>();
  for (const a of alerts) {
    if (a.kind === "closed") {
      // The change that undid an unapproved one is told as the incident's close.
      const closed = JSON.parse(a.payload) as { items?: Array<{ change: { changeId: number }; byChangeId: number; exposureSeconds: number }> };
      for (const i of closed.items ?? []) {
        const list = channels.get(i.byChangeId) ?? [];
        if (!list.includes(a.channel)) list.push(a.channel);
        channels.set(i.byChangeId, list);
        reverts.set(i.byChangeId, { changeId: i.change.changeId, exposureSeconds: i.exposureSeconds });
      }
      continue;
    }
    if (a.kind !== "drift" && a.kind !== "digest") continue;
    type Told = { changes?: AlertChange[] };
    // A route's digest holds drift alerts; each of its changes was given to that channel.
    const parsed = JSON.parse(a.payload) as Told & { alerts?: Told[] };
    const told = a.kind === "digest" ? (parsed.alerts ?? []).flatMap((d) => d.changes ?? []) : (parsed.changes ?? []);
    for (const c of told) {
      const list = channels.get(c.changeId) ?? [];
      if (!list.includes(a.channel)) list.push(a.channel);
      channels.set(c.changeId, list);
      if (c.reverts) reverts.set(c.changeId, c.reverts);
      toldAs.set(c.changeId, c);
    }
  }
  return { channels, reverts, told: toldAs };
}

/** "approved by CHG-1042, so no alert" / "unapproved: CHG-1043 allows … → alerted (log, email)". */
function verdict(r: ChangeViewRow, channels: readonly string[], told: AlertChange | undefined): string {
  // A guardrail is the verdict: no record could have covered it, so none is worth naming.
  const guardrail = told ? guardrailText(told) : null;
  if (guardrail !== null) return channels.length > 0 ? `${guardrail} → alerted (${channels.join(", ")})` : guardrail;
  if (r.detected_status === "approved") return `approved by ${oneLine(r.approval_id ?? "a record", 64)}, so no alert`;
  const why = r.approval_note ? `unapproved: ${oneLine(r.approval_note, 300)}` : "unapproved: no approval record covers it";
  return channels.length > 0 ? `${why} → alerted (${channels.join(", ")})` : `${why} → below every channel's threshold, not alerted`;
}

/**
 * Two lines for one failed-attempts alert, worst-first like a change: who was
 * refused what, how often, with which key from where. Every piece came from
 * CloudTrail, so every piece goes through the sanitiser.
 */
function attemptsLines(payload: string, channels: readonly string[], groupNames: Readonly<Record<string, string>>): string[] {
  const p = JSON.parse(payload) as AttemptsStory;
  const who = oneLine((p.identity.arn ?? "an unknown caller").replace(/^arn:aws:[a-z]+::\d+:/, ""), 80);
  const tried = [...new Set(p.attempts.map((a) => `${oneLine(a.rules || "a change", 120)} on ${a.groupId === null ? "?" : groupHeadline(groupNames[a.groupId] ?? null, oneLine(a.groupId, 40))}`))].join("; ");
  const keys = p.identity.accessKeyIds.map((k) => oneLine(k, 40)).join(", ") || "unknown";
  const from = [...new Set(p.sources.map((s) => oneLine(s.sourceIp ?? "an unknown address", 80)))].join(", ");
  const times = p.count === 1 ? "once" : `${p.count} times`;
  return [
    `   ${p.severity.toUpperCase().padEnd(SEVERITY_WIDTH)}denied ${times}: ${who} tried to ${oneLine(tried, 200)}`,
    `   ${" ".repeat(SEVERITY_WIDTH)}key ${keys} from ${from}; refused, so nothing changed → one failed-attempts alert (${channels.join(", ")})`,
  ];
}

/**
 * Two lines per short-lived opening: what was open, how long and when (from
 * CloudTrail), then who from where and that no poll saw it; a third when its
 * caller is not who may make it. Told from the
 * alert, not the changes view: the poll that decided it may be an earlier
 * cycle's, when CloudTrail delivered late.
 */
function transientLines(payload: string, channels: readonly string[]): string[] {
  const p = JSON.parse(payload) as TransientAlert;
  return p.items.flatMap((i) => {
    const c = i.change;
    const r = c.rule;
    const what = r ? `${portsShort(r)} was open to ${oneLine(r.source, 80)}` : "a rule was open";
    const who = oneLine((i.openedBy.arn ?? i.openedBy.accessKeyId ?? "an unknown caller").replace(/^arn:aws:[a-z]+::\d+:/, ""), 80);
    const from = i.openedBy.sourceIp ? ` from ${oneLine(i.openedBy.sourceIp, 64)}` : "";
    const lines = [
      `   ${c.severity.toUpperCase().padEnd(SEVERITY_WIDTH)}#${c.changeId} ${groupHeadline(c.groupName, c.groupId)}: ${what} for ${humanDuration(i.seconds * 1000)}, ${spanText(i.openedAt, i.closedAt).slice(11)}`,
      `   ${" ".repeat(SEVERITY_WIDTH)}by ${who}${from}; no poll saw it: CloudTrail joined with poll history → transient-opening alert (${channels.join(", ")})`,
    ];
    // Its caller held against the actor policy and by:, worded as for a change a poll saw.
    if (i.actor) lines.push(`   ${" ".repeat(SEVERITY_WIDTH)}${i.actor.verdict === "unexpected" ? "UNEXPECTED ACTOR" : "not approved after all"}: ${oneLine(i.actor.problems.join("; "), 300)}`);
    return lines;
  });
}

/** "who made #1, #2 (CloudTrail)", for the alerts that are not about one change. */
function otherAlertWords(kind: string, payload: string): string {
  const p = JSON.parse(payload) as {
    // Posture items are current rules, not changes: they have no change.
    items?: Array<{ change?: { changeId: number } }>;
    records?: Array<{ id: string }>;
    failures?: number;
  };
  const ids = (p.items ?? []).flatMap((i) => (i.change ? [`#${i.change.changeId}`] : [])).join(", ");
  switch (kind) {
    case "posture":
      return `posture at the baseline: ${p.items?.length ?? 0} current rule(s) need attention`;
    case "attributed":
      return `who made ${ids}, now that CloudTrail has the events`;
    case "closed":
      return `closed: ${ids} undone, incident closed`;
    case "acknowledged":
      return `acknowledged: ${ids}, said in the incident's thread`;
    case "reminder":
      return `reminder: ${ids} still neither acknowledged nor reverted`;
    case "approval-unused":
      return `approval ${(p.records ?? []).map((r) => oneLine(r.id, 64)).join(", ")} ended without covering any change`;
    case "failed-attempts-more":
      return "more denied calls of a burst already alerted, told in its thread";
    case "monitoring-blind":
      return `monitoring blind after ${p.failures ?? "several"} failed polls`;
    case "monitoring-restored":
      return "monitoring restored";
    case "approvals-invalid":
      return "approval files have problems";
    default:
      return kind;
  }
}

/** The cycle's story, a line each. */
export function tellCycle(n: number, facts: CycleFacts): string[] {
  const lines: string[] = [];
  const ok = facts.polls.filter((p) => p.status === "ok");
  const failed = facts.polls.filter((p) => p.status === "failed");
  const baseline = ok.some((p) => p.baseline === 1);
  // What the polls found; transient openings (no poll saw them) are told from their alert below.
  const found = facts.changes.filter((r) => r.status !== "transient");
  const counts = ok.map((p) => `${p.group_count ?? 0} groups, ${p.rule_count ?? 0} rules`).join("; ");
  let head: string;
  if (baseline) head = `baseline recorded (${counts}): nothing alerted for what already existed`;
  else if (failed.length > 0 && ok.length === 0) head = "the poll failed";
  else if (found.length === 0) head = `no changes (${counts})`;
  else head = `${found.length} change${found.length === 1 ? "" : "s"} found (${counts})`;
  lines.push(`── cycle ${n}: ${head}`);

  for (const p of failed) {
    const error = oneLine(p.error ?? "", 200);
    const code = oneLine(p.error_code ?? "", 64);
    lines.push(`   poll failed: ${error.includes(code) ? error : `${code}: ${error}`}`);
    lines.push("   recorded as a failed poll; stored state untouched, so nothing reads as deleted; no change, no alert");
    lines.push("   (three failures in a row would alert monitoring-blind)");
  }

  // Refused calls lead: a key trying what it may not is as urgent as what changed.
  const attempts = new Map<string, string[]>();
  for (const a of facts.alerts) {
    if (a.kind !== "failed-attempts") continue;
    attempts.set(a.payload, [...(attempts.get(a.payload) ?? []), a.channel]);
  }
  for (const [payload, list] of attempts) lines.push(...attemptsLines(payload, list, facts.groupNames));
  // Short-lived openings next: found by the join, not by this cycle's poll.
  // The log's payload holds every opening (it takes everything); the channels list who was told.
  const logTransient = facts.alerts.find((a) => a.kind === "transient" && a.channel === "log");
  if (logTransient) lines.push(...transientLines(logTransient.payload, facts.alerts.filter((a) => a.kind === "transient").map((a) => a.channel)));

  const { channels, reverts, told: toldAs } = readDriftAlerts(facts.alerts);
  // Changes an unexpected-actor alert of this cycle named, with its channels: told on the change's own lines.
  const actorAlerted = new Map<number, string[]>();
  for (const a of facts.alerts) {
    if (a.kind !== "unexpected-actor") continue;
    for (const i of (JSON.parse(a.payload) as { items?: Array<{ change: { changeId: number } }> }).items ?? []) {
      actorAlerted.set(i.change.changeId, [...(actorAlerted.get(i.change.changeId) ?? []), a.channel]);
    }
  }
  // Worst first, so the line that matters is at the top of the screen.
  const rank: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3 };
  const changes = [...found].sort((a, b) => (rank[a.severity] ?? 4) - (rank[b.severity] ?? 4) || a.id - b.id);
  for (const r of changes) {
    lines.push(`   ${r.severity.toUpperCase().padEnd(SEVERITY_WIDTH)}#${r.id} ${groupHeadline(r.group_name, r.group_id)}: ${changeWords(r)}`);
    const extra: string[] = [];
    if (r.kind === "rule-description-changed" && r.old_description !== null) {
      extra.push(`"${oneLine(r.old_description, 60)}" → "${oneLine(r.description ?? "", 60)}"`);
    }
    if (r.who) extra.push(`by ${oneLine(r.who.replace(/^arn:aws:[a-z]+::\d+:/, ""), 80)}`);
    const undone = reverts.get(r.id);
    const told = undone
      ? `undoes #${undone.changeId}, which was open ${humanDuration(undone.exposureSeconds * 1000)}: incident closed, nothing to acknowledge → a reply in its thread (${(channels.get(r.id) ?? []).join(", ")})`
      : verdict(r, channels.get(r.id) ?? [], toldAs.get(r.id));
    lines.push(`   ${" ".repeat(SEVERITY_WIDTH)}${told}${extra.length > 0 ? `; ${extra.join("; ")}` : ""}`);
    // For what must not exist, the story ends as the alert does: what it exposes and the command that removes it.
    const alerted = toldAs.get(r.id);
    if (alerted && (r.severity === "critical" || alerted.guardrail)) {
      const blast = exposureText(alerted);
      if (blast !== null) lines.push(`   ${" ".repeat(SEVERITY_WIDTH)}${blast}`);
    }
    if (alerted?.revokeCommand) lines.push(`   ${" ".repeat(SEVERITY_WIDTH)}revoke it: ${oneLine(alerted.revokeCommand, 400)}`);
    // CloudTrail's verdict on who made it, a second reason beside the guardrail's (src/attribution/actor-check.ts).
    if (r.actor_verdict === "unexpected" || r.actor_verdict === "not-by" || r.actor_verdict === "unverified") {
      const head = r.actor_verdict === "unexpected" ? "UNEXPECTED ACTOR" : "not approved after all";
      const sent = actorAlerted.get(r.id);
      lines.push(`   ${" ".repeat(SEVERITY_WIDTH)}${head}: ${oneLine(r.actor_problem ?? "", 300)}${sent ? ` → alerted (${sent.join(", ")})` : ""}`);
    }
  }

  const others = new Map<string, string[]>();
  for (const a of facts.alerts) {
    if (a.kind === "drift" || a.kind === "closed" || a.kind === "digest" || a.kind === "failed-attempts" || a.kind === "transient" || a.kind === "unexpected-actor") continue;
    const text = otherAlertWords(a.kind, a.payload);
    const list = others.get(text) ?? [];
    list.push(a.channel);
    others.set(text, list);
  }
  for (const [text, list] of others) lines.push(`   also alerted (${list.join(", ")}): ${text}`);
  return lines;
}
