import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The directory holding sgwatch's package.json. Code runs both from src/ (tests)
 * and from dist/src/ (the built CLI), so files shipped beside the package, like
 * migrations/, are found by walking up rather than by a fixed relative path.
 */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = path.dirname(from);
  for (;;) {
    if (existsSync(path.join(dir, "package.json")) && existsSync(path.join(dir, "migrations"))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the sgwatch package root above ${from}`);
    dir = parent;
  }
}
