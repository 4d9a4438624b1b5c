import { applyFilters, tagFilterValues } from "../filters.js";
import { errors } from "../errors.js";
import { paginate } from "../pagination.js";
import { parseFilters } from "../query-params.js";
import { securityGroupRuleXml } from "../render.js";
import type { SimGroup, SimRule } from "../types.js";
import { itemList, text } from "../xml.js";
import type { ActionHandler } from "./context.js";

interface Row {
  group: SimGroup;
  rule: SimRule;
}

const FIELDS: Record<string, (r: Row) => string[]> = {
  "group-id": (r) => [r.group.groupId],
  "security-group-rule-id": (r) => [r.rule.ruleId],
};

export const describeSecurityGroupRules: ActionHandler = {
  readOnly: true,
  paginated: true,
  run({ params, region, repeatNextToken }) {
    const ids = params.list("SecurityGroupRuleId");
    let rows: Row[];
    if (ids.length > 0) {
      rows = ids.map((id) => {
        const found = region.findRule(id);
        if (!found) throw errors.ruleNotFound(id);
        return found;
      });
    } else {
      rows = [];
      for (const group of region.groups.values()) for (const rule of group.rules) rows.push({ group, rule });
    }
    rows = applyFilters(
      rows,
      parseFilters(params),
      (r, name) => FIELDS[name]?.(r) ?? tagFilterValues(r.rule.tags, name),
      (name) => name in FIELDS || name === "tag-key" || name === "tag-value",
    );
    const { page, nextToken } = paginate(rows, (r) => r.rule.ruleId, params, { repeatToken: repeatNextToken });
    return (
      itemList("securityGroupRuleSet", page.map((r) => securityGroupRuleXml(region.region, r.group, r.rule))) +
      text("nextToken", nextToken)
    );
  },
};
