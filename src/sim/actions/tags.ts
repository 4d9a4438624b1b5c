// CreateTags and DeleteTags on security groups and their rules.

import { parseTags } from "../query-params.js";
import { text } from "../xml.js";
import type { ActionHandler } from "./context.js";

export const createTags: ActionHandler = {
  readOnly: false,
  run({ params, region, caller }) {
    region.createTags(params.list("ResourceId"), parseTags(params), caller);
    return text("return", true);
  },
};

export const deleteTags: ActionHandler = {
  readOnly: false,
  run({ params, region, caller }) {
    // A Tag.N given without Value removes the key whatever its value.
    const tags = params.structs("Tag").map((t) => {
      const value = t.get("Value");
      return value === undefined ? { key: t.required("Key") } : { key: t.required("Key"), value };
    });
    region.deleteTags(params.list("ResourceId"), tags, caller);
    return text("return", true);
  },
};
