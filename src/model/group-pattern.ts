// Group name patterns and tag conditions, shared by alert routes and the
// ignore list: a pattern is a glob ("eks-*", "k8s-??-elb") or, between
// slashes, a regular expression ("/^k8s-elb-[0-9a-f]+$/"). Pure.

/** A compiled name pattern: what was written, and its test. */
export interface NamePattern {
  /** The pattern as written in the config. */
  source: string;
  /** Whether a group name matches it (whole name for globs; a regex may match a part unless anchored). */
  test(name: string): boolean;
}

/** Why a pattern cannot be used, or null when it can. */
export function namePatternProblem(source: string): string | null {
  if (source.length === 0) return "expected a glob like \"eks-*\" or a /regular expression/, got an empty string";
  if (isRegex(source)) {
    try {
      new RegExp(source.slice(1, -1));
    } catch (err) {
      return `is not a valid regular expression: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  return null;
}

function isRegex(source: string): boolean {
  return source.length >= 2 && source.startsWith("/") && source.endsWith("/");
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`, "s");
}

/** Compile a pattern checked by namePatternProblem. */
export function compileNamePattern(source: string): NamePattern {
  const re = isRegex(source) ? new RegExp(source.slice(1, -1)) : globToRegExp(source);
  return { source, test: (name) => re.test(name) };
}

/** Tag conditions: each key must be present; "*" accepts any value, anything else must be equal. */
export type TagConditions = Record<string, string>;

/** Whether a group's tags meet every condition. */
export function tagsMatch(conditions: TagConditions, tags: Readonly<Record<string, string>>): boolean {
  for (const [key, want] of Object.entries(conditions)) {
    const have = tags[key];
    if (have === undefined) return false;
    if (want !== "*" && have !== want) return false;
  }
  return true;
}

/** "team=payments, Owner present", for tables people read. */
export function tagConditionsText(conditions: TagConditions): string {
  return Object.entries(conditions)
    .map(([k, v]) => (v === "*" ? `tag ${k} present` : `tag ${k}=${v}`))
    .join(", ");
}

/**
 * Whether an approval's groupName is a pattern rather than an exact name: a
 * /regular expression/, or a glob with * or ? (AWS group names may not
 * contain ?, and * in a real name is rare enough to read as a glob).
 */
export function isNamePattern(source: string): boolean {
  return isRegex(source) || /[*?]/.test(source);
}

// Compiled patterns by source: approvals are matched for every change against
// every record, and a handful of patterns would otherwise be compiled each time.
const compiled = new Map<string, NamePattern>();

/** Whether a group name is selected by an exact name or a pattern (see isNamePattern). */
export function nameSelects(selector: string, name: string): boolean {
  if (!isNamePattern(selector)) return selector === name;
  if (namePatternProblem(selector) !== null) return false;
  let p = compiled.get(selector);
  if (!p) {
    if (compiled.size > 10_000) compiled.clear();
    p = compileNamePattern(selector);
    compiled.set(selector, p);
  }
  return p.test(name);
}

/** Whether a tag value is selected: equal, or any value for "*". */
export function tagValueSelects(want: string, have: string | undefined): boolean {
  return have !== undefined && (want === "*" || want === have);
}
