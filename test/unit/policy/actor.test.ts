// The actor policy (pure): which condition a caller fails, for users, role
// sessions (matched by their role's ARN too), AWS services (no address to
// check), IPv4 and IPv6 sources, and VPC endpoints.
import { describe, expect, it } from "vitest";
import { actorProblems, principalMatches, principalPatternProblem, type ActorFacts } from "../../../src/policy/actor.js";

const facts = (over: Partial<ActorFacts> = {}): ActorFacts => ({
  identityArn: "arn:aws:iam::111111111111:user/alice",
  identityType: "IAMUser",
  issuerArn: null,
  invokedBy: null,
  sourceIp: "10.1.2.3",
  vpcEndpointId: null,
  ...over,
});
const session = facts({ identityArn: "arn:aws:sts::111111111111:assumed-role/deploy-web/pipeline-42", identityType: "AssumedRole" });
const conditions = (policy: Parameters<typeof actorProblems>[0], f: ActorFacts) => actorProblems(policy, f).map((p) => p.condition);

describe("principal patterns", () => {
  it.each([
    ["arn:aws:iam::*:role/deploy-*", session, true],
    ["arn:aws:iam::111111111111:role/deploy-web", session, true],
    ["arn:aws:sts::*:assumed-role/deploy-*/pipeline-*", session, true],
    ["arn:aws:iam::*:role/deploy-*", facts(), false],
    ["arn:aws:iam::*:user/alice", facts(), true],
    ["arn:aws:iam::*:user/ali?e", facts(), true],
    ["arn:aws:iam::222222222222:user/alice", facts(), false],
    ["autoscaling.amazonaws.com", facts({ identityArn: null, identityType: "AWSService", sourceIp: "autoscaling.amazonaws.com" }), true],
    ["autoscaling.amazonaws.com", facts({ invokedBy: "autoscaling.amazonaws.com" }), true],
    ["autoscaling.amazonaws.com", facts(), false],
  ])("%s matches %j: %s", (pattern, f, expected) => {
    expect(principalMatches([pattern], f)).toBe(expected);
  });

  it("refuses what is neither an ARN nor a service principal", () => {
    expect(principalPatternProblem("deploy-*")).toMatch(/neither an ARN pattern/);
    expect(principalPatternProblem("arn:aws:iam")).toMatch(/is not an ARN/);
    expect(principalPatternProblem("ec2.amazonaws.com")).toBeNull();
  });
});

describe("actorProblems", () => {
  const policy = { principals: ["arn:aws:iam::*:user/alice"], networks: ["10.0.0.0/8", "2001:db8::/32"], vpcEndpoints: ["vpce-0aaa"] };

  it("an allowed caller has no problem", () => {
    expect(actorProblems(policy, facts())).toEqual([]);
    expect(actorProblems(policy, facts({ sourceIp: "2001:db8::7", vpcEndpointId: "vpce-0aaa" }))).toEqual([]);
  });

  it("names each failed condition", () => {
    expect(conditions(policy, facts({ identityArn: "arn:aws:iam::111111111111:user/mallory" }))).toEqual(["principal"]);
    expect(conditions(policy, facts({ sourceIp: "203.0.113.66" }))).toEqual(["network"]);
    expect(conditions(policy, facts({ sourceIp: "2001:db9::1" }))).toEqual(["network"]);
    expect(conditions(policy, facts({ vpcEndpointId: "vpce-0bad" }))).toEqual(["vpc-endpoint"]);
    expect(conditions(policy, facts({ identityArn: "arn:aws:iam::1:user/x", sourceIp: "198.51.100.1", vpcEndpointId: "vpce-0bad" }))).toEqual(["principal", "network", "vpc-endpoint"]);
    expect(actorProblems(policy, facts({ sourceIp: "203.0.113.66" }))[0]?.message).toBe("source address 203.0.113.66 is not in the allowed networks (10.0.0.0/8, 2001:db8::/32)");
  });

  it("a service calling on its own has no address to check; a list left out is no condition", () => {
    expect(conditions({ networks: ["10.0.0.0/8"] }, facts({ identityType: "AWSService", sourceIp: "autoscaling.amazonaws.com" }))).toEqual([]);
    expect(conditions({ networks: ["10.0.0.0/8"] }, facts({ identityArn: "arn:aws:iam::1:user/anyone", vpcEndpointId: "vpce-any" }))).toEqual([]);
  });
});
