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
export function problemLines<T extends { file: string; omitted?: number }>(problems: readonly T[], line: (p: T) => string, max = PROBLEMS_SHOWN_PER_FILE): string[] {
  // The loader already caps a file's problems and stands for the rest with one
  // problem carrying `omitted`: count those, never show them as a problem.
  const total = new Map<string, number>();
  for (const p of problems) total.set(p.file, (total.get(p.file) ?? 0) + (p.omitted ?? 1));
  const listed = new Map<string, number>();
  for (const p of problems) if (p.omitted === undefined) listed.set(p.file, (listed.get(p.file) ?? 0) + 1);
  const shown = new Map<string, number>();
  const out: string[] = [];
  for (const p of problems) {
    if (p.omitted !== undefined) continue;
    const n = shown.get(p.file) ?? 0;
    if (n >= max) continue;
    shown.set(p.file, n + 1);
    out.push(oneLine(line(p), LINE_MAX));
    const last = n + 1 === max || n + 1 === listed.get(p.file);
    const rest = (total.get(p.file) ?? 0) - (n + 1);
    if (last && rest > 0) out.push(`${oneLine(p.file)}: and ${rest} more problem${rest === 1 ? "" : "s"}`);
  }
  return out;
}
