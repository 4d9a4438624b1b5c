// Small statistics and formatting helpers for the benchmark's figures.

/** Median; NaN for no samples (printed as "n/a"). */
export function median(xs: readonly number[]): number {
  return percentile(xs, 0.5);
}

/** Nearest-rank percentile, q in [0, 1]; NaN for no samples. */
export function percentile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  if (q === 0.5 && sorted.length % 2 === 0) return ((sorted[sorted.length / 2 - 1] as number) + (sorted[sorted.length / 2] as number)) / 2;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

// NaN crosses IPC as null; both print as "n/a".
export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return "n/a";
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 10 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(2)} ms`;
}

export function fmtBytes(b: number): string {
  if (!Number.isFinite(b)) return "n/a";
  const abs = Math.abs(b);
  if (abs >= 1024 * 1024) return `${(b / 1024 / 1024).toFixed(1)} MB`;
  if (abs >= 1024) return `${(b / 1024).toFixed(1)} KB`;
  return `${b.toFixed(0)} B`;
}

export function fmtRatio(r: number): string {
  return !Number.isFinite(r) ? "n/a" : `${r.toFixed(2)}×`;
}

/** Minutes and seconds, for simulated lags ("9 min 59 s"). */
export function fmtMinutes(ms: number): string {
  if (!Number.isFinite(ms)) return "n/a";
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ""}`;
}
