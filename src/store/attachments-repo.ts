// The interface_versions table: which network interfaces used each group,
// as intervals like rule_versions. Load the current ones, move them forward
// by a diff, and say when they were last read.
import type { Database } from "better-sqlite3";
import { diffAttachments, sortAttachments, type Attachment, type InterfaceKind } from "../model/attachment.js";
import type { IntervalContext } from "./state-repo.js";
import { sql } from "./statements.js";

interface AttachmentRow {
  group_id: string;
  interface_id: string;
  kind: InterfaceKind;
  interface_type: string | null;
  instance_id: string | null;
  public_ip: string | null;
  description: string;
}

/** The target's current attachments (rows with no removed_poll_id). */
export function loadCurrentAttachments(db: Database, targetId: number): Attachment[] {
  const rows = sql(
    db,
    `SELECT group_id, interface_id, kind, interface_type, instance_id, public_ip, description
     FROM interface_versions WHERE target_id = ? AND removed_poll_id IS NULL`,
  ).all(targetId) as AttachmentRow[];
  return sortAttachments(
    rows.map((r) => ({
      interfaceId: r.interface_id,
      groupId: r.group_id,
      kind: r.kind,
      interfaceType: r.interface_type,
      instanceId: r.instance_id,
      publicIp: r.public_ip,
      description: r.description,
    })),
  );
}

/** What a poll's read of the interfaces changes: the current ones before it, and those it opens and closes. */
export interface AttachmentMoves {
  before: readonly Attachment[];
  opened: Attachment[];
  closed: Attachment[];
}

/** How `observed` moves the target's current attachments (nothing written). */
export function planAttachments(db: Database, targetId: number, observed: readonly Attachment[]): AttachmentMoves {
  const before = loadCurrentAttachments(db, targetId);
  return { ...diffAttachments(before, observed), before };
}

/**
 * planAttachments, given the list the caller knows to be the stored current
 * one (`stored`: the attachments of a state cache that holds, else
 * undefined). An observation that is that very list (a fetch worker read the
 * same, by digest, and handed back the caller's own list) moved nothing, so
 * nothing is read; any other list is planned against the database.
 */
export function planAttachmentsFrom(db: Database, targetId: number, observed: readonly Attachment[], stored: readonly Attachment[] | undefined): AttachmentMoves {
  if (stored !== undefined && observed === stored) return { before: observed, opened: [], closed: [] };
  return planAttachments(db, targetId, observed);
}

/**
 * Record what this poll read: close intervals of attachments gone or changed,
 * open the new ones, mark the poll as having read interfaces.
 */
export function recordAttachments(db: Database, ctx: IntervalContext, moves: AttachmentMoves): void {
  const close = sql(db, "UPDATE interface_versions SET removed_poll_id = ?, removed_at = ? WHERE target_id = ? AND group_id = ? AND interface_id = ? AND removed_poll_id IS NULL");
  const open = sql(
    db,
    `INSERT INTO interface_versions (target_id, group_id, interface_id, kind, interface_type, instance_id, public_ip, description, added_poll_id, added_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const a of moves.closed) close.run(ctx.pollId, ctx.at, ctx.targetId, a.groupId, a.interfaceId);
  for (const a of moves.opened) open.run(ctx.targetId, a.groupId, a.interfaceId, a.kind, a.interfaceType, a.instanceId, a.publicIp, a.description, ctx.pollId, ctx.at);
  sql(db, "UPDATE polls SET interfaces_read = 1 WHERE id = ?").run(ctx.pollId);
}

/** When the target's interfaces were last read, and how many successful polls since; undefined: never. */
export function lastInterfacesRead(db: Database, targetId: number): { at: string; pollsSince: number } | undefined {
  const last = sql(db, "SELECT id, finished_at FROM polls WHERE target_id = ? AND interfaces_read = 1 ORDER BY id DESC LIMIT 1").get(targetId) as
    | { id: number; finished_at: string }
    | undefined;
  if (!last) return undefined;
  // A run row stands for poll_count polls, and its interfaces_read is its last poll's (poll-runs.ts).
  const since = sql(db, "SELECT coalesce(sum(poll_count), 0) AS n FROM polls WHERE target_id = ? AND status = 'ok' AND id > ?").get(targetId, last.id) as { n: number };
  return { at: last.finished_at, pollsSince: since.n };
}

/** Whether this poll should read interfaces: every Nth successful poll (0: never), and always when never read. */
export function shouldReadInterfaces(db: Database, targetId: number, every: number): boolean {
  if (every <= 0) return false;
  // Every poll reads them (the default): nothing to look up.
  if (every === 1) return true;
  const last = lastInterfacesRead(db, targetId);
  return last === undefined || last.pollsSince + 1 >= every;
}
