// The unexpected-actor alert as mail and route see it: critical subject, each
// failed condition, the guardrail too; CloudTrail's text (an ARN, a user
// agent) is untrusted and reaches the mail only through the sanitiser; the
// routes filter it by the change's severity like drift.
import { describe, expect, it } from "vitest";
import { renderEmail } from "../../../src/alerts/render/email.js";
import { routeAlert } from "../../../src/alerts/route.js";
import type { AlertChange, UnexpectedActorAlert } from "../../../src/model/alert-payload.js";

const HOSTILE = "arn:aws:iam::111111111111:user/x\u001b[2J\r\nFAKE: all clear";
const change: AlertChange = {
  changeId: 7,
  kind: "rule-added",
  severity: "critical",
  groupId: "sg-0abc",
  groupName: "bastion",
  vpcId: null,
  rule: { direction: "ingress", protocol: "tcp", fromPort: 22, toPort: 22, sourceKind: "ipv4", source: "0.0.0.0/0", sourceAccount: null, peeringId: null, description: null },
  oldDescription: null,
  before: null,
  after: null,
  approvalNote: null,
  guardrail: { id: "no-world-admin", reason: "never SSH from the internet" },
  attribution: { actorArn: HOSTILE, actorName: "x", accessKeyId: "AKIAEXAMPLE", sourceIp: "203.0.113.66", userAgent: "curl\u0007", eventName: "AuthorizeSecurityGroupIngress", eventTime: "2026-03-02T10:01:00Z", eventId: "e-1" },
};
const alert = (over: Partial<UnexpectedActorAlert["items"][number]> = {}): UnexpectedActorAlert => ({
  type: "unexpected-actor",
  items: [{ target: { account: "111111111111", region: "us-east-1", label: "prod" }, detectedAt: "2026-03-02T10:05:00Z", change, verdict: "unexpected", problems: [`principal ${HOSTILE} is not allowed to change security groups (allowed: none)`, "source address 203.0.113.66 is not in the allowed networks (10.0.0.0/8)"], approvalId: "CHG-1", ...over }],
});

describe("unexpected-actor email", () => {
  it("is critical, names each failed condition, the covering record and the guardrail, and carries no control character", () => {
    const m = renderEmail(alert());
    expect(m.subject).toBe("[sgwatch] CRITICAL: unexpected actor: #7 bastion in prod (111111111111) us-east-1");
    expect(m.text).toContain("UNEXPECTED ACTOR: made from outside the actor policy");
    expect(m.text).toContain("covering record: CHG-1");
    expect(m.text).toContain("- source address 203.0.113.66 is not in the allowed networks (10.0.0.0/8)");
    expect(m.text).toContain("breaks guardrail no-world-admin");
    // eslint-disable-next-line no-control-regex
    expect(m.text.split("\n").filter((l) => /[\u0000-\u0008\u000b-\u001f\u007f]/.test(l))).toEqual([]);
    expect(m.text).not.toMatch(/^FAKE: all clear/m);
    expect(m.html).not.toContain("\u001b");
  });

  it("a reply in the drift alert's thread when it has one", () => {
    const m = renderEmail({ ...alert(), thread: { pollId: 3, detectedAt: "2026-03-02T10:05:00Z", subject: "[sgwatch] CRITICAL bastion: tcp/22 opened" } });
    expect(m.subject).toBe("Re: [sgwatch] CRITICAL bastion: tcp/22 opened");
  });

  it("is routed by the change's severity, like drift", () => {
    const routes = [{ channel: "log", minSeverity: "low" as const }, { channel: "email", minSeverity: "high" as const }];
    expect(routeAlert(routes, alert()).map((r) => [r.channel, r.severity])).toEqual([["log", "critical"], ["email", "critical"]]);
    const notBy = alert({ verdict: "not-by", change: { ...change, severity: "medium", guardrail: null } });
    expect(routeAlert(routes, notBy).map((r) => r.channel)).toEqual(["log"]);
  });
});
