// Aligned text tables for the terminal. Every cell goes through the one
// output sanitiser, so a value from the API, a file or the database can
// neither reach the terminal raw nor break the table with a line break.
import { oneLine } from "../util/printable.js";

/** Render rows as aligned columns with a header line; each cell is made printable and capped. */
export function formatTable(headers: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? "-" : oneLine(String(c)))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ").trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n") + "\n";
}
