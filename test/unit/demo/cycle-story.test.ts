// The demo's per-cycle story from stored facts: worst change first, headlined
// by group name with its id, the decision and its reason, the channels; and
// text that came from the API (group names, descriptions) kept on one line.
import { describe, expect, it } from "vitest";
import { groupHeadline, tellCycle, type CycleFacts } from "../../../src/demo/cycle-story.js";
import type { ChangeViewRow } from "../../../src/store/view-rows.js";

function row(over: Partial<ChangeViewRow>): ChangeViewRow {
  return {
    id: 1,
    time: "2026-03-02T10:00:00.000Z",
    account: "123456789012",
    region: "us-east-1",
    group_id: "sg-0aaa",
    group_name: "app",
    kind: "rule-added",
    direction: "ingress",
    protocol: "tcp",
    ports: "443",
    source: "10.0.0.0/8",
    severity: "medium",
    status: "unapproved",
    approval_id: null,
    acked_by: null,
    ack_reason: null,
    ack_ticket: null,
    reverted_at: null,
    exposure: null,
    detected_status: "unapproved",
    description: null,
    old_description: null,
    before: null,
    after: null,
    approval_note: null,
    since_previous_poll: null,
    poll_id: 2,
    who: null,
    who_ip: null,
    who_key: null,
    who_match: null,
    guardrail: null,
    guardrail_reason: null,
    closes: null,
    interface_id: null,
    interface_kind: null,
    instance_id: null,
    public_ip: null,
    attribution: "n/a",
    changed_at: "2026-03-02T10:00:00.000Z",
    changed_from: "poll",
    undone_at: null,
    undone_from: null,
    ...over,
  };
}

const okPoll = { status: "ok", baseline: 0, group_count: 5, rule_count: 19, error_code: null, error: null };

describe("tellCycle", () => {
  it("puts the worst change first, by name and id, with what was decided, why, and where it was alerted", () => {
    const facts: CycleFacts = {
      polls: [okPoll],
      changes: [
        row({ id: 1, approval_id: "CHG-1042", detected_status: "approved", status: "approved" }),
        row({ id: 2, group_id: "sg-0bbb", group_name: "bastion", ports: "22", source: "0.0.0.0/0", severity: "critical", who: "arn:aws:iam::123456789012:user/deploy-bot" }),
      ],
      alerts: [
        { id: 1, channel: "log", kind: "drift", payload: JSON.stringify({ changes: [{ changeId: 2 }] }) },
        { id: 2, channel: "email", kind: "drift", payload: JSON.stringify({ changes: [{ changeId: 2 }] }) },
      ],
      groupNames: {},
    };
    expect(tellCycle(2, facts)).toEqual([
      "── cycle 2: 2 changes found (5 groups, 19 rules)",
      "   CRITICAL #2 bastion (sg-0bbb): added ingress tcp/22 from 0.0.0.0/0 — anyone on the internet",
      "            unapproved: no approval record covers it → alerted (log, email); by user/deploy-bot",
      "   MEDIUM   #1 app (sg-0aaa): added ingress tcp/443 from 10.0.0.0/8",
      "            approved by CHG-1042, so no alert",
    ]);
  });

  it("says a failed poll changed nothing", () => {
    const lines = tellCycle(4, { polls: [{ ...okPoll, status: "failed", group_count: null, rule_count: null, error_code: "InternalError", error: "InternalError (HTTP 500): boom" }], changes: [], alerts: [], groupNames: {} });
    expect(lines[0]).toBe("── cycle 4: the poll failed");
    expect(lines[1]).toBe("   poll failed: InternalError (HTTP 500): boom");
    expect(lines.join("\n")).toContain("nothing reads as deleted");
  });

  it("leads with a burst of refused calls as one failed-attempts alert: who, what, how often, which key, from where", () => {
    const payload = JSON.stringify({
      type: "failed-attempts",
      severity: "critical",
      identity: { arn: "arn:aws:iam::123456789012:user/deploy-bot", type: "IAMUser", accessKeyIds: ["AKIADEMOSTOLENKEY999"] },
      count: 3,
      sources: [{ sourceIp: "203.0.113.66", userAgent: "aws-sdk-js", vpcEndpointId: null }],
      attempts: [1, 2, 3].map(() => ({ time: "2026-03-02T10:00:00.000Z", eventName: "AuthorizeSecurityGroupIngress", errorCode: "Client.UnauthorizedOperation", groupId: "sg-0bbb", rules: "add ingress TCP 3389 from 0.0.0.0/0", severity: "critical" })),
    });
    const lines = tellCycle(3, {
      polls: [okPoll],
      changes: [row({ id: 4, severity: "low" })],
      alerts: [
        { id: 1, channel: "log", kind: "failed-attempts", payload },
        { id: 2, channel: "email", kind: "failed-attempts", payload },
      ],
      groupNames: { "sg-0bbb": "bastion" },
    });
    expect(lines.slice(0, 3)).toEqual([
      "── cycle 3: 1 change found (5 groups, 19 rules)",
      "   CRITICAL denied 3 times: user/deploy-bot tried to add ingress TCP 3389 from 0.0.0.0/0 on bastion (sg-0bbb)",
      "            key AKIADEMOSTOLENKEY999 from 203.0.113.66; refused, so nothing changed → one failed-attempts alert (log, email)",
    ]);
    expect(lines.filter((l) => l.includes("failed-attempts"))).toHaveLength(1);
  });

  it("keeps what CloudTrail recorded about a refused caller on one line", () => {
    const payload = JSON.stringify({
      severity: "high",
      identity: { arn: "arn:aws:iam::123456789012:user/x\n== cycle 9 done", accessKeyIds: ["AKIA\u001b[2J"] },
      count: 1,
      sources: [{ sourceIp: "1.2.3.4\r\nforged" }],
      attempts: [{ groupId: "sg-0ccc", rules: "add ingress TCP 22 from 0.0.0.0/0\nforged" }],
    });
    const lines = tellCycle(3, { polls: [okPoll], changes: [], alerts: [{ id: 1, channel: "log", kind: "failed-attempts", payload }], groupNames: { "sg-0ccc": "evil\nname" } });
    expect(lines.every((l) => !/[\u0000-\u001f]/.test(l))).toBe(true);
    expect(lines.filter((l) => l.startsWith("== cycle"))).toEqual([]);
    expect(lines[1]).toContain("denied once");
  });

  it("keeps names and descriptions from the API on one line", () => {
    const hostile = "evil\n== cycle 9 done\r\nforged";
    // Line breaks are shown as visible escapes (the one sanitiser), never sent raw.
    expect(groupHeadline(hostile, "sg-0ccc")).toBe("evil\\n== cycle 9 done\\r\\nforged (sg-0ccc)");
    const lines = tellCycle(3, {
      polls: [okPoll],
      changes: [row({ kind: "rule-description-changed", group_name: hostile, old_description: "a\nb", description: "c\u001b[2Jd" })],
      alerts: [],
      groupNames: {},
    });
    expect(lines.every((l) => !/[\u0000-\u001f]/.test(l))).toBe(true);
    expect(lines.filter((l) => l.startsWith("== cycle"))).toEqual([]);
  });

  it("tells the baseline's posture alert (its items are rules, not changes)", () => {
    const payload = JSON.stringify({ type: "posture", items: [{ groupId: "sg-1", severity: "critical" }, { groupId: "sg-2", severity: "high" }] });
    const lines = tellCycle(1, { polls: [{ ...okPoll, baseline: 1 }], changes: [], alerts: [{ id: 1, channel: "email", kind: "posture", payload }], groupNames: {} });
    expect(lines).toContain("   also alerted (email): posture at the baseline: 2 current rule(s) need attention");
  });
});
