// What kind of database failure stopped a write, as a short reason code for
// logs, metrics and health. A cycle that cannot record is not "fine but
// quiet": each of these counts against health like a failed poll.
import { errorMessage } from "../util/errors.js";

/** Why a cycle or poll could not be recorded. */
export type DbFailureReason = "db-locked" | "db-full" | "db-readonly";

/** Every reason a cycle can fail for, with `crash` for anything unexpected. */
export type CycleFailureReason = DbFailureReason | "crash";

/** All reasons, for zero-valued metric series. */
export const CYCLE_FAILURE_REASONS: readonly CycleFailureReason[] = ["db-locked", "db-full", "db-readonly", "crash"];

/** better-sqlite3's SqliteError carries SQLite's extended code (SQLITE_BUSY_SNAPSHOT…). */
function sqliteCode(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("SQLITE_") ? code : null;
}

/** The reason code of a database failure, or null when `err` is not one of these. */
export function dbFailureReason(err: unknown): DbFailureReason | null {
  const code = sqliteCode(err);
  if (code === null) return null;
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) return "db-locked";
  if (code === "SQLITE_FULL" || code === "SQLITE_IOERR_WRITE" || code === "SQLITE_IOERR_FSYNC") return "db-full";
  if (code.startsWith("SQLITE_READONLY") || code === "SQLITE_CANTOPEN") return "db-readonly";
  return null;
}

/** A failure's reason and message, for one log line without a stack. */
export function cycleFailure(err: unknown): { reason: CycleFailureReason; message: string } {
  return { reason: dbFailureReason(err) ?? "crash", message: errorMessage(err) };
}
