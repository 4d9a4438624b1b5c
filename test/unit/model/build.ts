// Small builders for model tests: a canonical rule or group with defaults, so
// each case states only what it is about.

import type { SecurityGroup } from "@aws-sdk/client-ec2";
import type { GroupState, Rule } from "../../../src/model/types.js";

export const OWNER = "111111111111";

export function rule(over: Partial<Rule> = {}): Rule {
  return {
    direction: "ingress",
    protocol: "tcp",
    fromPort: 443,
    toPort: 443,
    sourceKind: "ipv4",
    source: "10.0.0.0/8",
    sourceAccount: null,
    peeringId: null,
    description: null,
    ...over,
  };
}

/** The egress rule every new VPC group is born with. */
export const DEFAULT_EGRESS: Rule = rule({ direction: "egress", protocol: "all", fromPort: null, toPort: null, source: "0.0.0.0/0" });

export function group(over: Partial<GroupState> = {}): GroupState {
  return {
    groupId: "sg-0abc",
    name: "web",
    description: "web tier",
    vpcId: "vpc-1",
    ownerId: OWNER,
    tags: {},
    rules: [],
    ...over,
  };
}

export function rawGroup(over: Partial<SecurityGroup> = {}): SecurityGroup {
  return { GroupId: "sg-0abc", GroupName: "web", Description: "web tier", VpcId: "vpc-1", OwnerId: OWNER, ...over };
}
