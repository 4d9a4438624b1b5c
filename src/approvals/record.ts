// Validate one raw record (a parsed YAML mapping or a CLI-built object) and
// turn zod's issues into messages that name the field and what was expected.
// Issues keep their path so the file loader can map them back to a line.

import type { z } from "zod";
import { show } from "./fields.js";
import { approvalRecordSchema, type ApprovalOptions, type ApprovalOrigin, type ApprovalRecord } from "./schema.js";

/** One problem with a record, before it is given a file and line. */
export interface RecordIssue {
  /** Path from the record root to the offending key or value. */
  path: (string | number)[];
  /** What is wrong, naming the expectation, without the path. */
  message: string;
}

/** Outcome of validating one record. */
export type RecordResult =
  | { ok: true; record: Omit<ApprovalRecord, "origin"> }
  | { ok: false; issues: RecordIssue[] };

/** "changes[0].source" for ["changes", 0, "source"]. */
export function formatPath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

/** "changes[0].source: message", or just the message for the record itself. */
export function formatIssue(issue: RecordIssue): string {
  return issue.path.length === 0 ? issue.message : `${formatPath(issue.path)}: ${issue.message}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur = root;
  for (const p of path) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

const TYPE_WORDS: Record<string, string> = {
  object: "a mapping",
  record: "a mapping",
  array: "a list",
  boolean: "true or false",
  string: "a string",
  number: "a number",
};

/** Turn zod issues into path + message pairs; `input` supplies the offending values. */
export function describeIssues(zodIssues: readonly z.core.$ZodIssue[], input: unknown): RecordIssue[] {
  const out: RecordIssue[] = [];
  for (const i of zodIssues) {
    const path = i.path.filter((p): p is string | number => typeof p !== "symbol");
    const value = valueAt(input, path);
    switch (i.code) {
      case "unrecognized_keys":
        for (const k of i.keys) out.push({ path: [...path, k], message: "unknown field" });
        break;
      case "invalid_type":
        out.push({
          path,
          message: value === undefined ? "is required" : `expected ${TYPE_WORDS[i.expected] ?? i.expected}, got ${show(value)}`,
        });
        break;
      case "invalid_value":
        out.push({ path, message: `${show(value)} is not one of ${i.values.map(String).join(", ")}` });
        break;
      default:
        out.push({ path, message: i.message });
    }
  }
  return out;
}

/**
 * Schemas by maxWindowMs. Building a zod schema costs far more than using it
 * (zod compiles a fast path per object schema): built per record, 30,000
 * records took over a minute. A memo of a pure function, not shared state.
 */
const schemaByMaxWindow = new Map<number, ReturnType<typeof approvalRecordSchema>>();

function schemaFor(opts: ApprovalOptions): ReturnType<typeof approvalRecordSchema> {
  let schema = schemaByMaxWindow.get(opts.maxWindowMs);
  if (schema === undefined) {
    schema = approvalRecordSchema(opts);
    schemaByMaxWindow.set(opts.maxWindowMs, schema);
  }
  return schema;
}

/** Validate a raw record. `input` must already be plain data (YAML toJS or a CLI-built object). */
export function validateRecord(input: unknown, opts: ApprovalOptions): RecordResult {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return { ok: false, issues: [{ path: [], message: `expected a record (a mapping with id, window, changes…), got ${show(input)}` }] };
  }
  const r = schemaFor(opts).safeParse(input);
  if (r.success) return { ok: true, record: r.data };
  return { ok: false, issues: describeIssues(r.error.issues, input) };
}

/** Validate a record built outside a file (the CLI); errors are "field: message" lines. */
export function parseApprovalRecord(
  input: unknown,
  origin: ApprovalOrigin,
  opts: ApprovalOptions,
): { ok: true; record: ApprovalRecord } | { ok: false; errors: string[] } {
  const r = validateRecord(input, opts);
  if (!r.ok) return { ok: false, errors: r.issues.map(formatIssue) };
  return { ok: true, record: { ...r.record, origin } };
}
