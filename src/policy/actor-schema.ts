// The actor policy's config schema (cloudtrail.actors, targets[].cloudtrail.actors):
// each pattern, network and endpoint checked here, so a typo is a config error
// with its key path and line, never a policy that silently allows everyone or no one.
import { z } from "zod";
import { networkProblem, principalPatternProblem, vpcEndpointProblem, type ActorPolicyConfig } from "./actor.js";

const checkedList = (problem: (s: string) => string | null) =>
  z.array(z.string().trim().min(1, { message: "must not be empty" })).superRefine((list, ctx) => {
    list.forEach((item, i) => {
      const p = problem(item);
      if (p !== null) ctx.addIssue({ code: "custom", path: [i], message: p });
    });
  });

/** { principals?, networks?, vpcEndpoints? }: each list given is one condition every change's caller must meet. */
export const actorPolicySchema = z
  .strictObject({
    /** ARN globs (arn:aws:iam::*:role/deploy-*) or service principals (autoscaling.amazonaws.com). */
    principals: checkedList(principalPatternProblem).optional(),
    /** CIDRs the calls may come from. */
    networks: checkedList(networkProblem).optional(),
    /** VPC endpoints (vpce-…) a call through an endpoint must have used. */
    vpcEndpoints: checkedList(vpcEndpointProblem).optional(),
  })
  .superRefine((p, ctx) => {
    if (p.principals === undefined && p.networks === undefined && p.vpcEndpoints === undefined) {
      ctx.addIssue({ code: "custom", message: "give at least one of principals, networks or vpcEndpoints (or leave actors out: no actor check)" });
    }
  }) satisfies z.ZodType<ActorPolicyConfig>;
