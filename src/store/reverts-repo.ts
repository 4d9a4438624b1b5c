// Reverts: an unapproved added rule that disappears again, or an unapproved
// removal that is restored, is marked reverted with the observed exposure:
// from the poll that first saw the change to the poll that saw it undone.
import type { Database } from "better-sqlite3";
import type { ChangeKind } from "../model/types.js";
import { sql } from "./statements.js";

/** A change that a new change undid. */
export interface RevertedChange {
  /** The earlier, now reverted, change. */
  changeId: number;
  /** The change that undid it. */
  byChangeId: number;
  /** Observed exposure in seconds. */
  exposureSeconds: number;
}

const OPPOSITE: Partial<Record<ChangeKind, ChangeKind>> = { "rule-removed": "rule-added", "rule-added": "rule-removed" };

interface OpenChange {
  id: number;
  detected_at: string;
}

/**
 * For each new rule change, find the open unapproved change of the opposite
 * kind on the same rule and mark it reverted. Returns what was reverted.
 */
export function markReverts(
  db: Database,
  targetId: number,
  detectedAt: string,
  newChanges: ReadonlyArray<{ id: number; kind: ChangeKind; groupId: string; ruleKey: string | null }>,
): RevertedChange[] {
  const find = sql(db, 
    `SELECT id, detected_at FROM change_events
     WHERE target_id = ? AND group_id = ? AND rule_key = ? AND kind = ? AND status = 'unapproved' AND reverted_at IS NULL
       AND id < ?
       -- A change that itself undid an earlier one (closing a rule someone
       -- opened) is a response, not drift to be undone in turn.
       AND NOT EXISTS (SELECT 1 FROM change_events u WHERE u.reverted_by_change_id = change_events.id)
     ORDER BY id DESC LIMIT 1`,
  );
  const mark = sql(db, "UPDATE change_events SET reverted_at = ?, reverted_by_change_id = ?, exposure_seconds = ? WHERE id = ?");
  const out: RevertedChange[] = [];
  for (const c of newChanges) {
    const opposite = OPPOSITE[c.kind];
    if (!opposite || c.ruleKey === null) continue;
    const open = find.get(targetId, c.groupId, c.ruleKey, opposite, c.id) as OpenChange | undefined;
    if (!open) continue;
    const exposureSeconds = Math.max(0, Math.round((Date.parse(detectedAt) - Date.parse(open.detected_at)) / 1000));
    mark.run(detectedAt, c.id, exposureSeconds, open.id);
    out.push({ changeId: open.id, byChangeId: c.id, exposureSeconds });
  }
  return out;
}
