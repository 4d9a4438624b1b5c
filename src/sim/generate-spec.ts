// The text form of a generated account, as `sgwatch sim --generate` takes it:
// "groups=2000,rules=20000[,seed=7][,account=…][,region=…]". Parsed here, in
// one pure function, so every bad spec gets one message naming what is wrong.

import type { GenerateOptions } from "./generate.js";

/** Upper bounds: far above any real account, low enough that a typo cannot eat the machine's memory. */
export const GENERATE_LIMITS = { groups: 100_000, rules: 2_000_000 } as const;

/** Seed used when the spec names none, so the same spec gives the same account. */
export const DEFAULT_GENERATE_SEED = 1;

const KEYS = ["groups", "rules", "seed", "account", "region"] as const;
type Key = (typeof KEYS)[number];

/** Parses a spec; throws an Error listing every problem with it. */
export function parseGenerateSpec(spec: string): GenerateOptions {
  const problems: string[] = [];
  const seen = new Map<Key, string>();
  const parts = spec.split(",").map((p) => p.trim());
  if (spec.trim() === "") problems.push("it is empty");
  else {
    for (const part of parts) {
      const eq = part.indexOf("=");
      if (part === "") {
        problems.push("it has an empty item (two commas in a row, or a trailing comma)");
        continue;
      }
      if (eq < 0) {
        problems.push(`"${part}" is not key=value`);
        continue;
      }
      const key = part.slice(0, eq).trim();
      const value = part.slice(eq + 1).trim();
      if (!(KEYS as readonly string[]).includes(key)) {
        problems.push(`unknown key "${key}" (known: ${KEYS.join(", ")})`);
        continue;
      }
      if (seen.has(key as Key)) problems.push(`"${key}" is given twice`);
      seen.set(key as Key, value);
    }
  }
  const whole = (key: "groups" | "rules" | "seed", min: number, max: number): number | undefined => {
    const text = seen.get(key);
    if (text === undefined) return undefined;
    if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
      problems.push(`${key} must be a whole number from ${min} to ${max}, got "${text}"`);
      return undefined;
    }
    return Number(text);
  };
  const groups = whole("groups", 1, GENERATE_LIMITS.groups);
  const rules = whole("rules", 1, GENERATE_LIMITS.rules);
  const seed = whole("seed", 0, 2 ** 31 - 1);
  if (spec.trim() !== "" && !seen.has("groups")) problems.push("groups=N is required");
  // Each group comes with its default egress rule, so fewer rules than groups cannot be built.
  if (groups !== undefined && rules !== undefined && rules < groups) {
    problems.push(`rules (${rules}) must be at least groups (${groups}): every group has its default egress rule`);
  }
  const account = seen.get("account");
  if (account !== undefined && !/^\d{12}$/.test(account)) problems.push(`account must be 12 digits, got "${account}"`);
  const region = seen.get("region");
  if (region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) problems.push(`region must look like us-east-1, got "${region}"`);
  if (problems.length > 0 || groups === undefined) {
    throw new Error(`expected groups=N[,rules=M][,seed=S][,account=ID][,region=R]: ${problems.join("; ")}`);
  }
  return {
    groups,
    // Without rules=, ten per group: the shape of the benchmark's accounts.
    rules: rules ?? groups * 10,
    seed: seed ?? DEFAULT_GENERATE_SEED,
    ...(account === undefined ? {} : { account }),
    ...(region === undefined ? {} : { region }),
  };
}
