// Config pieces that pick security groups by name and tags, for alert routes
// and the ignore list. Validated here, so a bad pattern is a config problem
// at its key and line, not a surprise at the first alert.
import { z } from "zod";
import { namePatternProblem } from "../model/group-pattern.js";

/** One pattern or a list: "eks-*", "/^k8s-elb-/". */
export const namePatterns = z
  .union([z.string(), z.array(z.string()).min(1, { message: "list at least one pattern" })], {
    message: 'expected a glob like "eks-*", a /regular expression/, or a list of them',
  })
  .transform((v) => (Array.isArray(v) ? v : [v]))
  .superRefine((list, ctx) => {
    list.forEach((p, i) => {
      const problem = namePatternProblem(p);
      if (problem) ctx.addIssue({ code: "custom", path: list.length > 1 ? [i] : [], message: `"${p}" ${problem}` });
    });
  });

/** Tag conditions: key → value, or "*" for "present, any value". */
export const tagConditions = z
  .record(z.string().min(1), z.union([z.string().min(1), z.number(), z.boolean()], { message: 'expected the tag value, or "*" for any value' }))
  .transform((tags) => Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, String(v)])))
  .refine((tags) => Object.keys(tags).length > 0, { message: "name at least one tag" });
