// Checks shared by commands for free-text flags that are stored and shown to
// others later (--by, --reason, --ticket): the same rule as approval files.
import { plainTextProblem } from "../approvals/fields.js";
import { UserError } from "../util/errors.js";

/** Refuse a flag value holding a control character, line break or bidi override, naming the flag. */
export function plainTextFlag(flag: string, value: string): void {
  const problem = plainTextProblem(value);
  if (problem !== null) throw new UserError(`${flag}: ${problem}`);
}
