// Rules changed in place, keeping their ids: ModifySecurityGroupRules and
// UpdateSecurityGroupRuleDescriptions{Ingress,Egress} (by content or by
// sgr- id). As everywhere in the simulator, every update is checked before
// any rule changes.
import { errors, simError } from "./errors.js";
import {
  checkDescription,
  checkIpv4Cidr,
  checkIpv6Cidr,
  describeRule,
  expandPermissions,
  ruleIdentity,
  storedPorts,
  storedProtocol,
  toRuleEffect,
  type PeerResolver,
  type RuleSpec,
} from "./rule-spec.js";
import type { Caller, MutationEffect, PermissionInput, RulePeer, RuleUpdateInput, SimGroup, SimRule } from "./types.js";

/** What rule edits need from the region that holds the group. */
export interface RuleEditRegion {
  readonly account: string;
  getGroup(groupId: string): SimGroup;
  /** The rule `ruleId` of `group` (of that direction when given); InvalidSecurityGroupRuleId.* otherwise. */
  ruleOfGroup(group: SimGroup, ruleId: string, isEgress?: boolean): SimRule;
  /** Resolves peers without requiring a referenced group to still exist (revoking and re-describing must work after it is gone). */
  lenientResolver(): PeerResolver;
  /** Records an applied mutation of `group` in the mutation log (and so in CloudTrail). */
  logMutation(group: SimGroup, caller: Caller, effect: MutationEffect): void;
}

/** The CloudTrail event name of a description update. */
export function descriptionAction(isEgress: boolean): string {
  return isEgress ? "UpdateSecurityGroupRuleDescriptionsEgress" : "UpdateSecurityGroupRuleDescriptionsIngress";
}

function specFromUpdate(region: RuleEditRegion, u: RuleUpdateInput, isEgress: boolean): RuleSpec {
  const protocol = storedProtocol(u.ipProtocol ?? "");
  const { fromPort, toPort } = storedPorts(protocol, u.fromPort, u.toPort);
  const peers: RulePeer[] = [];
  if (u.cidrIpv4 !== undefined) peers.push({ kind: "ipv4", cidr: checkIpv4Cidr(u.cidrIpv4) });
  if (u.cidrIpv6 !== undefined) peers.push({ kind: "ipv6", cidr: checkIpv6Cidr(u.cidrIpv6) });
  if (u.prefixListId !== undefined) peers.push({ kind: "prefix-list", prefixListId: u.prefixListId });
  if (u.referencedGroupId !== undefined) {
    region.getGroup(u.referencedGroupId);
    peers.push({ kind: "security-group", groupId: u.referencedGroupId, userId: region.account });
  }
  const [peer, ...more] = peers;
  if (peer === undefined || more.length > 0) {
    throw errors.invalidParameterValue("Exactly one of CidrIpv4, CidrIpv6, PrefixListId or ReferencedGroupId must be specified.");
  }
  const description = checkDescription(u.description);
  const spec: RuleSpec = { isEgress, protocol, fromPort, toPort, peer };
  if (description !== undefined && description !== "") spec.description = description;
  return spec;
}

/** Replaces rules in place, keeping their ids (ModifySecurityGroupRules). */
export function modifyRules(region: RuleEditRegion, groupId: string, updates: readonly { ruleId: string; rule: RuleUpdateInput }[], caller: Caller): void {
  const group = region.getGroup(groupId);
  if (updates.length === 0) throw errors.missingParameter("SecurityGroupRule");
  const planned = updates.map((u) => {
    const rule = region.ruleOfGroup(group, u.ruleId);
    return { rule, spec: specFromUpdate(region, u.rule, rule.isEgress) };
  });
  const changing = new Set(planned.map((p) => p.rule));
  const keys = new Set(group.rules.filter((r) => !changing.has(r)).map(ruleIdentity));
  for (const p of planned) {
    const key = ruleIdentity(p.spec);
    if (keys.has(key)) throw simError("InvalidPermission.Duplicate", `the specified rule "${describeRule(p.spec)}" already exists`);
    keys.add(key);
  }
  const changes = planned.map((p) => {
    const before = toRuleEffect(p.rule, group.ownerId);
    p.rule.protocol = p.spec.protocol;
    p.rule.fromPort = p.spec.fromPort;
    p.rule.toPort = p.spec.toPort;
    p.rule.peer = p.spec.peer;
    if (p.spec.description === undefined) delete p.rule.description;
    else p.rule.description = p.spec.description;
    return { before, after: toRuleEffect(p.rule, group.ownerId) };
  });
  region.logMutation(group, caller, { kind: "rules-modified", changes });
}

/** Sets descriptions of rules named by content; absent descriptions clear them. */
export function updateRuleDescriptions(region: RuleEditRegion, groupId: string, isEgress: boolean, perms: readonly PermissionInput[], caller: Caller): void {
  const group = region.getGroup(groupId);
  const specs = expandPermissions(perms, isEgress, region.lenientResolver());
  const byKey = new Map(group.rules.map((r) => [ruleIdentity(r), r] as const));
  const planned = specs.map((s) => {
    const rule = byKey.get(ruleIdentity(s));
    if (rule === undefined) throw simError("InvalidPermission.NotFound", `The specified rule does not exist in this security group: "${describeRule(s)}"`);
    return { rule, description: s.description };
  });
  applyDescriptions(region, group, planned, caller);
}

/** Sets descriptions of rules named by sgr- id. */
export function updateRuleDescriptionsById(region: RuleEditRegion, groupId: string, isEgress: boolean, items: readonly { ruleId: string; description?: string }[], caller: Caller): void {
  const group = region.getGroup(groupId);
  const planned = items.map((i) => ({ rule: region.ruleOfGroup(group, i.ruleId, isEgress), description: checkDescription(i.description) }));
  applyDescriptions(region, group, planned, caller);
}

function applyDescriptions(region: RuleEditRegion, group: SimGroup, planned: readonly { rule: SimRule; description: string | undefined }[], caller: Caller): void {
  const changes = [];
  for (const p of planned) {
    const old = p.rule.description ?? null;
    const next = p.description === undefined || p.description === "" ? null : p.description;
    if (old === next) continue;
    if (next === null) delete p.rule.description;
    else p.rule.description = next;
    changes.push({ rule: toRuleEffect(p.rule, group.ownerId), oldDescription: old });
  }
  if (changes.length > 0) region.logMutation(group, caller, { kind: "rule-descriptions-changed", changes });
}
