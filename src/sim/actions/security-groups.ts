// CreateSecurityGroup and DeleteSecurityGroup.

import { parseTagSpecifications } from "../query-params.js";
import { groupArn, tagSetXml } from "../render.js";
import { text } from "../xml.js";
import type { ActionHandler } from "./context.js";

export const createSecurityGroup: ActionHandler = {
  readOnly: false,
  run({ params, region, caller }) {
    const input = {
      groupName: params.required("GroupName"),
      description: params.required("GroupDescription"),
      tags: parseTagSpecifications(params, "security-group"),
    };
    const vpcId = params.get("VpcId");
    const group = region.createGroup(vpcId === undefined ? input : { ...input, vpcId }, caller);
    return (
      text("return", true) +
      text("groupId", group.groupId) +
      (group.tags.length > 0 ? tagSetXml(group.tags) : "") +
      text("securityGroupArn", groupArn(region.region, group))
    );
  },
};

export const deleteSecurityGroup: ActionHandler = {
  readOnly: false,
  run({ params, region, caller }) {
    const groupId = params.get("GroupId");
    const groupName = params.get("GroupName");
    const ref = groupId !== undefined ? { groupId } : groupName !== undefined ? { groupName } : {};
    const group = region.deleteGroup(ref, caller);
    return text("return", true) + text("groupId", group.groupId);
  },
};
