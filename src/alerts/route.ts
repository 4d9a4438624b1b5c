// Which channels get which alert. Pure: decided when the alert is written to
// the outbox, so what each channel will say is fixed in the same transaction.
//
// Routes (alerts.routes) pick changes by target, severity, group name and
// tags; each change goes to the first matching route (routing: first) or to
// every matching one (routing: all), and to the default route (alerts.email,
// alerts.webhook) when none matches. The log channel is the daemon's record:
// it gets everything, whatever the routes say.
import type { AlertChange, AlertPayload, AlertTarget } from "../model/alert-payload.js";
import type { RoutedAlert } from "../store/record-poll.js";
import { severityRank, type Severity } from "../model/types.js";
import { driftAlertSubject } from "./render/email.js";
import { transientSubject } from "./render/transient.js";
import { tagsMatch, type NamePattern, type TagConditions } from "../model/group-pattern.js";

/** A route's conditions, compiled; every one given must hold. */
export interface RouteMatch {
  /** Target labels. */
  targets?: readonly string[];
  /** Account ids. */
  accounts?: readonly string[];
  /** Regions. */
  regions?: readonly string[];
  /** Mildest change severity taken. */
  minSeverity?: Severity;
  /** Group name patterns (any may match). */
  groupName?: readonly NamePattern[];
  /** Group tag conditions (all must hold). */
  tags?: TagConditions;
}

/** A named route as the router sees it. */
export interface RouteRule {
  /** The route's name (alerts.routes[].name). */
  name: string;
  /** Its position: "first" routing tries routes in this order. */
  index: number;
  /** What it takes. */
  match: RouteMatch;
  /** first: a change stops at the first matching route; all: it goes to every matching one. */
  mode: "first" | "all";
}

/** The name of the route that takes what no named route matched. */
export const DEFAULT_ROUTE = "default";

/** One enabled channel and the mildest severity it wants. */
export interface ChannelRoute {
  /** Channel name (log, email, email:payments, …). */
  channel: string;
  /** Drift changes milder than this are left out for this channel. */
  minSeverity: Severity;
  /** The route this channel delivers for: a named route, or DEFAULT_ROUTE; absent for the log (everything). */
  route?: RouteRule | typeof DEFAULT_ROUTE;
  /** Collect drift alerts this long into one digest (the route's batch window); absent = send each at once. */
  batchMs?: number;
}

/** Severity of the non-drift alerts: they concern the monitor itself. */
const SYSTEM_SEVERITY: Record<"digest" | "monitoring-blind" | "monitoring-restored" | "trail-blind" | "trail-restored" | "approvals-invalid" | "approval-unused", Severity> = {
  digest: "high",
  "monitoring-blind": "high",
  "monitoring-restored": "low",
  "trail-blind": "high",
  "trail-restored": "low",
  "approvals-invalid": "medium",
  "approval-unused": "low",
};

function targetMatches(m: RouteMatch, t: AlertTarget | null): boolean {
  if (!m.targets && !m.accounts && !m.regions) return true;
  if (!t) return false;
  if (m.targets && (t.label === null || !m.targets.includes(t.label))) return false;
  if (m.accounts && !m.accounts.includes(t.account)) return false;
  if (m.regions && !m.regions.includes(t.region)) return false;
  return true;
}

/** Whether a route takes a change found in a target. */
export function routeTakesChange(m: RouteMatch, target: AlertTarget | null, c: AlertChange): boolean {
  if (!targetMatches(m, target)) return false;
  if (m.minSeverity && severityRank(c.severity) < severityRank(m.minSeverity)) return false;
  if (m.groupName && !m.groupName.some((p) => p.test(c.groupName))) return false;
  if (m.tags && !tagsMatch(m.tags, c.groupTags ?? {})) return false;
  return true;
}

/** Whether a route takes an alert about the monitor itself: by target only; routes that pick groups do not. */
function routeTakesSystem(m: RouteMatch, target: AlertTarget | null): boolean {
  if (m.groupName || m.tags) return false;
  return targetMatches(m, target);
}

/** The named routes among the channels, once each, in their order. */
function namedRoutes(routes: readonly ChannelRoute[]): RouteRule[] {
  const byIndex = new Map<number, RouteRule>();
  for (const r of routes) if (r.route && r.route !== DEFAULT_ROUTE) byIndex.set(r.route.index, r.route);
  return [...byIndex.values()].sort((a, b) => a.index - b.index);
}

/** The names of the routes that take something, by `takes`; the default when none does. */
function chooseRoutes(rules: readonly RouteRule[], takes: (r: RouteRule) => boolean): Set<string> {
  const out = new Set<string>();
  for (const r of rules) {
    if (!takes(r)) continue;
    out.add(r.name);
    if (r.mode === "first") break;
  }
  if (out.size === 0) out.add(DEFAULT_ROUTE);
  return out;
}

function routeName(r: ChannelRoute): string | null {
  if (r.route === undefined) return null;
  return r.route === DEFAULT_ROUTE ? DEFAULT_ROUTE : r.route.name;
}

function worstOf(severities: Severity[]): Severity {
  return severities.reduce((w, s) => (severityRank(s) > severityRank(w) ? s : w), "low" as Severity);
}

export function routeAlert(routes: readonly ChannelRoute[], payload: AlertPayload): RoutedAlert[] {
  const rules = namedRoutes(routes);
  const out: RoutedAlert[] = [];
  const wants = (r: ChannelRoute, chosen: Set<string>): boolean => {
    const name = routeName(r);
    return name === null || chosen.has(name);
  };
  // The scheduled report has its own recipients (report.to): the daemon queues it for the report channel, never through routes.
  if (payload.type === "report") return [];
  for (const r of routes) {
    const meets = (s: Severity): boolean => severityRank(s) >= severityRank(r.minSeverity);
    if (payload.type === "reminder" || payload.type === "attributed" || payload.type === "unexpected-actor") {
      // Follow-ups concern changes: each item goes where its change went.
      const items = payload.items.filter((i) => meets(i.change.severity) && wants(r, chooseRoutes(rules, (x) => routeTakesChange(x.match, i.target, i.change))));
      if (items.length === 0) continue;
      out.push({ channel: r.channel, severity: worstOf(items.map((i) => i.change.severity)), payload: { ...payload, items } as typeof payload });
      continue;
    }
    if (payload.type === "closed" || payload.type === "acknowledged") {
      const target = payload.target;
      const take = <T extends { change: AlertChange }>(list: readonly T[]): T[] =>
        list.filter((i) => meets(i.change.severity) && wants(r, chooseRoutes(rules, (x) => routeTakesChange(x.match, target, i.change))));
      // A closed or acknowledged incident is no emergency: it never outranks what it follows, and is sent as low.
      if (payload.type === "closed") {
        const items = take(payload.items);
        if (items.length > 0) out.push({ channel: r.channel, severity: "low", payload: { ...payload, items } });
      } else {
        const items = take(payload.items);
        if (items.length > 0) out.push({ channel: r.channel, severity: "low", payload: { ...payload, items } });
      }
      continue;
    }
    if (payload.type === "failed-attempts" || payload.type === "failed-attempts-more") {
      // Judged like the change it tried to make, and filtered like drift; routed
      // by target (the attempt may name no group a route selects on). A reply
      // about later calls carries the burst's worst severity, so it goes where
      // the first alert went (and further, if the burst got worse).
      if (!meets(payload.severity) || !wants(r, chooseRoutes(rules, (x) => routeTakesSystem(x.match, payload.target)))) continue;
      out.push({ channel: r.channel, severity: payload.severity, payload });
      continue;
    }
    if (payload.type === "transient") {
      // Short-lived openings are changes: each goes where its change would go, as drift does.
      const items = payload.items.filter((i) => meets(i.change.severity) && wants(r, chooseRoutes(rules, (x) => routeTakesChange(x.match, payload.target, i.change))));
      if (items.length === 0) continue;
      const routed = { ...payload, items };
      out.push({ channel: r.channel, severity: worstOf(items.map((i) => i.change.severity)), payload: routed, threadSubject: transientSubject(routed) });
      continue;
    }
    if (payload.type === "posture") {
      // Routed by target like the monitor's own alerts; each channel gets the findings it is severe enough for.
      if (!wants(r, chooseRoutes(rules, (x) => routeTakesSystem(x.match, payload.target)))) continue;
      const items = payload.items.filter((i) => meets(i.severity));
      if (items.length === 0) continue;
      // The total keeps the findings cut from the alert (their severity is unknown here), less those this channel left out.
      out.push({ channel: r.channel, severity: worstOf(items.map((i) => i.severity)), payload: { ...payload, items, total: payload.total - (payload.items.length - items.length) } });
      continue;
    }
    if (payload.type !== "drift") {
      // Being blind or having broken approvals matters whatever the channel's
      // threshold: otherwise a quiet inbox could mean "nothing seen".
      const target = "target" in payload ? payload.target : null;
      if (!wants(r, chooseRoutes(rules, (x) => routeTakesSystem(x.match, target)))) continue;
      out.push({ channel: r.channel, severity: SYSTEM_SEVERITY[payload.type], payload });
      continue;
    }
    const changes = payload.changes.filter((c) => meets(c.severity) && wants(r, chooseRoutes(rules, (x) => routeTakesChange(x.match, payload.target, c))));
    if (changes.length === 0) continue;
    const routed = { ...payload, changes };
    out.push({
      channel: r.channel,
      severity: worstOf(changes.map((c) => c.severity)),
      payload: routed,
      threadSubject: driftAlertSubject(routed),
      ...(r.batchMs !== undefined && r.route && r.route !== DEFAULT_ROUTE ? { batch: { ms: r.batchMs, route: r.route.name } } : {}),
    });
  }
  return out;
}
