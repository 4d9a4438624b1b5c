// Which channels get which alert. Pure: decided when the alert is written to
// the outbox, so what each channel will say is fixed in the same transaction.
import type { AlertPayload } from "./payload.js";
import type { RoutedAlert } from "../store/record-poll.js";
import { severityRank, type Severity } from "../model/types.js";

/** One enabled channel and the mildest severity it wants. */
export interface ChannelRoute {
  /** Channel name (log, email, …). */
  channel: string;
  /** Drift changes milder than this are left out for this channel. */
  minSeverity: Severity;
}

/** Severity of the non-drift alerts: they concern the monitor itself. */
const SYSTEM_SEVERITY: Record<Exclude<AlertPayload["type"], "drift" | "failed-attempts">, Severity> = {
  "monitoring-blind": "high",
  "monitoring-restored": "low",
  "trail-blind": "high",
  "trail-restored": "low",
  "approvals-invalid": "medium",
  reminder: "high",
  attributed: "low",
  "approval-unused": "low",
};

export function routeAlert(routes: readonly ChannelRoute[], payload: AlertPayload): RoutedAlert[] {
  const out: RoutedAlert[] = [];
  for (const r of routes) {
    if (payload.type === "reminder" || payload.type === "attributed") {
      // Reminders only concern critical and high changes; they follow the channel's threshold.
      const items = payload.items.filter((i) => severityRank(i.change.severity) >= severityRank(r.minSeverity));
      if (items.length === 0) continue;
      const worst = items.reduce((w, i) => (severityRank(i.change.severity) > severityRank(w) ? i.change.severity : w), "low" as Severity);
      out.push({ channel: r.channel, severity: worst, payload: { ...payload, items } });
      continue;
    }
    if (payload.type === "failed-attempts") {
      // Judged like the change it tried to make, and filtered like drift.
      if (severityRank(payload.severity) >= severityRank(r.minSeverity)) out.push({ channel: r.channel, severity: payload.severity, payload });
      continue;
    }
    if (payload.type !== "drift") {
      // Being blind or having broken approvals matters whatever the channel's
      // threshold: otherwise a quiet inbox could mean "nothing seen".
      out.push({ channel: r.channel, severity: SYSTEM_SEVERITY[payload.type], payload });
      continue;
    }
    const changes = payload.changes.filter((c) => severityRank(c.severity) >= severityRank(r.minSeverity));
    if (changes.length === 0) continue;
    const worst = changes.reduce((w, c) => (severityRank(c.severity) > severityRank(w) ? c.severity : w), "low" as Severity);
    out.push({ channel: r.channel, severity: worst, payload: { ...payload, changes } });
  }
  return out;
}
