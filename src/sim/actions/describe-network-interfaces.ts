// DescribeNetworkInterfaces: every interface of the caller's account and
// region, with EC2's filters (group-id above all, which answers "what uses
// this group"), MaxResults/NextToken pagination, and NetworkInterfaceId.N.
import { applyFilters } from "../filters.js";
import { getInterface, networkInterfaceXml, type SimInterface } from "../network-interfaces.js";
import { paginate } from "../pagination.js";
import { parseFilters } from "../query-params.js";
import { errors } from "../errors.js";
import { itemList, text } from "../xml.js";
import type { ActionHandler } from "./context.js";

const FIELDS: Record<string, (ni: SimInterface) => string[]> = {
  "group-id": (ni) => ni.groupIds,
  "network-interface-id": (ni) => [ni.interfaceId],
  "vpc-id": (ni) => [ni.vpcId],
  "attachment.instance-id": (ni) => (ni.instanceId ? [ni.instanceId] : []),
  "association.public-ip": (ni) => (ni.publicIp ? [ni.publicIp] : []),
  "private-ip-address": (ni) => [ni.privateIp],
  description: (ni) => [ni.description],
};

export const describeNetworkInterfaces: ActionHandler = {
  readOnly: true,
  paginated: true,
  run({ params, region, repeatNextToken }) {
    const ids = params.list("NetworkInterfaceId");
    // As on AWS: naming interfaces and asking for pages do not go together.
    if (ids.length > 0 && params.get("MaxResults") !== undefined) {
      throw errors.invalidParameterValue("The parameter NetworkInterfaceIds cannot be used with the parameter MaxResults");
    }
    let list = ids.length > 0 ? ids.map((id) => getInterface(region, id)) : [...region.interfaces.values()];
    list = applyFilters(list, parseFilters(params), (ni, name) => FIELDS[name]?.(ni), (name) => name in FIELDS);
    const { page, nextToken } = paginate(list, (ni) => ni.interfaceId, params, { repeatToken: repeatNextToken });
    return itemList("networkInterfaceSet", page.map((ni) => networkInterfaceXml(region, ni))) + text("nextToken", nextToken);
  },
};
