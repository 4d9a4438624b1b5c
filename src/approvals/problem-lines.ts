// Approval-file problems as lines for people (check-config, poll, approve,
// the approvals-invalid alert). A file of binary junk yields hundreds of YAML
// errors quoting its bytes: each line goes through the output sanitiser, and
// each file shows its first problems followed by "and N more", so one bad
// file cannot bury the others or flood a terminal or an inbox.
import { oneLine } from "../util/printable.js";

/** Problems shown per file before the rest are counted. */
export const PROBLEMS_SHOWN_PER_FILE = 20;

/** Longest line shown for one problem. */
const LINE_MAX = 600;

/**
 * One printable line per problem (as `line` words it), at most `max` per file,
 * with "file: and N more problems" after a file's last shown line.
 */
export function problemLines<T extends { file: string }>(problems: readonly T[], line: (p: T) => string, max = PROBLEMS_SHOWN_PER_FILE): string[] {
  const total = new Map<string, number>();
  for (const p of problems) total.set(p.file, (total.get(p.file) ?? 0) + 1);
  const shown = new Map<string, number>();
  const out: string[] = [];
  for (const p of problems) {
    const n = shown.get(p.file) ?? 0;
    if (n >= max) continue;
    shown.set(p.file, n + 1);
    out.push(oneLine(line(p), LINE_MAX));
    const rest = (total.get(p.file) ?? 0) - max;
    if (n + 1 === max && rest > 0) out.push(`${oneLine(p.file)}: and ${rest} more problem${rest === 1 ? "" : "s"}`);
  }
  return out;
}
