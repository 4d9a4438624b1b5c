// The ignore list (top-level `ignore:`): groups owned by other systems (EKS,
// ELB, autoscaling) whose churn is recorded but not alerted on, each entry
// with a reason and an expiry. Pure: compiled from the config, asked per
// change, and listed (active or expired) for check-config and, later, report
// and status.
import type { Config, IgnoreConfig } from "./schema.js";
import type { IgnoreSummary } from "../model/posture-report.js";
import { compileNamePattern, tagConditionsText, tagsMatch, type NamePattern } from "../model/group-pattern.js";

/** One compiled entry. */
export interface IgnoreRule {
  /** Position in the config's list. */
  index: number;
  /** Why its groups are not alerted on. */
  reason: string;
  /** ISO time the entry stops applying. */
  until: string;
  /** The entry's own conditions (all given must hold). */
  entry: IgnoreConfig;
  /** Its name patterns, compiled. */
  patterns: NamePattern[] | null;
}

/** The group a change concerns, and where. */
export interface IgnoreSubject {
  /** Account of the target. */
  account: string;
  /** Region of the target. */
  region: string;
  /** sg-… id. */
  groupId: string;
  /** The group's name. */
  groupName: string;
  /** The group's tags. */
  groupTags: Readonly<Record<string, string>>;
}

export function ignoreRules(config: Config): IgnoreRule[] {
  return config.ignore.map((entry, index) => ({
    index,
    reason: entry.reason,
    until: entry.until,
    entry,
    patterns: entry.groupName ? entry.groupName.map(compileNamePattern) : null,
  }));
}

/** "ignore[0] (until …): reason" of the first unexpired entry that covers the group, or null. */
export function ignoredReason(rules: readonly IgnoreRule[], s: IgnoreSubject, at: string): string | null {
  for (const r of rules) {
    if (Date.parse(at) >= Date.parse(r.until)) continue;
    const e = r.entry;
    if (e.accounts && !e.accounts.includes(s.account)) continue;
    if (e.regions && !e.regions.includes(s.region)) continue;
    if (e.groupId !== undefined && e.groupId !== s.groupId) continue;
    if (r.patterns && !r.patterns.some((p) => p.test(s.groupName))) continue;
    if (e.tags && !tagsMatch(e.tags, s.groupTags)) continue;
    return `ignore[${r.index}] until ${r.until}: ${r.reason}`;
  }
  return null;
}


export function ignoreList(config: Config, now: Date): IgnoreSummary[] {
  return config.ignore.map((e, index) => ({
    index,
    selects: [
      e.groupId ? `group ${e.groupId}` : "",
      e.groupName ? `group name ${e.groupName.join(" or ")}` : "",
      e.tags ? tagConditionsText(e.tags) : "",
      e.accounts ? `in account ${e.accounts.join(" or ")}` : "",
      e.regions ? `in region ${e.regions.join(" or ")}` : "",
    ]
      .filter(Boolean)
      .join(", "),
    reason: e.reason,
    until: e.until,
    active: now.getTime() < Date.parse(e.until),
  }));
}

export function ignoreListLines(list: readonly IgnoreSummary[]): string[] {
  if (list.length === 0) return [];
  return [
    `ignore (recorded, not alerted): ${list.filter((e) => e.active).length} of ${list.length} entries active:`,
    ...list.map((e) => `  ignore[${e.index}]: ${e.selects} until ${e.until}${e.active ? "" : " (EXPIRED: alerting again)"}: ${e.reason}`),
  ];
}
