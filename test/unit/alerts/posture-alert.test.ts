// The posture alert through the router and every channel's words: routed by
// target like the monitor's own alerts (routes that pick groups by name or
// tag do not take it), each channel gets the findings it is severe enough
// for, and email, Slack and the generic webhook body all say the guardrail,
// the reasons and the revoke command.
import { describe, expect, it } from "vitest";
import { routeAlert, DEFAULT_ROUTE, type ChannelRoute } from "../../../src/alerts/route.js";
import type { OutboxAlert, PostureAlert, PostureItem } from "../../../src/model/alert-payload.js";
import { renderEmail } from "../../../src/alerts/render/email.js";
import { genericBody, slackBody } from "../../../src/alerts/channels/webhook.js";
import type { Severity } from "../../../src/model/types.js";

const target = { account: "123456789012", region: "eu-west-1", label: "prod" };
const REVOKE = `aws ec2 revoke-security-group-ingress --region eu-west-1 --group-id sg-1 --ip-permissions '[{"IpProtocol":"tcp","FromPort":22,"ToPort":22,"IpRanges":[{"CidrIp":"0.0.0.0/0"}]}]'`;

function item(groupId: string, severity: Severity, guardrail: boolean): PostureItem {
  return {
    groupId,
    groupName: `name\n<${groupId}>`,
    rule: { direction: "ingress", protocol: "tcp", fromPort: severity === "critical" ? 22 : 443, toPort: severity === "critical" ? 22 : 443, sourceKind: "ipv4", source: "0.0.0.0/0", sourceAccount: null, peeringId: null, description: null },
    severity,
    reasons: guardrail ? ["guardrail", "world-open-sensitive"] : ["world-open-public"],
    guardrail: guardrail ? { id: "no-world-ssh", reason: "SSH is never open to the internet" } : null,
    exposure: { interfaces: 1, publicInterfaces: 1, publicExamples: [{ interfaceId: "eni-1", instanceId: "i-1", kind: "instance", publicIp: "203.0.113.7" }], asOf: "2026-03-02T10:00:00.000Z" },
    revokeCommand: guardrail ? REVOKE : null,
  };
}

const posture: PostureAlert = { type: "posture", target, pollId: 1, at: "2026-03-02T10:00:00.000Z", items: [item("sg-1", "critical", true), item("sg-2", "high", false)], total: 2 };

describe("posture alert routing", () => {
  const routes: ChannelRoute[] = [
    { channel: "log", minSeverity: "low" },
    { channel: "email", minSeverity: "low", route: DEFAULT_ROUTE },
    { channel: "email:prod", minSeverity: "critical", route: { name: "prod", index: 0, mode: "all", match: { targets: ["prod"] } } },
    { channel: "email:payments", minSeverity: "low", route: { name: "payments", index: 1, mode: "all", match: { tags: { team: "payments" } } } },
  ];

  it("goes by target, with the findings each channel wants", () => {
    const out = Object.fromEntries(routeAlert(routes, posture).map((r) => [r.channel, { severity: r.severity, groups: (r.payload as PostureAlert).items.map((i) => i.groupId) }]));
    expect(out).toEqual({
      log: { severity: "critical", groups: ["sg-1", "sg-2"] },
      "email:prod": { severity: "critical", groups: ["sg-1"] },
    });
  });

  it("goes to the default when no route takes the target", () => {
    const out = routeAlert(routes, { ...posture, target: { ...target, label: "staging" } }).map((r) => r.channel);
    expect(out).toEqual(["log", "email"]);
  });

  it("sends nothing to a channel none of whose findings is severe enough", () => {
    const out = routeAlert(routes, { ...posture, items: [item("sg-2", "high", false)], total: 1 }).map((r) => r.channel);
    expect(out).toEqual(["log"]);
  });
});

describe("posture alert words", () => {
  const alert: OutboxAlert = { id: 9, createdAt: posture.at, severity: "critical", attempts: 0, payload: posture };

  it("email: subject, guardrail, reasons, revoke command, blast radius; names on one line and escaped in HTML", () => {
    const m = renderEmail(posture);
    expect(m.subject).toBe("[sgwatch] CRITICAL posture: 2 rules need attention in prod (123456789012) eu-west-1");
    expect(m.text).toContain("guardrail no-world-ssh: SSH is never open to the internet");
    expect(m.text).toContain(REVOKE);
    expect(m.text).toContain("open to the internet on a group with a public interface");
    expect(m.text).toContain("1 with a public IP");
    expect(m.text).not.toContain("name\n<");
    expect(m.html).not.toContain("<sg-1>");
    expect(m.html).toContain("&lt;sg-1&gt;");
  });

  it("says how many findings were cut from the alert, and where they all are", () => {
    const m = renderEmail({ ...posture, total: 150 });
    expect(m.subject).toContain("150 rules need attention");
    expect(m.text).toContain("…and 148 more: `sgwatch report` lists them all.");
  });

  it("slack and generic webhook bodies carry it", () => {
    expect(JSON.stringify(slackBody(alert))).toContain("no-world-ssh");
    const g = genericBody(alert);
    expect(g.type).toBe("posture");
    expect(g.payload).toEqual(posture);
  });
});
