// What a compaction dropped, in words: one sentence for `sgwatch status`,
// `sgwatch compact` and the daemon's log line, so all three say the same.
import type { RetentionCounts } from "./retention.js";

/** "3 changes (2 approval links, 1 attribution), 40 rule intervals, …": every kind, zero or not, so nothing is left unsaid. */
export function droppedInWords(c: RetentionCounts): string {
  const n = (k: number, one: string, many = `${one}s`): string => `${k} ${k === 1 ? one : many}`;
  return [
    `${n(c.changes, "change")} (${n(c.approvalLinks, "approval link")}, ${n(c.attributions, "attribution")})`,
    n(c.ruleIntervals, "rule interval"),
    n(c.groupIntervals, "group interval"),
    n(c.interfaceIntervals, "interface interval"),
    `${n(c.polls, "poll")} (${c.failedPolls} failed) in ${n(c.pollRows, "row")}`,
    n(c.alertThreads, "alert thread"),
    n(c.trailEvents, "CloudTrail event"),
    n(c.trailAttemptGroups, "failed-attempt group"),
  ].join(", ");
}
