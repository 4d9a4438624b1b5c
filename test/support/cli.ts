// Runs the built CLI (node bin/sgwatch.js) as a child process: one-shot runs
// with captured output and exit code, and long-running ones (the daemon)
// whose stdout JSON lines can be awaited.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { MONITOR } from "./sim-harness.js";

/** The repository root (where package.json and bin/ are). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The launcher the package ships. */
export const CLI_BIN = path.join(REPO_ROOT, "bin", "sgwatch.js");

/** Throw a clear error when dist/ is missing (`npm test` builds first). */
export function assertBuilt(): void {
  if (!existsSync(path.join(REPO_ROOT, "dist", "src", "cli", "main.js"))) {
    throw new Error("the CLI is not built: run `npm run build` (npm test does it) before these tests");
  }
}

/** A minimal environment: no AWS profile or config from the host, the monitor's test keys. */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: MONITOR.accessKeyId,
    AWS_SECRET_ACCESS_KEY: MONITOR.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_CONFIG_FILE: "/nonexistent/aws-config",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/aws-credentials",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    ...extra,
  };
}

/** Outcome of a finished CLI run. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** Options of a CLI run. */
export interface CliRunOptions {
  /** Working directory; default the repo root. */
  cwd?: string;
  /** Environment; default cliEnv(). */
  env?: NodeJS.ProcessEnv;
  /** Kill (SIGKILL) and reject after this long; default 45 s. */
  timeoutMs?: number;
}

/** Run `sgwatch ...args` to completion. */
export function runCli(args: string[], opts: CliRunOptions = {}): Promise<CliResult> {
  return startCli(args, opts).exited;
}

/** A CLI process still running. */
export interface CliProcess {
  readonly child: ChildProcess;
  /** stdout lines so far. */
  readonly lines: string[];
  /** stdout lines parsed as JSON (non-JSON lines skipped). */
  json(): Array<Record<string, unknown>>;
  /** Resolve with the first JSON line (at or after index `from`) matching `pred`. */
  waitForJson(pred: (l: Record<string, unknown>) => boolean, timeoutMs?: number, from?: number): Promise<Record<string, unknown>>;
  /** Resolves when the process exits. */
  readonly exited: Promise<CliResult>;
}

export function startCli(args: string[], opts: CliRunOptions = {}): CliProcess {
  assertBuilt();
  const started = Date.now();
  const child = spawn(process.execPath, [CLI_BIN, ...args], { cwd: opts.cwd ?? REPO_ROOT, env: opts.env ?? cliEnv(), stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const lines: string[] = [];
  let partial = "";
  const waiters = new Set<() => void>();
  child.stdout?.setEncoding("utf8").on("data", (s: string) => {
    stdout += s;
    partial += s;
    const parts = partial.split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts);
    for (const w of waiters) w();
  });
  child.stderr?.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  const timeoutMs = opts.timeoutMs ?? 45_000;
  const exited = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`sgwatch ${args.join(" ")} did not finish within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (partial) lines.push(partial);
      for (const w of waiters) w();
      resolve({ code, signal, stdout, stderr, durationMs: Date.now() - started });
    });
  });
  const json = (): Array<Record<string, unknown>> =>
    lines.flatMap((l) => {
      try {
        const v: unknown = JSON.parse(l);
        return typeof v === "object" && v !== null ? [v as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
  let done = false;
  void exited.then(
    () => (done = true),
    () => (done = true),
  );
  const waitForJson = (pred: (l: Record<string, unknown>) => boolean, waitMs = 30_000, from = 0): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const hit = json().slice(from).find(pred);
        if (hit) {
          cleanup();
          resolve(hit);
        } else if (done) {
          cleanup();
          reject(new Error(`process exited before the awaited log line\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no matching log line within ${waitMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
      }, waitMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  return { child, lines, json, waitForJson, exited };
}
