// The CLI's short spelling of a change entry: `--add "tcp/443 from 10.0.0.0/8"`,
// `--remove "udp/53-60 to sg-0abc"`, `--add "all from ::/0"`. It is turned into
// the same raw entry a YAML file would hold and validated by the same schema,
// so the CLI cannot create a record a file could not.

import { formatIssue, describeIssues } from "./record.js";
import { APPROVAL_ACTIONS, approvalChangeSchema, GROUP_ACTIONS, type ApprovalChange } from "./schema.js";

/** A change spec that cannot be understood; the message names the flag, the text and the fault. */
export class ChangeSpecError extends Error {
  override name = "ChangeSpecError";
}

const SYNTAX = `expected "<protocol>[/<ports>] from|to <source>", e.g. "tcp/443 from 10.0.0.0/8"`;

/**
 * Parse `text` as a change entry for `action`. `from` means ingress, `to` egress.
 * Group actions (create-group, delete-group, modify-tags) take no text.
 * Throws ChangeSpecError.
 */
export function parseChangeSpec(action: string, text: string): ApprovalChange {
  const known = APPROVAL_ACTIONS.find((a) => a === action);
  const flag = `--${action}${text.trim() === "" ? "" : ` "${text}"`}`;
  if (known === undefined) throw new ChangeSpecError(`${flag}: unknown action "${action}" (expected one of ${APPROVAL_ACTIONS.join(", ")})`);
  const words = text.trim().split(/\s+/).filter((w) => w !== "");
  if (GROUP_ACTIONS.includes(known)) {
    if (words.length > 0) throw new ChangeSpecError(`${flag}: ${known} takes no protocol, ports or source`);
    return { action: known as "create-group" | "delete-group" | "modify-tags" };
  }
  const [protoPorts, dir, source, ...rest] = words;
  if (protoPorts === undefined || dir === undefined || source === undefined || rest.length > 0) {
    throw new ChangeSpecError(`${flag}: ${SYNTAX}`);
  }
  const direction = dir.toLowerCase() === "from" ? "ingress" : dir.toLowerCase() === "to" ? "egress" : null;
  if (direction === null) throw new ChangeSpecError(`${flag}: "${dir}" should be "from" (ingress) or "to" (egress); ${SYNTAX}`);
  const slash = protoPorts.indexOf("/");
  const raw: Record<string, unknown> = {
    action: known,
    direction,
    protocol: slash < 0 ? protoPorts : protoPorts.slice(0, slash),
    source,
  };
  if (slash >= 0) raw.ports = protoPorts.slice(slash + 1);
  const r = approvalChangeSchema.safeParse(raw);
  if (r.success) return r.data;
  throw new ChangeSpecError(`${flag}: ${describeIssues(r.error.issues, raw).map(formatIssue).join("; ")}`);
}
