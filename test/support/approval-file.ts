// Writes an approved change record (YAML) into an approvals directory.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";

/** One change entry of a record (see docs/approvals.md). */
export interface ApprovalChange {
  action: string;
  direction?: "ingress" | "egress";
  protocol?: string;
  ports?: number | string;
  source?: string;
}

/** A record to write. */
export interface ApprovalSpec {
  id: string;
  groupName?: string;
  groupId?: string;
  from: string;
  until: string;
  changes: ApprovalChange[];
  /** Who will make the changes (principal ARN patterns). */
  by?: string[];
}

/** Write `<dir>/<id>.yaml`; returns its path. */
export function writeApproval(dir: string, spec: ApprovalSpec): string {
  const file = path.join(dir, `${spec.id}.yaml`);
  writeFileSync(
    file,
    stringify({
      id: spec.id,
      reason: `test record ${spec.id}`,
      approvedBy: "alice@test.example",
      window: { from: spec.from, until: spec.until },
      ...(spec.groupId ? { groupId: spec.groupId } : { groupName: spec.groupName }),
      changes: spec.changes,
      ...(spec.by ? { by: spec.by } : {}),
    }),
  );
  return file;
}
