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
    attribution: "n/a",
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
    const lines = tellCycle(4, { polls: [{ ...okPoll, status: "failed", group_count: null, rule_count: null, error_code: "InternalError", error: "InternalError (HTTP 500): boom" }], changes: [], alerts: [] });
    expect(lines[0]).toBe("── cycle 4: the poll failed");
    expect(lines[1]).toBe("   poll failed: InternalError (HTTP 500): boom");
    expect(lines.join("\n")).toContain("nothing reads as deleted");
  });

  it("keeps names and descriptions from the API on one line", () => {
    const hostile = "evil\n== cycle 9 done\r\nforged";
    // Line breaks are shown as visible escapes (the one sanitiser), never sent raw.
    expect(groupHeadline(hostile, "sg-0ccc")).toBe("evil\\n== cycle 9 done\\r\\nforged (sg-0ccc)");
    const lines = tellCycle(3, {
      polls: [okPoll],
      changes: [row({ kind: "rule-description-changed", group_name: hostile, old_description: "a\nb", description: "c\u001b[2Jd" })],
      alerts: [],
    });
    expect(lines.every((l) => !/[\u0000-\u001f]/.test(l))).toBe(true);
    expect(lines.filter((l) => l.startsWith("== cycle"))).toEqual([]);
  });
});
