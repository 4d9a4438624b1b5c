// A real pino logger (sgwatch's own createLogger) writing JSON lines into
// memory, so tests read exactly what the log channel would ship.
import type { Logger } from "pino";
import { createLogger } from "../../src/logging/logger.js";

/** One parsed log line. */
export type LogLine = Record<string, unknown> & { level: string; msg?: string; event?: string };

/** A logger and what it wrote. */
export interface CapturedLog {
  readonly logger: Logger;
  /** Every line written so far, parsed. */
  lines(): LogLine[];
  /** Lines whose `event` field is `event`. */
  events(event: string): LogLine[];
  /** Forget what was written (to look at one step at a time). */
  clear(): void;
}

export function captureLog(level = "debug"): CapturedLog {
  let raw: string[] = [];
  const logger = createLogger({ level, destination: { write: (s: string) => void raw.push(s) } });
  const lines = (): LogLine[] => raw.flatMap((chunk) => chunk.split("\n").filter(Boolean)).map((l) => JSON.parse(l) as LogLine);
  return {
    logger,
    lines,
    events: (event) => lines().filter((l) => l.event === event),
    clear: () => {
      raw = [];
    },
  };
}
