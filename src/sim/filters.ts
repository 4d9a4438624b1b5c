// EC2 filter semantics: values within one filter are ORed, filters are ANDed,
// and values may use `*` and `?` wildcards (escaped with a backslash).

import { errors } from "./errors.js";
import type { Filter } from "./query-params.js";
import type { SimTag } from "./types.js";

/** True when `value` matches the EC2 wildcard `pattern`. */
export function matchesWildcard(value: string, pattern: string): boolean {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "\\" && i + 1 < pattern.length) {
      re += escapeRegex(pattern[++i] as string);
    } else if (c === "*") re += ".*";
    else if (c === "?") re += ".";
    else re += escapeRegex(c);
  }
  return new RegExp(`^${re}$`, "s").test(value);
}

function escapeRegex(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** Reads the values a filter compares for one item; undefined means the filter name is unknown. */
export type FilterField<T> = (item: T, name: string) => readonly string[] | undefined;

/** Values of the tag filters every taggable resource supports (tag:Key, tag-key, tag-value). */
export function tagFilterValues(tags: readonly SimTag[], name: string): readonly string[] | undefined {
  if (name.startsWith("tag:")) {
    const key = name.slice(4);
    return tags.filter((t) => t.key === key).map((t) => t.value);
  }
  if (name === "tag-key") return tags.map((t) => t.key);
  if (name === "tag-value") return tags.map((t) => t.value);
  return undefined;
}

/** Items matching every filter; InvalidParameterValue for an unknown filter name. */
export function applyFilters<T>(items: readonly T[], filters: readonly Filter[], field: FilterField<T>, known: (name: string) => boolean): T[] {
  for (const f of filters) {
    if (!known(f.name) && !f.name.startsWith("tag:")) throw errors.invalidParameterValue(`The filter '${f.name}' is invalid`);
  }
  if (filters.length === 0) return [...items];
  return items.filter((item) =>
    filters.every((f) => {
      const have = field(item, f.name) ?? [];
      return f.values.some((pattern) => have.some((v) => matchesWildcard(v, pattern)));
    }),
  );
}
