// Map a validation path (["changes", 0, "source"]) back to the line of the
// YAML node it names, so every problem can say file:line. The walk stops at
// the deepest node that exists: a missing key is reported on the line of the
// mapping that should have held it.

import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter } from "yaml";

/** 1-based line of a node's first character, or null when it has no position. */
export function nodeLine(node: unknown, lc: LineCounter): number | null {
  const range = (node as { range?: unknown } | null)?.range;
  if (!Array.isArray(range) || typeof range[0] !== "number") return null;
  // LineCounter says 0 for offsets before its first recorded newline; that is line 1.
  return Math.max(1, lc.linePos(range[0]).line);
}

function keyText(key: unknown): string | null {
  if (isScalar(key)) return String(key.value);
  return null;
}

/** Line of the key or value at `path` under `root` (falls back to the nearest ancestor that exists). */
export function lineOfPath(
  doc: Document,
  root: unknown,
  path: readonly (string | number)[],
  lc: LineCounter,
): number {
  let node: unknown = root;
  let line = nodeLine(root, lc) ?? 1;
  for (const [i, seg] of path.entries()) {
    if (isAlias(node)) node = node.resolve(doc);
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(seg));
      if (!pair) break;
      line = nodeLine(pair.key, lc) ?? line;
      node = pair.value;
      // A scalar value is the thing at fault; for a collection (or an empty
      // value) the key line is the one a reader looks for.
      if (last && isScalar(node) && node.value !== null) line = nodeLine(node, lc) ?? line;
    } else if (isSeq(node) && typeof seg === "number") {
      const item = node.items[seg];
      if (item === undefined) break;
      line = nodeLine(item, lc) ?? line;
      node = item;
    } else {
      break;
    }
  }
  return line;
}
