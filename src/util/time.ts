// Time helpers. Every timestamp sgwatch stores or prints is ISO-8601 UTC text
// ("2026-11-28T09:30:00.000Z") so the sqlite3 shell shows it readably and text
// order equals time order.

/** A source of the current time; injected so tests can fake it. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/** ISO-8601 UTC text of a date. */
export function iso(d: Date): string {
  return d.toISOString();
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/** Parse a duration like "30s", "15m", "24h", "7d", "1h30m". Returns null when malformed. */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === "") return null;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = re.exec(trimmed)) !== null) {
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ""] ?? 0);
    consumed = re.lastIndex;
  }
  return consumed === trimmed.length ? total : null;
}

/**
 * Parse a point in time given as ISO-8601 ("2026-12-01T18:00Z", "2026-12-01")
 * or relative to now ("2h", "7d" meaning that long ago). Returns null when malformed.
 */
export function parseTimeArg(text: string, now: Date): Date | null {
  const rel = parseDuration(text);
  if (rel !== null) return new Date(now.getTime() - rel);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return null;
  // A bare date or a time without zone is read as UTC: ops tooling prints UTC.
  const withZone = /(Z|[+-]\d{2}:?\d{2})$/.test(text) || !text.includes("T") ? text : `${text}Z`;
  const d = new Date(withZone.length === 10 ? `${withZone}T00:00:00Z` : withZone);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "2 h 13 min", "45 s", "3 d 4 h": a human duration for alerts and the CLI. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}
