import { errors } from "../errors.js";
import { applyFilters } from "../filters.js";
import { parseFilters } from "../query-params.js";
import { itemList, text } from "../xml.js";
import type { ActionHandler } from "./context.js";

const endpointOf = (region: string): string => `ec2.${region}.amazonaws.com`;
const OPT_IN = "opt-in-not-required";

export const describeRegions: ActionHandler = {
  readOnly: true,
  run({ params, regions }) {
    const names = params.list("RegionName");
    for (const n of names) if (!regions.includes(n)) throw errors.invalidParameterValue(`Invalid region: ${n}`);
    const chosen = names.length > 0 ? regions.filter((r) => names.includes(r)) : [...regions];
    const fields: Record<string, (r: string) => string[]> = {
      "region-name": (r) => [r],
      endpoint: (r) => [endpointOf(r)],
      "opt-in-status": () => [OPT_IN],
    };
    const shown = applyFilters(chosen, parseFilters(params), (r, name) => fields[name]?.(r), (name) => name in fields);
    return itemList(
      "regionInfo",
      shown.map((r) => text("regionName", r) + text("regionEndpoint", endpointOf(r)) + text("optInStatus", OPT_IN)),
    );
  },
};
