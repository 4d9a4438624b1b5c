// The verdict of `sgwatch status --health` (the container's HEALTHCHECK).
// Two sources, because the database alone cannot tell everything: a daemon
// that cannot write (another writer holds the lock, the disk is full) records
// nothing, so its failures are not in the database it cannot write. When the
// config has `http`, the running daemon's own /healthz (which keeps those
// failures in memory) is asked first; the stored verdict is the fallback, and
// it also counts "nothing recorded for longer than monitoring.blindAfter" as
// unhealthy, so a silent daemon is never read as a healthy one.
import { oneLine } from "../alerts/render/sanitize.js";

/** A target as `status` reads it from the database. */
export interface StoredTarget {
  /** AWS account id. */
  account: string;
  /** AWS region. */
  region: string;
  /** When its last poll (ok or failed) finished, if ever. */
  lastPollAt: string | null;
  /** Set while the target is blind. */
  blindSince: string | null;
  /** The last poll's error, in words. */
  lastError: string | null;
}

/** The health verdict, printed as a line or as JSON. */
export interface HealthVerdict {
  /** True when healthy (exit 0); false exits 4. */
  healthy: boolean;
  /** Where the verdict comes from: the daemon's /healthz or the database. */
  source: "daemon" | "database";
  /** One sentence per problem; empty when healthy. */
  reasons: string[];
  /** Targets considered. */
  targets: number;
}

/**
 * Verdict from the database: no target yet, a blind target, nothing recorded
 * for too long, or a reason another sensor gives (trail-blind targets).
 */
export function storedHealth(targets: readonly StoredTarget[], now: Date, staleAfterMs: number | null, otherReasons: readonly string[] = []): HealthVerdict {
  const reasons: string[] = [];
  if (targets.length === 0) reasons.push("no target has been polled yet");
  for (const t of targets) {
    if (t.blindSince !== null) {
      reasons.push(`blind: ${t.account}/${t.region} since ${t.blindSince} (${oneLine(t.lastError ?? "unknown error", 200)})`);
    } else if (staleAfterMs !== null && (t.lastPollAt === null || now.getTime() - Date.parse(t.lastPollAt) >= staleAfterMs)) {
      // Neither a good nor a failed poll was recorded: the daemon is stopped, or cannot write.
      reasons.push(`silent: ${t.account}/${t.region}: nothing recorded since ${t.lastPollAt ?? "ever"} (longer than monitoring.blindAfter)`);
    }
  }
  for (const r of otherReasons) reasons.push(oneLine(r, 400));
  return { healthy: reasons.length === 0, source: "database", reasons, targets: targets.length };
}

/** The body /healthz serves (src/daemon/http-server.ts), as far as status reads it. */
interface HealthzBody {
  healthy?: unknown;
  reasons?: unknown;
  targets?: unknown;
}

/**
 * Ask the running daemon's /healthz. Null when no daemon answers (not running,
 * or http not configured) or the answer is not /healthz's: the caller then
 * falls back to the database.
 */
export async function daemonHealth(url: string, timeoutMs: number): Promise<HealthVerdict | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "manual" });
    const body = (await res.json()) as HealthzBody;
    if (typeof body.healthy !== "boolean" || !Array.isArray(body.reasons)) return null;
    return {
      healthy: body.healthy && res.status === 200,
      source: "daemon",
      reasons: body.reasons.map((r) => oneLine(String(r), 300)),
      targets: typeof body.targets === "number" ? body.targets : 0,
    };
  } catch {
    return null;
  }
}
