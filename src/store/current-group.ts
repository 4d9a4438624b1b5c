// The one current group an approval record selects, when the database knows
// exactly one: guardrail checks then decide on its real name and tags instead
// of assuming the worst (src/policy/record-conflicts.ts).
import type { Database } from "better-sqlite3";
import type { ApprovalRecord } from "../approvals/schema.js";
import type { GroupContext } from "../policy/violation.js";

/** The current group the record's groupId / groupName selects within its target, or null when none or several. */
export function currentGroupOf(db: Database, record: Pick<ApprovalRecord, "selector" | "target">): GroupContext | null {
  const sel = record.selector;
  if (sel.kind === "tags") return null;
  const rows = db
    .prepare(
      `SELECT g.group_id, g.name, g.tags FROM group_versions g JOIN targets t ON t.id = g.target_id
       WHERE g.removed_poll_id IS NULL AND ${sel.kind === "groupId" ? "g.group_id" : "g.name"} = @value
         AND (@account IS NULL OR t.account = @account) AND (@region IS NULL OR t.region = @region)
       LIMIT 2`,
    )
    .all({ value: sel.kind === "groupId" ? sel.groupId : sel.groupName, account: record.target.account, region: record.target.region }) as Array<{
    group_id: string;
    name: string;
    tags: string;
  }>;
  const only = rows.length === 1 ? rows[0] : undefined;
  if (only === undefined) return null;
  return { groupId: only.group_id, groupName: only.name, groupTags: JSON.parse(only.tags) as Record<string, string> };
}
