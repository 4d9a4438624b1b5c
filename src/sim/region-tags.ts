// CreateTags and DeleteTags on a region's groups (sg-) and rules (sgr-), as
// EC2 validates and applies them: every resource and tag is checked before
// any is changed, so a request that fails leaves every tag as it was.
import { errors, simError } from "./errors.js";
import type { Caller, MutationEffect, SimGroup, SimRule, SimTag } from "./types.js";

/** What the tag actions need from the region that holds the resources. */
export interface TagRegion {
  getGroup(groupId: string): SimGroup;
  findRule(ruleId: string): { group: SimGroup; rule: SimRule } | undefined;
  /** Records an applied mutation of `group` in the mutation log (and so in CloudTrail). */
  logMutation(group: SimGroup, caller: Caller, effect: MutationEffect): void;
}

/** A resource whose tags an action changes, and the group it belongs to (for the log). */
interface Taggable {
  id: string;
  group: SimGroup;
  holder: { tags: SimTag[] };
}

/** Tags as given, checked as EC2 checks them (key required, lengths, the reserved aws: prefix). */
export function checkTags(tags: readonly SimTag[]): SimTag[] {
  const out: SimTag[] = [];
  for (const t of tags) {
    if (t.key === undefined || t.key === "") throw errors.missingParameter("Tag.Key");
    if (t.key.length > 128 || (t.value ?? "").length > 256) {
      throw errors.invalidParameterValue(`Tag key may be at most 128 and value at most 256 characters: '${t.key}'`);
    }
    if (t.key.toLowerCase().startsWith("aws:")) {
      throw errors.invalidParameterValue(`Tag keys starting with 'aws:' are reserved for internal use: '${t.key}'`);
    }
    out.push({ key: t.key, value: t.value ?? "" });
  }
  return out;
}

/** Tags as the mutation log keeps them. */
export function tagRecord(tags: readonly SimTag[]): Record<string, string> {
  const r: Record<string, string> = {};
  for (const t of tags) r[t.key] = t.value;
  return r;
}

function taggable(region: TagRegion, id: string): Taggable {
  if (id.startsWith("sg-")) {
    const group = region.getGroup(id);
    return { id, group, holder: group };
  }
  if (id.startsWith("sgr-")) {
    const found = region.findRule(id);
    if (!found) throw errors.ruleNotFound(id);
    return { id, group: found.group, holder: found.rule };
  }
  throw simError("InvalidID", `The ID '${id}' is not valid`);
}

/** Adds or overwrites tags (CreateTags); at most 50 per resource. */
export function createTags(region: TagRegion, resourceIds: readonly string[], tags: readonly SimTag[], caller: Caller): void {
  if (resourceIds.length === 0) throw errors.missingParameter("ResourceId");
  if (tags.length === 0) throw errors.missingParameter("Tag");
  const checked = checkTags(tags);
  const targets = resourceIds.map((id) => taggable(region, id));
  for (const t of targets) {
    const merged = new Map(t.holder.tags.map((x) => [x.key, x.value] as const));
    for (const x of checked) merged.set(x.key, x.value);
    if (merged.size > 50) throw simError("TagLimitExceeded", `The maximum number of tags for resource ${t.id} is 50`);
  }
  for (const t of targets) {
    const previous: Record<string, string | null> = {};
    for (const x of checked) {
      const i = t.holder.tags.findIndex((y) => y.key === x.key);
      previous[x.key] = i >= 0 ? (t.holder.tags[i]?.value ?? null) : null;
      if (i >= 0) t.holder.tags[i] = { ...x };
      else t.holder.tags.push({ ...x });
    }
    region.logMutation(t.group, caller, { kind: "tags-set", resourceId: t.id, tags: tagRecord(checked), previous });
  }
}

/** Removes tags (DeleteTags): a tag given with a value only when the value matches; none given removes all. */
export function deleteTags(region: TagRegion, resourceIds: readonly string[], tags: readonly { key: string; value?: string }[] | undefined, caller: Caller): void {
  if (resourceIds.length === 0) throw errors.missingParameter("ResourceId");
  const targets = resourceIds.map((id) => taggable(region, id));
  for (const t of targets) {
    const removed = t.holder.tags.filter((x) =>
      tags === undefined || tags.length === 0 ? true : tags.some((d) => d.key === x.key && (d.value === undefined || d.value === x.value)),
    );
    if (removed.length === 0) continue;
    t.holder.tags = t.holder.tags.filter((x) => !removed.includes(x));
    region.logMutation(t.group, caller, { kind: "tags-removed", resourceId: t.id, tags: tagRecord(removed) });
  }
}
