// The action table: adding an action is adding a file and a line here.

import { authorizeSecurityGroupEgress, authorizeSecurityGroupIngress, revokeSecurityGroupEgress, revokeSecurityGroupIngress } from "./authorize-revoke.js";
import type { ActionHandler } from "./context.js";
import { describeNetworkInterfaces } from "./describe-network-interfaces.js";
import { describeRegions } from "./describe-regions.js";
import { describeSecurityGroupRules } from "./describe-security-group-rules.js";
import { describeSecurityGroups } from "./describe-security-groups.js";
import { modifySecurityGroupRules, updateSecurityGroupRuleDescriptionsEgress, updateSecurityGroupRuleDescriptionsIngress } from "./rule-updates.js";
import { createSecurityGroup, deleteSecurityGroup } from "./security-groups.js";
import { createTags, deleteTags } from "./tags.js";

export type { ActionContext, ActionHandler } from "./context.js";

/** Every action the simulator answers, by its Query `Action` name. */
export const ACTIONS: Readonly<Record<string, ActionHandler>> = {
  DescribeSecurityGroups: describeSecurityGroups,
  DescribeSecurityGroupRules: describeSecurityGroupRules,
  DescribeRegions: describeRegions,
  DescribeNetworkInterfaces: describeNetworkInterfaces,
  CreateSecurityGroup: createSecurityGroup,
  DeleteSecurityGroup: deleteSecurityGroup,
  AuthorizeSecurityGroupIngress: authorizeSecurityGroupIngress,
  AuthorizeSecurityGroupEgress: authorizeSecurityGroupEgress,
  RevokeSecurityGroupIngress: revokeSecurityGroupIngress,
  RevokeSecurityGroupEgress: revokeSecurityGroupEgress,
  ModifySecurityGroupRules: modifySecurityGroupRules,
  UpdateSecurityGroupRuleDescriptionsIngress: updateSecurityGroupRuleDescriptionsIngress,
  UpdateSecurityGroupRuleDescriptionsEgress: updateSecurityGroupRuleDescriptionsEgress,
  CreateTags: createTags,
  DeleteTags: deleteTags,
};

/** True when `action` is a known read-only call. */
export function isReadOnlyAction(action: string): boolean {
  return Object.hasOwn(ACTIONS, action) && (ACTIONS[action] as ActionHandler).readOnly;
}
