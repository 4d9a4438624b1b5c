// The table the benchmark prints and the JSON it writes: every figure with its
// target beside it and PASS/FAIL, measured in the same run.
import { writeFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** One line of the table. */
export interface Row {
  /** e.g. "1. unchanged cycle / raw fetch". */
  figure: string;
  /** The measured value, formatted. */
  measured: string;
  /** The target, formatted; "" for figures shown for context only. */
  target: string;
  /** null for context rows without a target. */
  pass: boolean | null;
  /** The numbers behind it, for results.json. */
  value?: number;
}

export function verdict(pass: boolean | null): string {
  return pass === null ? "info" : pass ? "PASS" : "FAIL";
}

export function renderTable(rows: readonly Row[]): string {
  const header = ["figure", "measured", "target", "result"];
  const cells = rows.map((r) => [r.figure, r.measured, r.target, verdict(r.pass)]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? "").length)));
  const line = (c: string[]): string => c.map((x, i) => x.padEnd(widths[i] ?? 0)).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

/** Where the run happened; ratios travel between machines, times do not. */
export function machine(): Record<string, string | number> {
  const cpus = os.cpus();
  return { cpu: cpus[0]?.model ?? "unknown", cores: cpus.length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` };
}

export function writeResults(file: string, data: unknown): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, JSON.stringify(data, null, 2) + "\n");
}
