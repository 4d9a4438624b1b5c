// The posture report's renderer with hostile text in every field that comes
// from AWS or the config: no line break, no Markdown column, no HTML tag or
// terminal control sequence gets through.
import { describe, expect, it } from "vitest";
import { renderReport } from "../../../src/alerts/render/report.js";
import type { PostureReport } from "../../../src/model/posture-report.js";

const HOSTILE = "evil|name\n<script>x</script>\u001b[31m`";

const report: PostureReport = {
  generatedAt: "2026-03-02T10:00:00.000Z",
  targets: [
    {
      account: "123456789012",
      region: "us-east-1",
      label: HOSTILE,
      blindSince: null,
      trailBlindSince: null,
      lastPollAt: "2026-03-02T10:00:00.000Z",
      findings: [
        {
          groupId: "sg-1",
          groupName: HOSTILE,
          rule: { direction: "ingress", protocol: "tcp", fromPort: 22, toPort: 22, sourceKind: "ipv4", source: "0.0.0.0/0", sourceAccount: null, peeringId: null, description: null },
          severity: "critical",
          reasons: ["guardrail", "world-open-sensitive"],
          guardrail: { id: "g1", reason: HOSTILE },
          exposure: null,
          revokeCommand: null,
        },
      ],
    },
  ],
  openChanges: [],
  approvalsExpiring: [],
  approvalsUnused: [],
  ignore: [{ index: 0, selects: "group name eks-*", reason: HOSTILE, until: "2099-01-01T00:00:00Z", active: true }],
};

describe("renderReport with hostile text", () => {
  it("text: one line per row, no escape character", () => {
    const out = renderReport(report, "text");
    expect(out).not.toContain("\u001b");
    expect(out).not.toMatch(/<script>x<\/script>\n/);
    const row = out.split("\n").find((l) => l.includes("sg-1 (evil"));
    expect(row).toContain("<script>");
  });

  it("md: pipes and backticks escaped, so a name cannot add a column", () => {
    const out = renderReport(report, "md");
    const row = out.split("\n").find((l) => l.startsWith("| critical |"));
    expect(row).toContain("evil\\|name");
    expect(row?.split(/(?<!\\)\|/).length).toBe(7); // 5 cells between 6 pipes
    expect(out).not.toContain("\u001b");
  });

  it("html: tags escaped", () => {
    const out = renderReport(report, "html");
    expect(out).not.toContain("<script>");
    expect(out).toContain("&lt;script&gt;");
  });
});
