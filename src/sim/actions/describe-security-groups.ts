import { applyFilters, tagFilterValues } from "../filters.js";
import { paginate } from "../pagination.js";
import { parseFilters } from "../query-params.js";
import { securityGroupXml } from "../render.js";
import { simError } from "../errors.js";
import type { SimGroup } from "../types.js";
import { itemList, text } from "../xml.js";
import type { ActionHandler } from "./context.js";

const FIELDS: Record<string, (g: SimGroup) => string[]> = {
  "group-id": (g) => [g.groupId],
  "group-name": (g) => [g.groupName],
  "vpc-id": (g) => [g.vpcId],
  description: (g) => [g.description],
  "owner-id": (g) => [g.ownerId],
};

export const describeSecurityGroups: ActionHandler = {
  readOnly: true,
  paginated: true,
  run({ params, region, repeatNextToken }) {
    const ids = params.list("GroupId");
    const names = params.list("GroupName");
    let groups: SimGroup[];
    if (ids.length > 0 || names.length > 0) {
      // Asking for a group that is not there is an error, not an empty answer.
      const chosen = new Map<string, SimGroup>();
      for (const id of ids) {
        const g = region.getGroup(id);
        chosen.set(g.groupId, g);
      }
      for (const name of names) {
        const g = region.findGroupByName(name);
        if (g === undefined) {
          throw simError("InvalidGroup.NotFound", `The security group '${name}' does not exist in default VPC '${region.defaultVpcId}'`);
        }
        chosen.set(g.groupId, g);
      }
      groups = [...chosen.values()];
    } else {
      groups = [...region.groups.values()];
    }
    groups = applyFilters(
      groups,
      parseFilters(params),
      (g, name) => FIELDS[name]?.(g) ?? tagFilterValues(g.tags, name),
      (name) => name in FIELDS || name === "tag-key" || name === "tag-value",
    );
    const { page, nextToken } = paginate(groups, (g) => g.groupId, params, { repeatToken: repeatNextToken });
    return itemList("securityGroupInfo", page.map((g) => securityGroupXml(region.region, g))) + text("nextToken", nextToken);
  },
};
