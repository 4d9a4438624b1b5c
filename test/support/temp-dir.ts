// A fresh directory under the OS temp dir, removed (with everything in it) by remove().
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** A temporary directory owned by one test. */
export interface TempDir {
  /** Absolute path of the directory. */
  readonly path: string;
  /** Path of a file or directory inside it. */
  join(...parts: string[]): string;
  /** Delete the directory and its contents. */
  remove(): void;
}

export function makeTempDir(prefix = "sgwatch-test-"): TempDir {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return {
    path: dir,
    join: (...parts) => path.join(dir, ...parts),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
