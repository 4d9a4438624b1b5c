// A small parser of the Prometheus text exposition format (version 0.0.4), so
// tests assert on what a scraper would read, not on prom-client's internals.
// It is strict: a line it does not understand throws, naming the line.

/** One sample line. */
export interface PromSample {
  /** The sample's name (for histograms: with _bucket, _sum or _count). */
  name: string;
  /** Its labels. */
  labels: Record<string, string>;
  /** Its value (NaN, +Inf and -Inf included). */
  value: number;
}

/** A metric family's # HELP and # TYPE. */
export interface PromFamily {
  help: string;
  type: string;
}

/** A parsed scrape. */
export interface PromScrape {
  /** Families by name. */
  families: Map<string, PromFamily>;
  /** Every sample, in order. */
  samples: PromSample[];
  /** The value of the one sample with this name whose labels include `labels`; undefined when none; throws when several. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** Every sample with this name whose labels include `labels`. */
  all(name: string, labels?: Record<string, string>): PromSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

function parseValue(text: string, line: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  const n = Number(text);
  if (text === "" || Number.isNaN(n)) throw new Error(`bad sample value "${text}" in: ${line}`);
  return n;
}

/** Parse `{a="x",b="y\"z"}` starting at `i` (at the "{"); returns the labels and the index after "}". */
function parseLabels(line: string, start: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = start + 1;
  for (;;) {
    while (line[i] === " " || line[i] === ",") i++;
    if (line[i] === "}") return { labels, end: i + 1 };
    const name = NAME.exec(line.slice(i))?.[0];
    if (!name) throw new Error(`bad label name at column ${i} in: ${line}`);
    i += name.length;
    if (line[i] !== "=" || line[i + 1] !== '"') throw new Error(`expected ="…" after label ${name} in: ${line}`);
    i += 2;
    let value = "";
    for (;;) {
      const ch = line[i];
      if (ch === undefined) throw new Error(`unterminated label value in: ${line}`);
      if (ch === '"') break;
      if (ch === "\\") {
        const next = line[i + 1];
        value += next === "n" ? "\n" : next === "\\" ? "\\" : next === '"' ? '"' : `\\${next ?? ""}`;
        i += 2;
      } else {
        value += ch;
        i++;
      }
    }
    labels[name] = value;
    i++;
  }
}

const matches = (s: PromSample, name: string, labels: Record<string, string>): boolean =>
  s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v);

export function parsePromText(text: string): PromScrape {
  const families = new Map<string, PromFamily>();
  const samples: PromSample[] = [];
  const family = (name: string): PromFamily => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { help: "", type: "untyped" }));
    return f;
  };
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) ?(.*)$/.exec(line);
      if (!m) continue; // other comments are allowed and meaningless
      const f = family(m[2] as string);
      if (m[1] === "HELP") f.help = (m[3] ?? "").replace(/\\n/g, "\n").replace(/\\\\/g, "\\");
      else f.type = m[3] ?? "";
      continue;
    }
    const name = NAME.exec(line)?.[0];
    if (!name) throw new Error(`bad sample line: ${line}`);
    let i = name.length;
    let labels: Record<string, string> = {};
    if (line[i] === "{") ({ labels, end: i } = parseLabels(line, i));
    const rest = line.slice(i).trim().split(/\s+/);
    if (rest.length < 1 || rest.length > 2) throw new Error(`bad sample line: ${line}`);
    samples.push({ name, labels, value: parseValue(rest[0] ?? "", line) });
  }
  const all = (name: string, labels: Record<string, string> = {}): PromSample[] => samples.filter((s) => matches(s, name, labels));
  return {
    families,
    samples,
    all,
    value(name, labels = {}) {
      const found = all(name, labels);
      if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
      return found[0]?.value;
    },
  };
}
