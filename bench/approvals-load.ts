// How long and how much memory loading approval files takes: N records in one
// file, or spread over files of a given size. A one-off measurement, run in a
// fresh process so peak RSS is this load's alone:
//   node dist/bench/approvals-load.js --records 30000 [--per-file 30000]
// Prints one JSON line: records, files, records loaded, problems, ms, peak RSS.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadApprovalsDir } from "../src/approvals/load.js";
import { DEFAULT_MAX_WINDOW_MS } from "../src/approvals/schema.js";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name}: expected a positive integer`);
  return v;
}

function record(i: number): string {
  return [
    `  - id: CHG-${i}`,
    `    reason: open HTTPS for service ${i}`,
    `    approvedBy: alice@example.com`,
    `    window: {from: 2026-12-01T18:00Z, until: 2026-12-02T18:00Z}`,
    `    groupName: web-${i % 500}`,
    `    changes:`,
    `      - {action: add, protocol: tcp, ports: 443, source: 10.${i % 256}.0.0/16}`,
  ].join("\n");
}

const records = arg("records", 30_000);
const perFile = arg("per-file", records);
const dir = mkdtempSync(path.join(os.tmpdir(), "sgwatch-approvals-bench-"));
try {
  let files = 0;
  for (let start = 0; start < records; start += perFile) {
    const body = Array.from({ length: Math.min(perFile, records - start) }, (_, k) => record(start + k)).join("\n");
    writeFileSync(path.join(dir, `f${String(files++).padStart(5, "0")}.yaml`), `approvals:\n${body}\n`);
  }
  const rssBefore = process.resourceUsage().maxRSS;
  const started = process.hrtime.bigint();
  const r = loadApprovalsDir(dir, { maxWindowMs: DEFAULT_MAX_WINDOW_MS });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(
    JSON.stringify({
      records,
      files,
      loaded: r.records.length,
      problems: r.problems.length,
      firstProblem: r.problems[0]?.message,
      ms: Math.round(ms),
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      rssBeforeMB: Math.round(rssBefore / 1024),
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
