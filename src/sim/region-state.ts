// The security groups of one (account, region), and every mutation EC2 allows
// on them. Both the HTTP actions and in-process seeding go through these
// methods, so validation, atomicity and the mutation log are the same either way.
// Each method validates everything before changing anything: a request that
// fails leaves the state as it was, as on AWS.

import { errors, simError } from "./errors.js";
import { groupInUse, type SimInterface } from "./network-interfaces.js";
import { descriptionAction, modifyRules, updateRuleDescriptions, updateRuleDescriptionsById } from "./region-rule-edits.js";
import { checkTags, createTags, deleteTags, tagRecord } from "./region-tags.js";
import {
  checkDescription,
  describeRule,
  expandPermissions,
  ruleIdentity,
  toRuleEffect,
  type PeerResolver,
  type RuleSpec,
} from "./rule-spec.js";
import type {
  Caller,
  MutationEffect,
  PermissionInput,
  RuleUpdateInput,
  SimGroup,
  SimRule,
  SimTag,
} from "./types.js";

/** What a region needs from the state that holds it. */
export interface RegionHost {
  /** A fresh id with the given prefix (sg, sgr, vpc) and 17 hex digits. */
  newId(prefix: string): string;
  /** Records an applied mutation. */
  record(entry: {
    action: string;
    account: string;
    region: string;
    groupId: string;
    effect: MutationEffect;
    caller: Caller;
  }): void;
  /** False while the mutation log is off. */
  logging(): boolean;
  /** True when a rule in any account of `region`, outside the group itself, references `groupId`. */
  isReferenced(region: string, groupId: string): boolean;
}

/** CreateSecurityGroup's inputs. */
export interface CreateGroupInput {
  groupName: string;
  description: string;
  /** Defaults to the region's default VPC. */
  vpcId?: string;
  tags?: SimTag[];
}

/** Names a group by id, or (default VPC only, as on AWS) by name. */
export interface GroupRef {
  groupId?: string;
  groupName?: string;
}

/** Attribution for calls made in-process (seeding, generators, tests). */
export const IN_PROCESS_CALLER: Caller = { accessKeyId: "sim-in-process", sourceIp: "in-process", userAgent: "sgwatch-sim" };

const GROUP_ID = /^sg-[0-9a-f]+$/;
const RULE_ID = /^sgr-[0-9a-f]+$/;

export class RegionState {
  /** Groups by id, in creation order. */
  readonly groups = new Map<string, SimGroup>();
  /** Network interfaces by id (src/sim/network-interfaces.ts), for blast radius. */
  readonly interfaces = new Map<string, SimInterface>();
  /** Owning group of each rule id. */
  private readonly ruleOwner = new Map<string, SimGroup>();
  /** Groups by (vpc, name); names are unique per VPC, and a scan would make bulk creation quadratic. */
  private readonly byName = new Map<string, SimGroup>();

  constructor(
    private readonly host: RegionHost,
    /** Account id. */
    readonly account: string,
    /** Region name. */
    readonly region: string,
    /** VPC used when CreateSecurityGroup names none, and the scope of group names. */
    readonly defaultVpcId: string,
  ) {}

  /** A fresh id from the simulator's one id source (interfaces, instances). */
  newId(prefix: string): string {
    return this.host.newId(prefix);
  }

  /** The group with this id; InvalidGroupId.Malformed / InvalidGroup.NotFound otherwise. */
  getGroup(groupId: string): SimGroup {
    if (!GROUP_ID.test(groupId)) throw errors.groupIdMalformed(groupId);
    const g = this.groups.get(groupId);
    if (g === undefined) throw errors.groupNotFound(groupId);
    return g;
  }

  /** The group with this name in `vpcId` (default VPC when omitted), if any. */
  findGroupByName(name: string, vpcId: string = this.defaultVpcId): SimGroup | undefined {
    return this.byName.get(nameKey(vpcId, name));
  }

  /** Resolves GroupId, or GroupName in the default VPC, as the mutating actions accept them. */
  resolveGroup(ref: GroupRef): SimGroup {
    if (ref.groupId !== undefined) return this.getGroup(ref.groupId);
    if (ref.groupName !== undefined) {
      const g = this.findGroupByName(ref.groupName);
      if (g === undefined) {
        throw simError(
          "InvalidGroup.NotFound",
          `The security group '${ref.groupName}' does not exist in default VPC '${this.defaultVpcId}'`,
        );
      }
      return g;
    }
    throw errors.missingParameter("GroupId");
  }

  /** The rule with this id and its group, if this region has it. */
  findRule(ruleId: string): { group: SimGroup; rule: SimRule } | undefined {
    const group = this.ruleOwner.get(ruleId);
    const rule = group?.rules.find((r) => r.ruleId === ruleId);
    return group && rule ? { group, rule } : undefined;
  }

  /** Creates a group with AWS's default allow-all egress rule. */
  createGroup(input: CreateGroupInput, caller: Caller = IN_PROCESS_CALLER): SimGroup {
    const name = input.groupName;
    if (name === undefined || name === "") throw errors.missingParameter("GroupName");
    if (input.description === undefined || input.description === "") throw errors.missingParameter("GroupDescription");
    if (name.length > 255) throw errors.invalidParameterValue("Group name may be at most 255 characters.");
    if (name.startsWith("sg-")) throw errors.invalidParameterValue("Group names may not be in the format sg-*.");
    if (name === "default") throw simError("InvalidGroup.Reserved", "The security group 'default' is reserved");
    checkDescription(name, "group name");
    checkDescription(input.description, "group description");
    const vpcId = input.vpcId ?? this.defaultVpcId;
    if (!/^vpc-[0-9a-f]+$/.test(vpcId)) throw simError("InvalidVpcID.NotFound", `The vpc ID '${vpcId}' does not exist`);
    if (this.findGroupByName(name, vpcId)) {
      throw simError("InvalidGroup.Duplicate", `The security group '${name}' already exists for VPC '${vpcId}'`);
    }
    const tags = checkTags(input.tags ?? []);
    return this.insertGroup(name, input.description, vpcId, tags, false, withAction(caller, "CreateSecurityGroup"));
  }

  /**
   * Creates a VPC's `default` group as AWS does when a VPC is made: all traffic
   * in from itself, all traffic out. Callers cannot create or delete it.
   */
  ensureDefaultGroup(vpcId: string = this.defaultVpcId, caller: Caller = IN_PROCESS_CALLER): SimGroup {
    const existing = this.findGroupByName("default", vpcId);
    if (existing) return existing;
    return this.insertGroup("default", "default VPC security group", vpcId, [], true, withAction(caller, "CreateVpc"));
  }

  private insertGroup(
    name: string,
    description: string,
    vpcId: string,
    tags: SimTag[],
    selfIngress: boolean,
    caller: Caller,
  ): SimGroup {
    const group: SimGroup = {
      groupId: this.host.newId("sg"),
      groupName: name,
      description,
      vpcId,
      ownerId: this.account,
      tags: tags.map((t) => ({ ...t })),
      rules: [],
    };
    this.groups.set(group.groupId, group);
    this.byName.set(nameKey(vpcId, name), group);
    this.log(group, caller, {
      kind: "group-created",
      groupName: name,
      description,
      vpcId,
      tags: tagRecord(group.tags),
    });
    const specs: RuleSpec[] = [
      { isEgress: true, protocol: "-1", fromPort: null, toPort: null, peer: { kind: "ipv4", cidr: "0.0.0.0/0" } },
    ];
    if (selfIngress) {
      specs.unshift({
        isEgress: false,
        protocol: "-1",
        fromPort: null,
        toPort: null,
        peer: { kind: "security-group", groupId: group.groupId, userId: this.account },
      });
    }
    this.addRules(group, specs, [], caller);
    return group;
  }

  /** Deletes a group no other group references. */
  deleteGroup(ref: GroupRef, caller: Caller = IN_PROCESS_CALLER): SimGroup {
    const group = this.resolveGroup(ref);
    if (group.groupName === "default") {
      throw simError(
        "CannotDelete",
        `the specified group: "${group.groupId}" name: "default" cannot be deleted by a user`,
      );
    }
    // As on AWS, a group an interface uses cannot be deleted.
    if (this.host.isReferenced(this.region, group.groupId) || groupInUse(this, group.groupId)) {
      throw simError("DependencyViolation", `resource ${group.groupId} has a dependent object`);
    }
    this.groups.delete(group.groupId);
    this.byName.delete(nameKey(group.vpcId, group.groupName));
    for (const r of group.rules) this.ruleOwner.delete(r.ruleId);
    this.log(group, withAction(caller, "DeleteSecurityGroup"), {
      kind: "group-deleted",
      groupName: group.groupName,
      vpcId: group.vpcId,
      tags: tagRecord(group.tags),
      rules: group.rules.map((r) => toRuleEffect(r, group.ownerId)),
    });
    return group;
  }

  /** Adds inbound rules; InvalidPermission.Duplicate when any already exists. */
  authorizeIngress(groupId: string, perms: readonly PermissionInput[], caller?: Caller, ruleTags: SimTag[] = []): SimRule[] {
    return this.authorize(groupId, perms, false, withAction(caller, "AuthorizeSecurityGroupIngress"), ruleTags);
  }

  /** Adds outbound rules; InvalidPermission.Duplicate when any already exists. */
  authorizeEgress(groupId: string, perms: readonly PermissionInput[], caller?: Caller, ruleTags: SimTag[] = []): SimRule[] {
    return this.authorize(groupId, perms, true, withAction(caller, "AuthorizeSecurityGroupEgress"), ruleTags);
  }

  private authorize(
    groupId: string,
    perms: readonly PermissionInput[],
    isEgress: boolean,
    caller: Caller,
    ruleTags: SimTag[],
  ): SimRule[] {
    const group = this.getGroup(groupId);
    const specs = expandPermissions(perms, isEgress, this.peerResolver());
    const existing = new Set(group.rules.map(ruleIdentity));
    for (const s of specs) {
      const key = ruleIdentity(s);
      if (existing.has(key)) {
        throw simError("InvalidPermission.Duplicate", `the specified rule "${describeRule(s)}" already exists`);
      }
      existing.add(key);
    }
    return this.addRules(group, specs, checkTags(ruleTags), caller);
  }

  private addRules(group: SimGroup, specs: readonly RuleSpec[], tags: SimTag[], caller: Caller): SimRule[] {
    const added = specs.map((s): SimRule => ({ ...s, ruleId: this.host.newId("sgr"), tags: tags.map((t) => ({ ...t })) }));
    for (const r of added) {
      group.rules.push(r);
      this.ruleOwner.set(r.ruleId, group);
    }
    this.log(group, caller, () => ({ kind: "rules-added", rules: added.map((r) => toRuleEffect(r, group.ownerId)) }));
    return added;
  }

  /** Removes inbound rules named by their content; InvalidPermission.NotFound when any is absent. */
  revokeIngress(groupId: string, perms: readonly PermissionInput[], caller?: Caller): SimRule[] {
    return this.revokeByContent(groupId, perms, false, withAction(caller, "RevokeSecurityGroupIngress"));
  }

  /** Removes outbound rules named by their content. */
  revokeEgress(groupId: string, perms: readonly PermissionInput[], caller?: Caller): SimRule[] {
    return this.revokeByContent(groupId, perms, true, withAction(caller, "RevokeSecurityGroupEgress"));
  }

  private revokeByContent(groupId: string, perms: readonly PermissionInput[], isEgress: boolean, caller: Caller): SimRule[] {
    const group = this.getGroup(groupId);
    const specs = expandPermissions(perms, isEgress, this.lenientResolver());
    const byKey = new Map(group.rules.map((r) => [ruleIdentity(r), r] as const));
    const targets = new Set<SimRule>();
    for (const s of specs) {
      const rule = byKey.get(ruleIdentity(s));
      if (rule === undefined) {
        throw simError(
          "InvalidPermission.NotFound",
          `The specified rule does not exist in this security group: "${describeRule(s)}"`,
        );
      }
      targets.add(rule);
    }
    return this.removeRules(group, [...targets], caller);
  }

  /** Removes rules by sgr- id; they must be in this group and of this direction. */
  revokeRuleIds(groupId: string, isEgress: boolean, ruleIds: readonly string[], caller?: Caller): SimRule[] {
    const action = isEgress ? "RevokeSecurityGroupEgress" : "RevokeSecurityGroupIngress";
    const group = this.getGroup(groupId);
    const targets = ruleIds.map((id) => this.ruleOfGroup(group, id, isEgress));
    return this.removeRules(group, [...new Set(targets)], withAction(caller, action), true);
  }

  /** The rule `ruleId` of `group` (of that direction when given); InvalidSecurityGroupRuleId.* otherwise. */
  ruleOfGroup(group: SimGroup, ruleId: string, isEgress?: boolean): SimRule {
    if (!RULE_ID.test(ruleId)) throw errors.ruleIdMalformed(ruleId);
    const rule = group.rules.find((r) => r.ruleId === ruleId);
    if (rule === undefined || (isEgress !== undefined && rule.isEgress !== isEgress)) throw errors.ruleNotFound(ruleId);
    return rule;
  }

  private removeRules(group: SimGroup, targets: readonly SimRule[], caller: Caller, byRuleId = false): SimRule[] {
    const gone = new Set(targets);
    group.rules = group.rules.filter((r) => !gone.has(r));
    for (const r of targets) this.ruleOwner.delete(r.ruleId);
    this.log(group, caller, () => ({ kind: "rules-removed", rules: targets.map((r) => toRuleEffect(r, group.ownerId)), ...(byRuleId ? { byRuleId } : {}) }));
    return [...targets];
  }

  /** Replaces rules in place, keeping their ids (ModifySecurityGroupRules; region-rule-edits.ts). */
  modifyRules(groupId: string, updates: readonly { ruleId: string; rule: RuleUpdateInput }[], caller?: Caller): void {
    modifyRules(this, groupId, updates, withAction(caller, "ModifySecurityGroupRules"));
  }

  /** Sets descriptions of rules named by content; absent descriptions clear them. */
  updateRuleDescriptions(groupId: string, isEgress: boolean, perms: readonly PermissionInput[], caller?: Caller): void {
    updateRuleDescriptions(this, groupId, isEgress, perms, withAction(caller, descriptionAction(isEgress)));
  }

  /** Sets descriptions of rules named by sgr- id. */
  updateRuleDescriptionsById(groupId: string, isEgress: boolean, items: readonly { ruleId: string; description?: string }[], caller?: Caller): void {
    updateRuleDescriptionsById(this, groupId, isEgress, items, withAction(caller, descriptionAction(isEgress)));
  }

  /** Adds or overwrites tags on groups (sg-) and rules (sgr-) (region-tags.ts). */
  createTags(resourceIds: readonly string[], tags: readonly SimTag[], caller?: Caller): void {
    createTags(this, resourceIds, tags, withAction(caller, "CreateTags"));
  }

  /** Removes tags; a tag given with a value is removed only when the value matches; none given removes all. */
  deleteTags(resourceIds: readonly string[], tags: readonly { key: string; value?: string }[] | undefined, caller?: Caller): void {
    deleteTags(this, resourceIds, tags, withAction(caller, "DeleteTags"));
  }

  /** True when any rule of a group other than `groupId` itself names it. */
  referencesGroup(groupId: string): boolean {
    for (const g of this.groups.values()) {
      if (g.groupId === groupId) continue;
      for (const r of g.rules) if (r.peer.kind === "security-group" && r.peer.groupId === groupId) return true;
    }
    return false;
  }

  private peerResolver(): PeerResolver {
    return {
      ownerId: this.account,
      groupIdByName: (name) => this.resolveGroup({ groupName: name }).groupId,
      assertGroupExists: (id) => void this.getGroup(id),
    };
  }

  /** Peers resolved without requiring a named group to exist: revoking or re-describing a rule must work after the group it names was deleted elsewhere. */
  lenientResolver(): PeerResolver {
    return { ...this.peerResolver(), assertGroupExists: () => undefined };
  }

  /** Records an applied mutation of `group` (for the rule-edit and tag actions in their own files). */
  logMutation(group: SimGroup, caller: Caller, effect: MutationEffect): void {
    this.log(group, caller, effect);
  }

  // A thunk lets bulk generation skip building effects it will not log.
  private log(group: SimGroup, caller: Caller, effect: MutationEffect | (() => MutationEffect)): void {
    if (!this.host.logging()) return;
    this.host.record({
      action: caller.action ?? "Unknown",
      account: this.account,
      region: this.region,
      groupId: group.groupId,
      effect: typeof effect === "function" ? effect() : effect,
      caller,
    });
  }

  /** Re-indexes a group loaded from JSON. */
  adoptGroup(group: SimGroup): void {
    this.groups.set(group.groupId, group);
    this.byName.set(nameKey(group.vpcId, group.groupName), group);
    for (const r of group.rules) this.ruleOwner.set(r.ruleId, group);
  }
}

function nameKey(vpcId: string, name: string): string {
  return `${vpcId}\u0000${name}`;
}

function withAction(caller: Caller | undefined, action: string): Caller {
  const c = caller ?? IN_PROCESS_CALLER;
  return c.action === undefined ? { ...c, action } : c;
}
