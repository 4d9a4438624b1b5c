// Which failures are attempts, and what they would have been. Pure tables.
import { describe, expect, it } from "vitest";
import { isAuthorizationFailure, wouldBeSeverity } from "../../../src/trail/failed-attempts.js";
import { DEFAULT_SEVERITY_SETTINGS } from "../../../src/model/severity.js";
import type { Rule } from "../../../src/model/types.js";

const rule = (over: Partial<Rule>): Rule => ({
  direction: "ingress",
  protocol: "tcp",
  fromPort: 22,
  toPort: 22,
  sourceKind: "ipv4",
  source: "0.0.0.0/0",
  sourceAccount: null,
  peeringId: null,
  description: null,
  ...over,
});
const none = { added: [], removed: [], described: [], modified: [] };

describe("isAuthorizationFailure", () => {
  it.each([
    ["Client.UnauthorizedOperation", true],
    ["UnauthorizedOperation", true],
    ["AccessDenied", true],
    ["AccessDeniedException", true],
    ["Client.AuthFailure", true],
    ["Client.OptInRequired", true],
    ["Client.DryRunOperation", false],
    ["Client.InvalidPermission.Duplicate", false],
    ["Client.InvalidParameterValue", false],
    ["Server.InternalError", false],
    ["Client.RequestLimitExceeded", false],
    [null, false],
  ])("%s → %s", (code, expected) => {
    expect(isAuthorizationFailure(code)).toBe(expected);
  });
});

describe("wouldBeSeverity", () => {
  const s = DEFAULT_SEVERITY_SETTINGS;
  it("judges each rule as the change it asked for, worst first", () => {
    expect(wouldBeSeverity("AuthorizeSecurityGroupIngress", { ...none, added: [rule({})] }, "sg-1", s)).toBe("critical");
    expect(wouldBeSeverity("AuthorizeSecurityGroupIngress", { ...none, added: [rule({ fromPort: 443, toPort: 443 })] }, "sg-1", s)).toBe("high");
    expect(wouldBeSeverity("AuthorizeSecurityGroupIngress", { ...none, added: [rule({ source: "10.0.0.0/8" }), rule({ fromPort: 3389, toPort: 3389 })] }, "sg-1", s)).toBe("critical");
    expect(wouldBeSeverity("RevokeSecurityGroupIngress", { ...none, removed: [rule({})] }, "sg-1", s)).toBe("low");
  });

  it("takes a modified rule as an opening (the call does not say the direction)", () => {
    expect(wouldBeSeverity("ModifySecurityGroupRules", { ...none, modified: [{ ruleId: "sgr-1", rule: rule({ direction: "egress" }) }] }, "sg-1", s)).toBe("critical");
  });

  it("judges calls without rules by their kind", () => {
    expect(wouldBeSeverity("DeleteSecurityGroup", none, "sg-1", s)).toBe("medium");
    expect(wouldBeSeverity("CreateTags", none, "sg-1", s)).toBe("low");
  });
});
