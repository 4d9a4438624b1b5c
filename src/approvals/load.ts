// Load approval records from a directory of YAML files. Never throws for bad
// input: every problem comes back with its file and line, good records are
// kept beside bad ones, and a missing directory is itself a problem (the
// daemon must keep running and alert, not crash on an operator's typo).

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
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

const SHAPE = "expected a record, a list of records, or a mapping with an approvals: list";

/** Parse one file's records without the duplicate check (the caller decides its scope). */
function parseFile(text: string, file: string, opts: ApprovalOptions): LoadResult {
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
    for (const item of recordNodes(doc, root, data, file, lc, problems)) {
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

/** Load every *.yaml / *.yml file directly in `dir` (sorted by name, dotfiles skipped). */
export function loadApprovalsDir(dir: string, opts: ApprovalOptions): LoadResult {
  let names: string[];
  try {
    names = readdirSync(dir).filter(isApprovalFile).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message =
      code === "ENOENT"
        ? "approvals directory does not exist"
        : `cannot read approvals directory: ${err instanceof Error ? err.message : String(err)}`;
    return { records: [], problems: [problem(dir, 0, message)] };
  }
  const all: LoadResult = { records: [], problems: [] };
  for (const name of names) {
    const file = join(dir, name);
    let text: string;
    try {
      // statSync follows symlinks, so a linked file counts and a directory named x.yaml does not.
      if (!statSync(file).isFile()) continue;
      text = readFileSync(file, "utf8");
    } catch (err) {
      all.problems.push(problem(file, 0, `cannot read file: ${err instanceof Error ? err.message : String(err)}`));
      continue;
    }
    const r = parseFile(text, file, opts);
    all.records.push(...r.records);
    all.problems.push(...r.problems);
  }
  return rejectDuplicates(all);
}
