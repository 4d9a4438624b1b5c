// The actor verdict (pure), the one decision for a change a poll saw and a
// short-lived opening alike: the actor policy first (unexpected, whatever
// record covers the change), then the covering record's by: (not-by; no
// caller known: unverified), else allowed, or nothing to decide.
import { describe, expect, it } from "vitest";
import { decideActor } from "../../../src/policy/actor-verdict.js";
import type { ActorFacts } from "../../../src/policy/actor.js";

const ALICE = "arn:aws:iam::111111111111:user/alice";
const caller = (over: Partial<ActorFacts> = {}): ActorFacts => ({ identityArn: ALICE, identityType: "IAMUser", issuerArn: null, invokedBy: null, sourceIp: "10.1.2.3", vpcEndpointId: null, ...over });
const approved = { status: "approved" as const, approvalId: "CHG-7", approvalNote: null };
const unapproved = { status: "unapproved" as const, approvalId: null, approvalNote: "no approval record covers it" };
const policy = { principals: [ALICE], networks: ["10.0.0.0/8"] };

describe("decideActor", () => {
  it("an approved change from outside the networks is unexpected, naming the record that would have covered it", () => {
    expect(decideActor(approved, caller({ sourceIp: "203.0.113.66" }), policy, [ALICE])).toEqual({
      verdict: "unexpected",
      problems: ["source address 203.0.113.66 is not in the allowed networks (10.0.0.0/8)"],
      note: "CHG-7 would cover it, but it was made by an unexpected actor: source address 203.0.113.66 is not in the allowed networks (10.0.0.0/8)",
    });
  });

  it("an allowed caller who is not the record's by: is not-by", () => {
    const d = decideActor(approved, caller(), policy, ["arn:aws:iam::*:role/deploy-*"]);
    expect(d?.verdict).toBe("not-by");
    expect(d?.problems).toEqual([`made by ${ALICE}, but record CHG-7 approves it only when made by arn:aws:iam::*:role/deploy-*`]);
  });

  it("no caller known: unverified only when the covering record names one; the policy cannot be held", () => {
    expect(decideActor(approved, null, policy, [ALICE])?.verdict).toBe("unverified");
    expect(decideActor(approved, null, policy, null)).toBeNull();
    expect(decideActor(unapproved, null, policy, null)).toBeNull();
  });

  it("allowed keeps an unapproved change's note and clears an approved one's; nothing to check decides nothing", () => {
    expect(decideActor(approved, caller(), policy, [ALICE])).toEqual({ verdict: "allowed", problems: [], note: null });
    expect(decideActor(unapproved, caller(), policy, null)).toEqual({ verdict: "allowed", problems: [], note: "no approval record covers it" });
    expect(decideActor(unapproved, caller(), null, null)).toBeNull();
    expect(decideActor(approved, caller(), {}, null)).toBeNull();
  });
});
