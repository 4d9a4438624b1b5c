// The logger is created once by the entry point and passed down; components
// narrow it with logger.child({ module }). JSON lines on stdout, or
// human-readable when stdout is a terminal. Secrets are redacted by key.
// Every line passes the output sanitiser on its way out (logLineText): values
// from the API or a file (a group name, an approval file's bytes) cannot
// colour, retitle or reorder the terminal that shows the log.
import pino, { type Logger, type DestinationStream } from "pino";
import { logLineText } from "../util/printable.js";

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
    hooks: { streamWrite: logLineText },
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
