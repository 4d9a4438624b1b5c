// Errors that reach a person. A UserError carries the exit code the CLI uses
// and a message that is printed as is, without a stack trace.

/** Documented exit codes (README "Exit codes"). */
export const EXIT = {
  ok: 0,
  targetFailed: 1,
  usage: 2,
  drift: 3,
  unhealthy: 4,
} as const;

/** An error caused by the user's input or environment; printed without a stack. */
export class UserError extends Error {
  constructor(
    message: string,
    /** Process exit code for the CLI. */
    readonly exitCode: number = EXIT.usage,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "UserError";
  }
}

/** One place that turns whatever was thrown into a message. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (typeof err === "string") return err;
  try {
    return JSON.stringify(err);
  } catch {
    return String(err);
  }
}
