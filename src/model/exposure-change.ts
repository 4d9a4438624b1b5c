// exposure-added changes (pure): a group that was already open to the world
// and that an interface with a public address starts using is a change worth
// an alert, though no rule changed. One change per (world-open ingress rule)
// × (newly public interface), the same pairs the current_exposure view lists.
// A broad source (severity.broadSources) counts like the world.
// A rule added in this very poll is not repeated here: its own rule-added
// alert already says what the group is attached to.
import { attachmentKey, type Attachment } from "./attachment.js";
import { ruleKey } from "./rule-key.js";
import { isBroadOpen, type BroadSources } from "./severity.js";
import type { Change, GroupState } from "./types.js";

export function exposureChanges(
  stored: ReadonlyMap<string, GroupState>,
  observed: ReadonlyMap<string, GroupState>,
  before: readonly Attachment[],
  opened: readonly Attachment[],
  broad: BroadSources,
): Change[] {
  const wasPublic = new Set(before.filter((a) => a.publicIp).map(attachmentKey));
  const out: Change[] = [];
  for (const a of opened) {
    if (!a.publicIp || wasPublic.has(attachmentKey(a))) continue;
    const now = observed.get(a.groupId);
    const prior = stored.get(a.groupId);
    if (!now || !prior) continue;
    const had = new Set(prior.rules.map(ruleKey));
    for (const rule of now.rules) {
      if (rule.direction !== "ingress" || !isBroadOpen(rule, broad) || !had.has(ruleKey(rule))) continue;
      out.push({
        kind: "exposure-added",
        groupId: now.groupId,
        groupName: now.name,
        vpcId: now.vpcId,
        groupTags: now.tags,
        rule,
        exposedVia: { interfaceId: a.interfaceId, kind: a.kind, instanceId: a.instanceId, publicIp: a.publicIp },
      });
    }
  }
  return out;
}
