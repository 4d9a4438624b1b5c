// Load approval records from a directory of YAML files. Never throws for bad
// input: every problem comes back with its file and line, good records are
// kept beside bad ones, and a missing directory is itself a problem (the
// daemon must keep running and alert, not crash on an operator's typo).
//
// Files are read only when they are regular files inside the directory: a
// symlink out of it (to /etc/shadow, say) is refused unread, so its content
// can never come back inside a problem message that is sent as an alert.
// Size, record and problem counts are bounded, so a huge or hostile file
// costs a bounded time and memory at every cycle.

import { closeSync, constants, fstatSync, openSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { join, sep } from "node:path";
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, visit, type Document } from "yaml";
import { formatIssue, parseApprovalRecord, validateRecord } from "./record.js";
import type { ApprovalOptions, ApprovalRecord } from "./schema.js";
import { lineOfPath, nodeLine } from "./yaml-lines.js";

export { parseApprovalRecord };

/** A problem found while loading approvals. */
export interface ApprovalProblem {
  /** File (or directory) concerned, as the loader was given it. */
  file: string;
  /** 1-based line; 0 when the problem is with the file or directory as a whole. */
  line: number;
  /** What is wrong, naming the field and what was expected (without file:line). */
  message: string;
  /** Stable identity of this distinct problem, printable as is: "file:line: message". */
  key: string;
  /** Set on the one problem that stands for those a capped file did not list: how many. */
  omitted?: number;
}

/** Records that validated, and every problem found. */
export interface LoadResult {
  /** Valid records, in file then document order. */
  records: ApprovalRecord[];
  /** Problems, ordered by file then line. */
  problems: ApprovalProblem[];
}

function problem(file: string, line: number, message: string): ApprovalProblem {
  return { file, line, message, key: `${file}:${line}: ${message}` };
}

/** "file:line: message", the form to show a person. */
export function formatProblem(p: ApprovalProblem): string {
  return p.key;
}

/** Bounds on what one load reads (see docs/approvals.md, "Limits"). */
export interface LoadLimits {
  /** Largest file read, in bytes; a larger file is a problem and is not read. */
  maxFileBytes: number;
  /** Most records one file may hold; a file with more is a problem and none of its records load. */
  maxRecordsPerFile: number;
  /** Most records in the whole directory; files after the one that reaches it are not read. */
  maxRecordsTotal: number;
  /** Most problems reported per file; the rest are summed up in one "and N more" problem. */
  maxProblemsPerFile: number;
}

/**
 * Measured (bench/approvals-load.ts): parsing costs about 0.7 ms and, while a
 * file is parsed, about 25 KB of memory per record. These bounds keep a load
 * under about 10 s and a file under about 100 MB at their worst.
 */
export const DEFAULT_LOAD_LIMITS: LoadLimits = {
  maxFileBytes: 1024 * 1024,
  maxRecordsPerFile: 1000,
  maxRecordsTotal: 10_000,
  maxProblemsPerFile: 20,
};

/** Loader options: the record options and, optionally, other limits. */
export interface LoadOptions extends ApprovalOptions {
  /** Overrides of DEFAULT_LOAD_LIMITS. */
  limits?: Partial<LoadLimits>;
}

const SHAPE = "expected a record, a list of records, or a mapping with an approvals: list";

/** Parse one file's records without the duplicate check (the caller decides its scope). */
function parseFile(text: string, file: string, opts: ApprovalOptions, maxRecords = Infinity): LoadResult {
  let counted = 0;
  const lc = new LineCounter();
  const records: ApprovalRecord[] = [];
  const problems: ApprovalProblem[] = [];
  const docs = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false });
  // An error "at" the end of input (an unclosed bracket) would point past the
  // last line; the last line with text is where the reader should look.
  const lastLine = text.trimEnd().split("\n").length;
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      // A document with syntax errors is skipped whole: its structure cannot be trusted.
      for (const e of doc.errors) problems.push(problem(file, Math.min(lastLine, Math.max(1, lc.linePos(e.pos[0]).line)), `YAML syntax error: ${e.message}`));
      continue;
    }
    const root = doc.contents;
    // A document of only comments (or `---` at the end) holds nothing.
    if (root === null || (isScalar(root) && root.value === null)) continue;
    // The parser accepts `*name` without its anchor; toJS would then throw for
    // the whole document, so report each such alias on its own line first.
    const unresolved: number[] = [];
    visit(doc, {
      Alias(_key, node) {
        if (node.resolve(doc) === undefined) unresolved.push(nodeLine(node, lc) ?? 1);
      },
    });
    if (unresolved.length > 0) {
      for (const line of unresolved) problems.push(problem(file, line, "YAML syntax error: alias refers to no anchor"));
      continue;
    }
    let data: unknown;
    try {
      data = doc.toJS();
    } catch (err) {
      problems.push(problem(file, nodeLine(root, lc) ?? 1, `cannot read YAML: ${err instanceof Error ? err.message : String(err)}`));
      continue;
    }
    const items = recordNodes(doc, root, data, file, lc, problems);
    counted += items.length;
    if (counted > maxRecords) {
      // Refused whole: loading the first N would approve some changes and not
      // others for a reason nobody reads in the file.
      return { records: [], problems: [problem(file, 0, `holds more than ${maxRecords} records, the limit per file; split it into several files (none of its records were loaded)`)] };
    }
    for (const item of items) {
      const r = validateRecord(item.data, opts);
      if (r.ok) {
        records.push({ ...r.record, origin: { kind: "file", file, line: nodeLine(item.node, lc) ?? 1 } });
      } else {
        for (const issue of r.issues) problems.push(problem(file, lineOfPath(doc, item.node, issue.path, lc), formatIssue(issue)));
      }
    }
  }
  return { records, problems };
}

/** The records a document holds: itself, its list items, or its approvals: list. */
function recordNodes(
  doc: Document,
  root: unknown,
  data: unknown,
  file: string,
  lc: LineCounter,
  problems: ApprovalProblem[],
): { node: unknown; data: unknown }[] {
  const list = (seq: unknown, values: unknown) =>
    isSeq(seq) && Array.isArray(values) ? seq.items.map((node, i) => ({ node, data: values[i] })) : [];
  if (isSeq(root)) return list(root, data);
  if (isMap(root) && root.items.some((p) => isScalar(p.key) && p.key.value === "approvals")) {
    const obj = data as Record<string, unknown>;
    for (const p of root.items) {
      if (isScalar(p.key) && p.key.value !== "approvals") {
        problems.push(problem(file, nodeLine(p.key, lc) ?? 1, `${String(p.key.value)}: unknown field beside approvals:`));
      }
    }
    const seq = root.items.find((p) => isScalar(p.key) && p.key.value === "approvals")?.value;
    if (!isSeq(seq)) {
      problems.push(problem(file, lineOfPath(doc, root, ["approvals"], lc), "approvals: expected a list of records"));
      return [];
    }
    return list(seq, obj.approvals);
  }
  if (isMap(root)) return [{ node: root, data }];
  problems.push(problem(file, nodeLine(root, lc) ?? 1, SHAPE));
  return [];
}

/** Drop later records whose id was already seen; each drop is a problem naming both places. */
function rejectDuplicates(result: LoadResult): LoadResult {
  const seen = new Map<string, ApprovalRecord>();
  const records: ApprovalRecord[] = [];
  const problems = [...result.problems];
  for (const r of result.records) {
    const first = seen.get(r.id);
    if (first === undefined) {
      seen.set(r.id, r);
      records.push(r);
      continue;
    }
    const where = (rec: ApprovalRecord) => (rec.origin.kind === "file" ? `${rec.origin.file}:${rec.origin.line}` : "the command line");
    const line = r.origin.kind === "file" ? r.origin.line : 0;
    const file = r.origin.kind === "file" ? r.origin.file : "";
    problems.push(problem(file, line, `id: "${r.id}" is already defined at ${where(first)}; this record is ignored`));
  }
  return { records, problems: sortProblems(problems) };
}

function sortProblems(ps: ApprovalProblem[]): ApprovalProblem[] {
  // Stable sort: problems on the same line keep the order they were found in.
  return ps.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
}

/** Parse the text of one approvals file (one record, a list, an approvals: list, or several documents). */
export function parseApprovalsText(text: string, fileName: string, opts: ApprovalOptions): LoadResult {
  return rejectDuplicates(parseFile(text, fileName, opts));
}

const isApprovalFile = (name: string) => !name.startsWith(".") && /\.ya?ml$/i.test(name);

/** Keep the first problems of a file and sum up the rest, so one bad file cannot flood an alert. */
function capProblems(problems: ApprovalProblem[], file: string, max: number): ApprovalProblem[] {
  if (problems.length <= max) return problems;
  const shown = sortProblems([...problems]).slice(0, max);
  // On the last shown problem's line, so that sorting by line keeps it last.
  const line = shown[shown.length - 1]?.line ?? 0;
  const omitted = problems.length - max;
  const message = `and ${omitted} more problems in this file (fix the ones above first)`;
  return [...shown, { file, line, message, key: `${file}: ${message}`, omitted }];
}

/**
 * The text of one approvals file, or why it is not read. Only a regular file
 * whose real path is inside the directory's real path is opened (a symlink
 * within the directory, as Kubernetes ConfigMap volumes make, is fine), and
 * opened without following a link or blocking on a FIFO; its size is checked
 * on the open file before anything is read.
 */
function readApprovalFile(file: string, realDir: string, maxBytes: number): { text: string } | { problem: string } | { skip: true } {
  let real: string;
  try {
    real = realpathSync(file);
  } catch (err) {
    return { problem: `cannot read file: ${errorText(err)}` };
  }
  if (!real.startsWith(realDir + sep)) return { problem: "is a link to a file outside the approvals directory; not read (approval files must be regular files inside it)" };
  let fd: number;
  try {
    fd = openSync(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    return { problem: `cannot read file: ${errorText(err)}` };
  }
  try {
    const st = fstatSync(fd);
    // A directory named x.yaml is not an approvals file; a FIFO or device is not a file at all.
    if (st.isDirectory()) return { skip: true };
    if (!st.isFile()) return { problem: "is not a regular file; not read" };
    if (st.size > maxBytes) return { problem: `is ${st.size} bytes, more than the limit of ${maxBytes} per file; split it into several files (not read)` };
    return { text: readFileSync(fd, "utf8") };
  } catch (err) {
    return { problem: `cannot read file: ${errorText(err)}` };
  } finally {
    closeSync(fd);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Load every *.yaml / *.yml file directly in `dir` (sorted by name, dotfiles skipped). */
export function loadApprovalsDir(dir: string, opts: LoadOptions): LoadResult {
  const limits = { ...DEFAULT_LOAD_LIMITS, ...opts.limits };
  let names: string[];
  let realDir: string;
  try {
    names = readdirSync(dir).filter(isApprovalFile).sort();
    realDir = realpathSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message = code === "ENOENT" ? "approvals directory does not exist" : `cannot read approvals directory: ${errorText(err)}`;
    return { records: [], problems: [problem(dir, 0, message)] };
  }
  const all: LoadResult = { records: [], problems: [] };
  for (const [i, name] of names.entries()) {
    const file = join(dir, name);
    if (all.records.length >= limits.maxRecordsTotal) {
      const left = names.length - i;
      all.problems.push(problem(dir, 0, `reached ${limits.maxRecordsTotal} records, the limit for the directory; ${left} file${left === 1 ? "" : "s"} from ${name} on were not read`));
      break;
    }
    const read = readApprovalFile(file, realDir, limits.maxFileBytes);
    if ("skip" in read) continue;
    if ("problem" in read) {
      all.problems.push(problem(file, 0, read.problem));
      continue;
    }
    const r = parseFile(read.text, file, opts, limits.maxRecordsPerFile);
    all.records.push(...r.records);
    all.problems.push(...capProblems(r.problems, file, limits.maxProblemsPerFile));
  }
  return rejectDuplicates(all);
}
