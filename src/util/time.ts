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

/** How a time written without a zone ("2026-12-01T18:00", "2026-12-01") is read. */
export type ZonelessTimes = "utc" | "reject";

/** Why a text is not a time: not ISO-8601 at all, no zone where one is required, or no such date/time (2026-02-30, 24:00). */
export type TimeProblem = "format" | "zone" | "impossible";

/** Outcome of parsing an ISO-8601 time. */
export type ParsedTime = { ok: true; ms: number } | { ok: false; problem: TimeProblem };

// Date, optionally a time (T or a space between), seconds and fraction
// optional, zone optional (Z, +05:30, +0530, +05). A zone without a time
// ("2026-12-01Z") is not ISO-8601 and not accepted.
const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days in a month (1-12) of the proleptic Gregorian calendar ISO-8601 uses. */
function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : (MONTH_DAYS[month - 1] ?? 0);
}

/**
 * The one parser of times people type: CLI flags and approval windows.
 * Every field is range-checked, because Date rolls 2026-02-30 over into March
 * and 24:00 into the next day: a forensic question must get the time asked,
 * or an error, never a neighbour. A time without a zone is UTC, or rejected,
 * as the caller says; never the machine's local zone, which differs between a
 * container and an operator's laptop.
 */
export function parseIsoTime(text: string, zoneless: ZonelessTimes): ParsedTime {
  const m = ISO_RE.exec(text.trim());
  if (!m) return { ok: false, problem: "format" };
  const [, y, mo, d, h = "00", mi = "00", s = "00", frac = "", zone] = m;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    return { ok: false, problem: "impossible" };
  }
  let offsetMin = 0;
  if (zone === undefined) {
    if (zoneless === "reject") return { ok: false, problem: "zone" };
  } else if (zone.toUpperCase() !== "Z") {
    const digits = zone.slice(1).replace(":", "");
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2)) : 0;
    if (oh > 23 || om > 59) return { ok: false, problem: "impossible" };
    offsetMin = (oh * 60 + om) * (zone.startsWith("-") ? -1 : 1);
  }
  const ms = Math.floor(Number(`0.${frac || "0"}`) * 1000);
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999.
  const t = new Date(0);
  t.setUTCFullYear(year, month - 1, day);
  t.setUTCHours(hour, minute, second, ms);
  return { ok: true, ms: t.getTime() - offsetMin * 60_000 };
}

/**
 * Parse a point in time given as ISO-8601 ("2026-12-01T18:00Z", "2026-12-01",
 * "2026-12-01 18:00"; without a zone it is UTC) or relative to now ("2h",
 * "7d" meaning that long ago).
 */
export function parseTimeArg(text: string, now: Date): ParsedTime {
  const rel = parseDuration(text);
  if (rel !== null) return { ok: true, ms: now.getTime() - rel };
  return parseIsoTime(text, "utc");
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
