// Authorize/RevokeSecurityGroupIngress/Egress.

import { errors } from "../errors.js";
import { parseIpPermissions, parseLegacyPermission, parseTagSpecifications, type QueryParams } from "../query-params.js";
import { revokedRuleXml, securityGroupRuleXml } from "../render.js";
import type { RegionState } from "../region-state.js";
import type { PermissionInput } from "../types.js";
import { itemList, text } from "../xml.js";
import type { ActionHandler } from "./context.js";

function permissions(params: QueryParams): PermissionInput[] {
  const perms = parseIpPermissions(params);
  const legacy = parseLegacyPermission(params);
  return legacy === undefined ? perms : [...perms, legacy];
}

// GroupName is accepted for default-VPC groups, as on AWS.
function groupIdOf(params: QueryParams, region: RegionState): string {
  const groupId = params.get("GroupId");
  if (groupId !== undefined) return groupId;
  const groupName = params.get("GroupName");
  if (groupName !== undefined) return region.resolveGroup({ groupName }).groupId;
  throw errors.missingParameter("GroupId");
}

function authorize(isEgress: boolean): ActionHandler {
  return {
    readOnly: false,
    run({ params, region, caller }) {
      const groupId = isEgress ? params.required("GroupId") : groupIdOf(params, region);
      const perms = permissions(params);
      if (perms.length === 0) throw errors.missingParameter("IpPermissions");
      const tags = parseTagSpecifications(params, "security-group-rule");
      const added = isEgress
        ? region.authorizeEgress(groupId, perms, caller, tags)
        : region.authorizeIngress(groupId, perms, caller, tags);
      const group = region.getGroup(groupId);
      return (
        text("return", true) +
        itemList("securityGroupRuleSet", added.map((r) => securityGroupRuleXml(region.region, group, r)))
      );
    },
  };
}

function revoke(isEgress: boolean): ActionHandler {
  return {
    readOnly: false,
    run({ params, region, caller }) {
      const groupId = isEgress ? params.required("GroupId") : groupIdOf(params, region);
      const ruleIds = params.list("SecurityGroupRuleId");
      const perms = permissions(params);
      if (ruleIds.length === 0 && perms.length === 0) throw errors.missingParameter("IpPermissions");
      if (ruleIds.length > 0 && perms.length > 0) {
        throw errors.invalidParameterValue("Specify either IpPermissions or SecurityGroupRuleIds, not both.");
      }
      const removed =
        ruleIds.length > 0
          ? region.revokeRuleIds(groupId, isEgress, ruleIds, caller)
          : isEgress
            ? region.revokeEgress(groupId, perms, caller)
            : region.revokeIngress(groupId, perms, caller);
      const group = region.getGroup(groupId);
      return text("return", true) + itemList("revokedSecurityGroupRuleSet", removed.map((r) => revokedRuleXml(group, r)));
    },
  };
}

export const authorizeSecurityGroupIngress = authorize(false);
export const authorizeSecurityGroupEgress = authorize(true);
export const revokeSecurityGroupIngress = revoke(false);
export const revokeSecurityGroupEgress = revoke(true);
