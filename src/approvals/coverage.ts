// The individual criteria of "does this record cover this change", each with
// the words that explain a failure. The matcher needs both: a change is
// covered only when every criterion passes, and when none covers, the record
// passing the most criteria is named with its failed criteria as the reason.

import { isNamePattern, nameSelects, tagValueSelects } from "../model/group-pattern.js";
import { canonicalCidr, cidrContains, parseCidr } from "../model/cidr.js";
import type { Change, ChangeKind, Rule } from "../model/types.js";
import { describePorts, parseProtocol, type PortRange } from "./fields.js";
import type { ApprovalChange, ApprovalRecord, GroupSelector, RuleChangeEntry } from "./schema.js";

/** One criterion's outcome. */
export interface Check {
  /** Whether the criterion holds. */
  ok: boolean;
  /** Why it fails, as a clause after the record id ("allows tcp but the rule is udp"); empty when ok. */
  why: string;
}

/** Where and when the change was seen (see match.ts MatchContext). */
export interface CheckContext {
  /** Account of the polled target. */
  account: string;
  /** Region of the polled target. */
  region: string;
  /** Previous successful poll (ISO), or null. */
  intervalStart: string | null;
  /** Detecting poll (ISO). */
  detectedAt: string;
}

const pass: Check = { ok: true, why: "" };
const fail = (why: string): Check => ({ ok: false, why });

/** Target and group selector checks of a record. */
export function recordChecks(change: Change, ctx: CheckContext, rec: ApprovalRecord): Check[] {
  const { account, region } = rec.target;
  return [
    account === null || account === ctx.account ? pass : fail(`is for account ${account}, not ${ctx.account}`),
    region === null || region === ctx.region ? pass : fail(`is for region ${region}, not ${ctx.region}`),
    selectorCheck(change, rec.selector),
  ];
}

/** Does the selector pick the change's group (shared with guardrail exceptions, src/policy/). */
export function selectorCheck(change: Pick<Change, "groupId" | "groupName" | "groupTags">, sel: GroupSelector): Check {
  switch (sel.kind) {
    case "groupId":
      return sel.groupId === change.groupId ? pass : fail(`selects group ${sel.groupId}, not ${change.groupId}`);
    case "groupName":
      return nameSelects(sel.groupName, change.groupName)
        ? pass
        : fail(isNamePattern(sel.groupName) ? `selects group names ${sel.groupName}, not "${change.groupName}"` : `selects group name "${sel.groupName}", not "${change.groupName}"`);
    case "tags":
      for (const [k, v] of Object.entries(sel.tags)) {
        const actual = change.groupTags[k];
        if (tagValueSelects(v, actual)) continue;
        return fail(
          actual === undefined
            ? `selects tag ${k}=${v} but ${change.groupId} has no tag ${k}`
            : `selects tag ${k}=${v} but ${change.groupId} has ${k}=${actual}`,
        );
      }
      return pass;
  }
}

/**
 * The change happened somewhere in (intervalStart, detectedAt]; it is in the
 * window [from, until] when the two intersect. With no previous poll we only
 * know detectedAt. A previous poll at exactly `until` still saw the old state,
 * so the change came after the window.
 */
export function windowCheck(ctx: CheckContext, rec: ApprovalRecord): Check {
  const from = Date.parse(rec.window.from);
  const until = Date.parse(rec.window.until);
  const detected = Date.parse(ctx.detectedAt);
  const start = ctx.intervalStart === null ? null : Date.parse(ctx.intervalStart);
  if (start === null ? detected > until : start >= until) return fail(`window ended ${rec.window.until} before the change`);
  if (detected < from) return fail(`window starts ${rec.window.from}, after the change`);
  return pass;
}

/** True when a group-changed change touched only the tags. */
export function tagsOnly(change: Change): boolean {
  const keys = new Set([...Object.keys(change.before ?? {}), ...Object.keys(change.after ?? {})]);
  return keys.size > 0 && [...keys].every((k) => k === "tags");
}

const ACTION_KIND: Record<ApprovalChange["action"], ChangeKind | null> = {
  add: "rule-added",
  remove: "rule-removed",
  "modify-description": "rule-description-changed",
  "create-group": "group-created",
  "delete-group": "group-deleted",
  "modify-tags": "group-changed",
  any: null,
};

function happened(change: Change): string {
  switch (change.kind) {
    case "rule-added":
      return "a rule was added";
    case "rule-removed":
      return "a rule was removed";
    case "rule-description-changed":
      return "a rule's description changed";
    case "group-created":
      return "the group was created";
    case "group-deleted":
      return "the group was deleted";
    case "group-changed": {
      const keys = [...new Set([...Object.keys(change.before ?? {}), ...Object.keys(change.after ?? {})])].sort();
      return `the group's ${keys.length > 0 ? keys.join(" and ") : "attributes"} changed`;
    }
    case "exposure-added":
      return "a public interface started using the group";
  }
}

function actionCheck(change: Change, entry: ApprovalChange): Check {
  const kind = ACTION_KIND[entry.action];
  const ok = kind === null || (kind === change.kind && (kind !== "group-changed" || tagsOnly(change)));
  return ok ? pass : fail(`allows ${entry.action} but ${happened(change)}`);
}

const isRuleKind = (k: ChangeKind) => k.startsWith("rule-");
const isIcmp = (p: string) => p === "icmp" || p === "icmpv6";

function canonicalProtocol(p: string): string {
  const r = parseProtocol(p);
  return r.ok ? r.value : p;
}

function observedPorts(rule: Rule): string {
  if (rule.fromPort === null || rule.toPort === null) return "all ports";
  if (isIcmp(canonicalProtocol(rule.protocol))) return rule.fromPort < 0 ? "any ICMP type" : `ICMP type ${rule.fromPort}`;
  return describePorts({ from: rule.fromPort, to: rule.toPort });
}

function approvedPorts(p: PortRange | null, icmp: boolean): string {
  if (!icmp || p === null) return describePorts(p);
  return p.from === p.to ? `ICMP type ${p.from}` : `ICMP types ${p.from}-${p.to}`;
}

function portsCover(approved: PortRange | null, rule: Rule, protocol: string): boolean {
  if (approved === null) return true;
  if (rule.fromPort === null || rule.toPort === null) return false;
  // For ICMP, fromPort is the type (toPort the code, which an approval does not restrict); -1 is every type.
  if (isIcmp(protocol)) return rule.fromPort >= 0 && rule.fromPort >= approved.from && rule.fromPort <= approved.to;
  return rule.fromPort >= approved.from && rule.toPort <= approved.to;
}

function sourceCovers(entry: RuleChangeEntry, rule: Rule): boolean {
  const src = entry.source;
  if (src.kind === "any") return true;
  if (src.kind === "prefix-list" || src.kind === "security-group") return rule.sourceKind === src.kind && rule.source.toLowerCase() === src.value;
  if (rule.sourceKind !== "ipv4" && rule.sourceKind !== "ipv6") return false;
  const outer = parseCidr(src.value);
  const inner = parseCidr(rule.source);
  return outer !== null && inner !== null && cidrContains(outer, inner);
}

const SOURCE_VERB: Partial<Record<ChangeKind, string>> = {
  "rule-added": "was opened",
  "rule-removed": "was closed",
  "rule-description-changed": "had its description changed",
};

function ruleChecks(change: Change, entry: RuleChangeEntry, rule: Rule): Check[] {
  const protocol = canonicalProtocol(rule.protocol);
  const observedSource = rule.sourceKind === "ipv4" || rule.sourceKind === "ipv6" ? canonicalCidr(rule.source) : rule.source;
  return [
    entry.direction === rule.direction ? pass : fail(`allows ${entry.direction} but the rule is ${rule.direction}`),
    entry.protocol === "any" || entry.protocol === protocol ? pass : fail(`allows ${entry.protocol} but the rule's protocol is ${protocol}`),
    portsCover(entry.ports, rule, protocol)
      ? pass
      : fail(`allows ${approvedPorts(entry.ports, isIcmp(entry.protocol))} but the rule has ${observedPorts(rule)}`),
    sourceCovers(entry, rule) ? pass : fail(`allows ${entry.source.value} but ${observedSource} ${SOURCE_VERB[change.kind] ?? "changed"}`),
  ];
}

/**
 * Checks of one change entry: the action, and for rule changes the direction,
 * protocol, ports and source. Rule fields of an `any` entry do not restrict
 * group-level changes, which have no rule.
 */
export function entryChecks(change: Change, entry: ApprovalChange): Check[] {
  const checks = [actionCheck(change, entry)];
  if (!isRuleKind(change.kind)) return checks;
  if (!("source" in entry)) return checks;
  if (change.rule === undefined) return [...checks, fail("cannot judge a rule change that carries no rule")];
  return [...checks, ...ruleChecks(change, entry, change.rule)];
}
