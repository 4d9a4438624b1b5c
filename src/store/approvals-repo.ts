// approval_records: records from files mirrored with their file and line,
// records created by the CLI, revocations, and the "never used" report.
import type { Database } from "better-sqlite3";
import type { ApprovalRecord } from "../approvals/schema.js";
import { describeChanges, describeSelector } from "../approvals/describe.js";

/** An approval_records row. */
export interface ApprovalRow {
  id: string;
  origin: "file" | "cli";
  file: string | null;
  line: number | null;
  reason: string;
  approved_by: string;
  window_from: string;
  window_until: string;
  standing: 0 | 1;
  selector: string;
  changes_text: string;
  record: string;
  created_at: string;
  updated_at: string;
  withdrawn_at: string | null;
  revoked_at: string | null;
  revoked_by: string | null;
  revoke_reason: string | null;
  unfulfilled_reported_at: string | null;
}

function columns(r: ApprovalRecord) {
  return {
    id: r.id,
    origin: r.origin.kind,
    file: r.origin.kind === "file" ? r.origin.file : null,
    line: r.origin.kind === "file" ? r.origin.line : null,
    reason: r.reason,
    approved_by: r.approvedBy,
    window_from: r.window.from,
    window_until: r.window.until,
    standing: r.standing ? 1 : 0,
    selector: describeSelector(r.selector),
    changes_text: describeChanges(r),
    record: JSON.stringify(r),
  };
}

export function getApproval(db: Database, id: string): ApprovalRow | undefined {
  return db.prepare("SELECT * FROM approval_records WHERE id = ?").get(id) as ApprovalRow | undefined;
}

export function listApprovals(db: Database): ApprovalRow[] {
  return db.prepare("SELECT * FROM approval_records ORDER BY window_from DESC, id").all() as ApprovalRow[];
}

/** Store a CLI-created record. Throws when the id exists. */
export function insertCliApproval(db: Database, r: ApprovalRecord, now: string): void {
  db.prepare(
    `INSERT INTO approval_records (id, origin, file, line, reason, approved_by, window_from, window_until, standing, selector,
       changes_text, record, created_at, updated_at)
     VALUES (@id, @origin, @file, @line, @reason, @approved_by, @window_from, @window_until, @standing, @selector,
       @changes_text, @record, @now, @now)`,
  ).run({ ...columns(r), now });
}

/** Conflicts found while mirroring: a file record whose id a CLI record already has. */
export interface MirrorConflict {
  record: ApprovalRecord;
  existing: ApprovalRow;
}

/**
 * Mirror the records loaded from files: insert or update each, withdraw file
 * records that are no longer in any file (the past keeps them), and restore
 * withdrawn ones that came back. A file record may not take over the id of a
 * CLI record. Returns the conflicts.
 */
export function mirrorFileApprovals(db: Database, records: readonly ApprovalRecord[], now: string): MirrorConflict[] {
  const conflicts: MirrorConflict[] = [];
  const upsert = db.prepare(
    `INSERT INTO approval_records (id, origin, file, line, reason, approved_by, window_from, window_until, standing, selector,
       changes_text, record, created_at, updated_at)
     VALUES (@id, 'file', @file, @line, @reason, @approved_by, @window_from, @window_until, @standing, @selector,
       @changes_text, @record, @now, @now)
     ON CONFLICT (id) DO UPDATE SET file = excluded.file, line = excluded.line, reason = excluded.reason,
       approved_by = excluded.approved_by, window_from = excluded.window_from, window_until = excluded.window_until,
       standing = excluded.standing, selector = excluded.selector, changes_text = excluded.changes_text,
       record = excluded.record, withdrawn_at = NULL,
       updated_at = CASE WHEN approval_records.record = excluded.record AND approval_records.withdrawn_at IS NULL
                         THEN approval_records.updated_at ELSE excluded.updated_at END
     WHERE approval_records.origin = 'file'`,
  );
  const seen = new Set<string>();
  for (const r of records) {
    const existing = getApproval(db, r.id);
    if (existing && existing.origin === "cli") {
      conflicts.push({ record: r, existing });
      continue;
    }
    upsert.run({ ...columns(r), now });
    seen.add(r.id);
  }
  const fileIds = db.prepare("SELECT id FROM approval_records WHERE origin = 'file' AND withdrawn_at IS NULL").all() as Array<{ id: string }>;
  const withdraw = db.prepare("UPDATE approval_records SET withdrawn_at = ?, updated_at = ? WHERE id = ?");
  for (const { id } of fileIds) if (!seen.has(id)) withdraw.run(now, now, id);
  return conflicts;
}

/** CLI records that may match: not revoked. */
export function activeCliApprovals(db: Database): ApprovalRecord[] {
  const rows = db.prepare("SELECT record FROM approval_records WHERE origin = 'cli' AND revoked_at IS NULL").all() as Array<{ record: string }>;
  return rows.map((r) => JSON.parse(r.record) as ApprovalRecord);
}

/** Ids revoked with `sgwatch approvals revoke` (files may still hold them). */
export function revokedIds(db: Database): Set<string> {
  const rows = db.prepare("SELECT id FROM approval_records WHERE revoked_at IS NOT NULL").all() as Array<{ id: string }>;
  return new Set(rows.map((r) => r.id));
}

export function revokeApproval(db: Database, id: string, by: string, reason: string, now: string): boolean {
  return db.prepare("UPDATE approval_records SET revoked_at = ?, revoked_by = ?, revoke_reason = ?, updated_at = ? WHERE id = ? AND revoked_at IS NULL").run(now, by, reason, now, id).changes > 0;
}

/** Changes each record covered. */
export function coveredCount(db: Database, id: string): number {
  return (db.prepare("SELECT count(*) AS n FROM change_approvals WHERE approval_id = ?").get(id) as { n: number }).n;
}

/**
 * Records whose window has ended without covering any change, not yet
 * reported; marks them reported.
 */
export function takeUnfulfilled(db: Database, now: string): ApprovalRow[] {
  const rows = db
    .prepare(
      `SELECT * FROM approval_records r
       WHERE r.window_until < ? AND r.unfulfilled_reported_at IS NULL AND r.revoked_at IS NULL AND r.withdrawn_at IS NULL
         AND NOT EXISTS (SELECT 1 FROM change_approvals ca WHERE ca.approval_id = r.id)`,
    )
    .all(now) as ApprovalRow[];
  const mark = db.prepare("UPDATE approval_records SET unfulfilled_reported_at = ? WHERE id = ?");
  for (const r of rows) mark.run(now, r.id);
  return rows;
}

/** Standing records still in force, so they are never forgotten. */
export function standingApprovals(db: Database, now: string): ApprovalRow[] {
  return db
    .prepare("SELECT * FROM approval_records WHERE standing = 1 AND revoked_at IS NULL AND withdrawn_at IS NULL AND window_until >= ? ORDER BY id")
    .all(now) as ApprovalRow[];
}
