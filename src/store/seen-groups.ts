// Every distinct (target, group id, name, tags) any poll has recorded, for
// checking approval selectors against reality (check-config, approve).
import type { Database } from "better-sqlite3";
import type { SeenGroup } from "../approvals/unseen.js";

interface Row {
  account: string;
  region: string;
  group_id: string;
  name: string;
  tags: string;
}

/** Whether any poll has recorded groups yet: before the first one, "never seen" means nothing. */
export function anyGroupSeen(db: Database): boolean {
  return db.prepare("SELECT 1 FROM group_versions LIMIT 1").get() !== undefined;
}

/** Distinct group identities over all versions, current and past. */
export function seenGroups(db: Database): SeenGroup[] {
  const rows = db
    .prepare(
      `SELECT DISTINCT t.account, t.region, g.group_id, g.name, g.tags
       FROM group_versions g JOIN targets t ON t.id = g.target_id`,
    )
    .all() as Row[];
  return rows.map((r) => ({ account: r.account, region: r.region, groupId: r.group_id, name: r.name, tags: JSON.parse(r.tags) as Record<string, string> }));
}
