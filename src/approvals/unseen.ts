// Records whose group selector matches no group any target has ever seen: a
// typo in a group id or name would otherwise sit silently until the change it
// was meant to approve alerts anyway. Pure: the groups seen come from the store.
import { isNamePattern, nameSelects, tagValueSelects } from "../model/group-pattern.js";
import { describeSelector } from "./describe.js";
import type { ApprovalRecord } from "./schema.js";

/** A group as some poll saw it (any version, current or past). */
export interface SeenGroup {
  /** Account of the target that saw it. */
  account: string;
  /** Region of the target that saw it. */
  region: string;
  /** sg-… id. */
  groupId: string;
  /** Group name in that version. */
  name: string;
  /** Tags in that version. */
  tags: Record<string, string>;
}

function groupBy(groups: readonly SeenGroup[], key: (g: SeenGroup) => string): Map<string, SeenGroup[]> {
  const out = new Map<string, SeenGroup[]>();
  for (const g of groups) {
    const list = out.get(key(g));
    if (list) list.push(g);
    else out.set(key(g), [g]);
  }
  return out;
}

function selects(r: ApprovalRecord, g: SeenGroup): boolean {
  if (r.target.account !== null && r.target.account !== g.account) return false;
  if (r.target.region !== null && r.target.region !== g.region) return false;
  const sel = r.selector;
  switch (sel.kind) {
    case "groupId":
      return sel.groupId === g.groupId;
    case "groupName":
      return nameSelects(sel.groupName, g.name);
    case "tags":
      return Object.entries(sel.tags).every(([k, v]) => tagValueSelects(v, g.tags[k]));
  }
}

/**
 * The records none of `seen` matches, with a message for each. A record that
 * allows create-group is left out: its group need not exist yet.
 */
export function unseenSelectors(records: readonly ApprovalRecord[], seen: readonly SeenGroup[]): Array<{ record: ApprovalRecord; message: string }> {
  // Indexed by id and name: thousands of records against tens of thousands of
  // groups would otherwise be a product. Tag selectors scan (they are few).
  const byId = groupBy(seen, (g) => g.groupId);
  const byName = groupBy(seen, (g) => g.name);
  const candidates = (r: ApprovalRecord): readonly SeenGroup[] =>
    r.selector.kind === "groupId" ? (byId.get(r.selector.groupId) ?? []) : r.selector.kind === "groupName" && !isNamePattern(r.selector.groupName) ? (byName.get(r.selector.groupName) ?? []) : seen;
  return records
    .filter((r) => !r.changes.some((c) => c.action === "create-group") && !candidates(r).some((g) => selects(r, g)))
    .map((r) => {
      const scope = [r.target.account, r.target.region].filter((x) => x !== null).join("/");
      return {
        record: r,
        message: `${r.id}: selects ${describeSelector(r.selector)}${scope ? ` in ${scope}` : ""}, which no target has seen; check the selector (a typo approves nothing)`,
      };
    });
}
