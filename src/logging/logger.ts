// The logger is created once by the entry point and passed down; components
// narrow it with logger.child({ module }). JSON lines on stdout, or
// human-readable when stdout is a terminal. Secrets are redacted by key.
import pino, { type Logger, type DestinationStream } from "pino";

/** Keys whose values never reach the log, wherever they appear. */
export const REDACT_PATHS = [
  "password",
  "pass",
  "secret",
  "secretAccessKey",
  "sessionToken",
  "authorization",
  "*.password",
  "*.pass",
  "*.secret",
  "*.secretAccessKey",
  "*.sessionToken",
  "*.authorization",
  "*.*.password",
  "*.*.pass",
  "*.*.secretAccessKey",
  "auth.pass",
  "config.alerts.email.password",
];

/** Logger options. */
export interface LoggerOptions {
  /** pino level. */
  level: string;
  /** Pretty output for people (default: when stdout is a TTY). */
  pretty?: boolean;
  /** Write somewhere else than stdout (tests). */
  destination?: DestinationStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  const base = {
    level: opts.level,
    base: { app: "sgwatch" },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (opts.destination) return pino(base, opts.destination);
  const pretty = opts.pretty ?? process.stdout.isTTY === true;
  if (pretty) {
    return pino({
      ...base,
      transport: { target: "pino-pretty", options: { colorize: process.stdout.isTTY === true, translateTime: "UTC:yyyy-mm-dd'T'HH:MM:ss'Z'", ignore: "pid,hostname,app" } },
    });
  }
  return pino(base);
}
