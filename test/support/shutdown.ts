// The daemon's shutdown promise (exit 0 within 10 s of SIGTERM), checked by
// the order of its own log events instead of a stopwatch: the shutdown line
// names the deadline the daemon set itself (src/daemon/daemon.ts,
// SHUTDOWN_TIMES), and a process that reached that deadline logs
// shutdown-timeout before exiting. So a clean exit with no shutdown-timeout
// line left before its deadline fired, whatever the machine's load.
import { expect } from "vitest";
import type { CliResult } from "./cli.js";

/** The promise the daemon makes (docs: "exit 0 within 10 s"). */
export const SHUTDOWN_PROMISE_MS = 10_000;

/** Asserts a `sgwatch run` stopped on its own, before its shutdown deadline, which is within the promise; returns the shutdown line. */
export function expectStoppedBeforeDeadline(lines: Array<Record<string, unknown>>, exit: CliResult, reason: string): Record<string, unknown> {
  expect(exit.code, exit.stderr).toBe(0);
  const shutdown = lines.find((l) => l.event === "shutdown");
  expect(shutdown, "a shutdown line").toMatchObject({ reason });
  expect(Number(shutdown?.deadlineMs)).toBeLessThanOrEqual(SHUTDOWN_PROMISE_MS);
  expect(lines.filter((l) => l.event === "shutdown-timeout"), "the deadline never fired").toEqual([]);
  return shutdown as Record<string, unknown>;
}
