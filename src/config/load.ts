// Reads the config file, applies environment overrides, validates it and
// reports every problem at once, each naming its key path and line.
import { readFileSync } from "node:fs";
import path from "node:path";
import { LineCounter, parseDocument, isMap, isSeq, visit, type Node } from "yaml";
import type { z } from "zod";
import { configSchema, type Config } from "./schema.js";
import { UserError, EXIT, errorMessage } from "../util/errors.js";

/** Where the config path comes from when --config is not given. */
export const CONFIG_ENV = "SGWATCH_CONFIG";

/** Environment variables that override single keys (handy in containers). */
const ENV_OVERRIDES: Array<{ env: string; key: string[]; parse: (v: string) => unknown }> = [
  { env: "SGWATCH_DATABASE", key: ["database"], parse: (v) => v },
  { env: "SGWATCH_SCHEDULE", key: ["schedule"], parse: (v) => v },
  { env: "SGWATCH_LOG_LEVEL", key: ["log", "level"], parse: (v) => v },
  { env: "SGWATCH_APPROVALS_DIR", key: ["approvals", "dir"], parse: (v) => v },
];

/** A config problem: the key path, the line when known, and what was expected. */
export interface ConfigProblem {
  /** Dotted key path, e.g. targets[0].regions[1]. */
  key: string;
  /** 1-based line in the file, when the key exists there. */
  line: number | null;
  /** What is wrong. */
  message: string;
  /** The environment variable the value came from, when an override set it (then the file's line is beside the point). */
  env?: string;
}

/** One problem as a person reads it: where it comes from (line or variable), the key, what is wrong. */
export function formatConfigProblem(p: ConfigProblem): string {
  if (p.env) return `environment variable ${p.env} (sets ${p.key}): ${p.message}`;
  return `${p.line ? `line ${p.line}: ` : ""}${p.key || "(top level)"}: ${p.message}`;
}

/** Thrown when the file cannot be used; carries every problem found. */
export class ConfigError extends UserError {
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
  ) {
    super(
      `${file}: ${problems.length} problem${problems.length === 1 ? "" : "s"} in the configuration:\n` +
        problems.map((p) => `  ${formatConfigProblem(p)}`).join("\n"),
      EXIT.usage,
    );
    this.name = "ConfigError";
  }
}

/** The resolved config file path: --config, then $SGWATCH_CONFIG, then ./config.yaml. */
export function resolveConfigPath(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return path.resolve(flag ?? env[CONFIG_ENV] ?? "config.yaml");
}

function formatPath(p: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const part of p) out += typeof part === "number" ? `[${part}]` : out ? `.${String(part)}` : String(part);
  return out;
}

/** Find the YAML node at a key path, to report its line. */
function nodeAt(root: Node | null, p: ReadonlyArray<PropertyKey>): Node | null {
  let node: Node | null = root;
  for (const part of p) {
    if (isMap(node)) {
      const pair = node.items.find((it) => String((it.key as { value?: unknown } | null)?.value) === String(part));
      if (!pair) return node;
      node = (pair.value as Node | null) ?? (pair.key as Node);
    } else if (isSeq(node) && typeof part === "number") {
      const item = node.items[part] as Node | undefined;
      if (!item) return node;
      node = item;
    } else return node;
  }
  return node;
}

/** The key node (not the value) at a path, for reporting the line of a key itself. */
function keyNodeAt(root: Node | null, p: ReadonlyArray<PropertyKey>): Node | null {
  const parent = nodeAt(root, p.slice(0, -1));
  if (!isMap(parent)) return parent;
  const pair = parent.items.find((it) => String((it.key as { value?: unknown } | null)?.value) === String(p[p.length - 1]));
  return (pair?.key as Node | undefined) ?? parent;
}

function setPath(obj: Record<string, unknown>, key: string[], value: unknown): void {
  let cur = obj;
  for (const k of key.slice(0, -1)) {
    const next = cur[k];
    if (typeof next !== "object" || next === null || Array.isArray(next)) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[key[key.length - 1] as string] = value;
}

/**
 * Parse and validate config text. Relative paths in the file (database,
 * approvals.dir) are resolved against the file's directory, so the daemon's
 * working directory does not matter.
 */
export function parseConfigText(text: string, file: string, env: NodeJS.ProcessEnv = {}): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({ key: "", line: e.linePos?.[0]?.line ?? lineCounter.linePos(e.pos[0]).line, message: `YAML syntax: ${e.message.split("\n")[0]}` })),
    );
  }
  let raw: unknown;
  try {
    // yaml refuses documents whose aliases would expand without bound (a
    // "billion laughs" file); that is a bad config, not an internal error.
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
  } catch (err) {
    throw new ConfigError(file, [{ key: "", line: firstAliasLine(doc, lineCounter), message: `cannot read YAML: ${errorMessage(err)}` }]);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ConfigError(file, [{ key: "", line: 1, message: "expected a mapping of keys (see config.example.yaml)" }]);
  }
  const data = raw as Record<string, unknown>;
  // Which key each set override replaced, so a bad value blames the variable, not a line of the file.
  const overridden = new Map<string, string>();
  for (const o of ENV_OVERRIDES) {
    const v = env[o.env];
    if (v !== undefined && v !== "") {
      setPath(data, o.key, o.parse(v));
      overridden.set(o.key.join("."), o.env);
    }
  }
  const result = configSchema.safeParse(data);
  if (!result.success) {
    const problems = issuesToProblems(result.error.issues, doc.contents as Node | null, lineCounter).map((p) => {
      const envName = overridden.get(p.key);
      return envName ? { key: p.key, line: null, message: p.message, env: envName } : p;
    });
    throw new ConfigError(file, problems);
  }
  const config = result.data;
  const base = path.dirname(file);
  config.database = path.resolve(base, config.database);
  config.approvals.dir = path.resolve(base, config.approvals.dir);
  return config;
}

/**
 * Aliases one document may expand. yaml's own default (100) already stops a
 * "billion laughs" file; it is named here so the bound is a decision, not an accident.
 */
const MAX_ALIAS_COUNT = 100;

/** The line of the document's first alias (where an alias bomb starts), else 1. */
function firstAliasLine(doc: ReturnType<typeof parseDocument>, lc: LineCounter): number {
  let line = 1;
  visit(doc, {
    Alias(_key, node) {
      const offset = node.range?.[0];
      if (offset !== undefined) line = lc.linePos(offset).line;
      return visit.BREAK;
    },
  });
  return line;
}

function issuesToProblems(issues: z.core.$ZodIssue[], root: Node | null, lc: LineCounter): ConfigProblem[] {
  return issues.flatMap((issue): ConfigProblem[] => {
    // An unknown key is reported where it is written, once per key, not at its parent.
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((k) => {
        const keyPath = [...issue.path, k];
        const node = keyNodeAt(root, keyPath);
        const offset = node?.range?.[0];
        return { key: formatPath(keyPath), line: offset === undefined ? null : lc.linePos(offset).line, message: `unknown key "${String(k)}" (config.example.yaml lists every key)` };
      });
    }
    const node = nodeAt(root, issue.path);
    const offset = node?.range?.[0];
    let message = issue.message;
    if (issue.code === "invalid_type" && /received undefined/.test(issue.message)) message = `is required (${issue.expected})`;
    return [{ key: formatPath(issue.path), line: offset === undefined ? null : lc.linePos(offset).line, message }];
  });
}

/** Read, validate and return the config at `file`. Throws ConfigError / UserError. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UserError(`cannot read config file ${file}: ${errorMessage(err)} (set --config or ${CONFIG_ENV})`, EXIT.usage, { cause: err });
  }
  return parseConfigText(text, file, env);
}
