// ModifySecurityGroupRules and UpdateSecurityGroupRuleDescriptionsIngress/Egress.

import { errors } from "../errors.js";
import { parseIpPermissions } from "../query-params.js";
import type { RuleUpdateInput } from "../types.js";
import { text } from "../xml.js";
import type { ActionHandler } from "./context.js";

export const modifySecurityGroupRules: ActionHandler = {
  readOnly: false,
  run({ params, region, caller }) {
    const groupId = params.required("GroupId");
    const updates = params.structs("SecurityGroupRule").map((u) => {
      const ruleId = u.required("SecurityGroupRuleId");
      const r = u.sub("SecurityGroupRule");
      if (r === undefined) throw errors.missingParameter("SecurityGroupRule.SecurityGroupRule");
      const rule: RuleUpdateInput = { ipProtocol: r.required("IpProtocol") };
      const from = r.int("FromPort");
      const to = r.int("ToPort");
      if (from !== undefined) rule.fromPort = from;
      if (to !== undefined) rule.toPort = to;
      for (const [key, field] of [
        ["CidrIpv4", "cidrIpv4"],
        ["CidrIpv6", "cidrIpv6"],
        ["PrefixListId", "prefixListId"],
        ["ReferencedGroupId", "referencedGroupId"],
        ["Description", "description"],
      ] as const) {
        const v = r.get(key);
        if (v !== undefined) rule[field] = v;
      }
      return { ruleId, rule };
    });
    region.modifyRules(groupId, updates, caller);
    return text("return", true);
  },
};

function updateDescriptions(isEgress: boolean): ActionHandler {
  return {
    readOnly: false,
    run({ params, region, caller }) {
      const groupId = params.get("GroupId") ?? region.resolveGroup({ groupName: params.required("GroupName") }).groupId;
      const byId = params.structs("SecurityGroupRuleDescription").map((d) => {
        const item: { ruleId: string; description?: string } = { ruleId: d.required("SecurityGroupRuleId") };
        const description = d.get("Description");
        if (description !== undefined) item.description = description;
        return item;
      });
      const perms = parseIpPermissions(params);
      if (byId.length === 0 && perms.length === 0) throw errors.missingParameter("IpPermissions");
      if (perms.length > 0) region.updateRuleDescriptions(groupId, isEgress, perms, caller);
      if (byId.length > 0) region.updateRuleDescriptionsById(groupId, isEgress, byId, caller);
      return text("return", true);
    },
  };
}

export const updateSecurityGroupRuleDescriptionsIngress = updateDescriptions(false);
export const updateSecurityGroupRuleDescriptionsEgress = updateDescriptions(true);
