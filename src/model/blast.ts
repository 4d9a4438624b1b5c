// Severity from blast radius (pure). A world-open sensitive port matters
// because something on the internet can reach it: on a group with a public
// interface it stays critical; on a group no interface uses, nothing is
// reachable now, so it is ranked lower and the alert says so. A broad source
// (severity.broadSources: 0.0.0.0/1 is half the internet) counts like the
// world here as it does for severity. Interfaces that were never read
// (aws.interfacesEvery: 0, or not yet) change nothing: unknown is never "safe".
import type { GroupExposure } from "./attachment.js";
import { coversPort, isAllTraffic, isBroadOpen, type SeveritySettings } from "./severity.js";
import type { Change, Severity } from "./types.js";

/** True for an added ingress open to the world or a broad range on a sensitive port or all traffic. */
export function isOpenSensitive(change: Change, s: Pick<SeveritySettings, "sensitivePorts" | "broadSources">): boolean {
  const r = change.rule;
  if (change.kind !== "rule-added" || !r || r.direction !== "ingress" || !isBroadOpen(r, s.broadSources)) return false;
  return isAllTraffic(r) || coversPort(r, s.sensitivePorts);
}

/** The severity after blast radius, and whether the alert should say "not reachable now". */
export function blastSeverity(
  change: Change,
  severity: Severity,
  exposure: GroupExposure | undefined,
  s: Pick<SeveritySettings, "sensitivePorts" | "broadSources" | "worldOpenSensitive" | "notReachable">,
): { severity: Severity; notReachable: boolean } {
  if (exposure === undefined || exposure.interfaces > 0) return { severity, notReachable: false };
  if (!isOpenSensitive(change, s) || severity !== s.worldOpenSensitive) return { severity, notReachable: false };
  return { severity: s.notReachable, notReachable: true };
}
