// The transient alert's words and routing: every CloudTrail field (ARN, key,
// address, user agent, event name) is untrusted and reaches the mail, the log
// line and the story one-lined, escapes visible; items are routed like drift
// (by group tags and each channel's minSeverity).
import { describe, expect, it } from "vitest";
import { renderEmail } from "../../../src/alerts/render/email.js";
import { transientLine } from "../../../src/alerts/render/transient.js";
import { routeAlert, type ChannelRoute } from "../../../src/alerts/route.js";
import type { AlertChange, TransientAlert, TransientItem } from "../../../src/model/alert-payload.js";
import type { Severity } from "../../../src/model/types.js";

const target = { account: "123456789012", region: "eu-west-1", label: "prod" };

function item(id: number, severity: Severity, over: Partial<TransientItem> = {}, tags: Record<string, string> = {}): TransientItem {
  const change: AlertChange = {
    changeId: id,
    kind: "rule-added",
    severity,
    groupId: `sg-${String(id).padStart(8, "0")}`,
    groupName: "db",
    vpcId: null,
    rule: { direction: "ingress", protocol: "tcp", fromPort: 3306, toPort: 3306, sourceKind: "ipv4", source: "0.0.0.0/0", sourceAccount: null, peeringId: null, description: null },
    oldDescription: null,
    before: null,
    after: null,
    approvalNote: null,
    groupTags: tags,
  };
  const call = { eventName: "AuthorizeSecurityGroupIngress", eventId: "e-1", arn: "arn:aws:iam::123456789012:user/mallory", accessKeyId: "AKIAEXAMPLE0000001", sourceIp: "203.0.113.9", userAgent: "aws-cli/2" };
  return {
    change,
    openedAt: "2026-03-02T11:32:19.000Z",
    closedAt: "2026-03-02T11:32:39.000Z",
    seconds: 20,
    openedBy: call,
    closedBy: { ...call, eventName: "RevokeSecurityGroupIngress", eventId: "e-2" },
    previousPollAt: "2026-03-02T11:30:00.000Z",
    nextPollAt: "2026-03-02T11:35:00.000Z",
    ...over,
  };
}

describe("transient alert", () => {
  it("says what was open, how long, when, by whom and from where, and that no poll saw it", () => {
    expect(transientLine(item(1, "critical"))).toBe(
      "tcp/3306 was open to 0.0.0.0/0 for 20 s, 2026-03-02 11:32:19–11:32:39 UTC, by arn:aws:iam::123456789012:user/mallory (key AKIAEXAMPLE0000001) from 203.0.113.9; no poll saw it",
    );
  });

  it("keeps hostile CloudTrail fields on one line, escapes visible, in the subject and every line of the mail", () => {
    const hostile = item(2, "high", {
      openedBy: { eventName: "Authorize\nX-Injected: yes", eventId: "e\u001b[2J", arn: "arn:aws:iam::1:user/a\u202eb", accessKeyId: "AKIA\r\nBcc: x@evil", sourceIp: "203.0.113.9\u0007", userAgent: "ua\u001b]0;pwned\u0007" },
    });
    const mail = renderEmail({ type: "transient", target, items: [hostile] });
    expect(mail.subject).not.toMatch(/[\r\n]/);
    for (const raw of ["\u001b", "\u202e", "\u0007", "\r", "X-Injected: yes\n", "Bcc: x@evil\n"]) expect(mail.text).not.toContain(raw);
    expect(mail.text).toContain("user/a\\u202eb");
    expect(mail.text).toContain("AKIA\\r\\nBcc: x@evil");
    expect(mail.html).not.toContain("\u001b");
  });

  it("says which actor condition failed, as the unexpected-actor alert words it, with the problem one-lined", () => {
    const problem = "source address 203.0.113.9\u001b[2J is not in the allowed networks (10.0.0.0/8)";
    const mail = renderEmail({ type: "transient", target, items: [item(3, "critical", { actor: { verdict: "unexpected", problems: [problem], approvalId: "CHG-7" } })] });
    expect(mail.subject).toBe("[sgwatch] CRITICAL db: tcp/3306 was open to 0.0.0.0/0 for 20 s between two polls; no poll saw it; unexpected actor");
    expect(mail.text).toContain("UNEXPECTED ACTOR: made from outside the actor policy (cloudtrail.actors), so no approval covers it; covering record: CHG-7");
    expect(mail.text).toContain("- source address 203.0.113.9\\x1b[2J is not in the allowed networks (10.0.0.0/8)");
    expect(mail.text).not.toContain("\u001b");
    const notBy = renderEmail({ type: "transient", target, items: [item(4, "medium", { actor: { verdict: "not-by", problems: ["made by x, but record CHG-7 approves it only when made by y"], approvalId: "CHG-7" } })] });
    expect(notBy.subject).toMatch(/; not made by whom the approval names$/);
    expect(notBy.text).toContain("NOT APPROVED: made by someone other than the approving record names (by:)");
  });

  it("is routed like drift: each item where its change would go, filtered by minSeverity", () => {
    const routes: ChannelRoute[] = [
      { channel: "log", minSeverity: "low" },
      { channel: "email", minSeverity: "high", route: "default" },
      {
        channel: "email:data",
        minSeverity: "low",
        route: { name: "data", index: 0, mode: "first", match: { tags: { team: "data" } } },
      },
    ];
    const payload: TransientAlert = { type: "transient", target, items: [item(3, "critical", {}, { team: "data" }), item(4, "medium"), item(5, "critical")] };
    const routed = routeAlert(routes, payload);
    const ids = (channel: string): number[] => {
      const r = routed.find((x) => x.channel === channel);
      return r && r.payload.type === "transient" ? r.payload.items.map((i) => i.change.changeId) : [];
    };
    expect(ids("log")).toEqual([3, 4, 5]);
    expect(ids("email")).toEqual([5]);
    expect(ids("email:data")).toEqual([3]);
    expect(routed.find((x) => x.channel === "email")?.severity).toBe("critical");
  });
});
