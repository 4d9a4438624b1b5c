// A sample alert for `sgwatch test-email`: what a real drift email looks like,
// clearly marked as a test.
import type { DriftAlert } from "../model/alert-payload.js";

export function sampleDriftAlert(now: Date, target: { account: string; region: string; label: string | null }): DriftAlert {
  const base = { vpcId: "vpc-0d3e40a1b2c3d4e5f", oldDescription: null, before: null, after: null, reverts: null };
  return {
    type: "drift",
    target: { ...target, label: `${target.label ?? "sgwatch"} [TEST EMAIL]` },
    pollId: 0,
    detectedAt: now.toISOString(),
    intervalStart: new Date(now.getTime() - 300_000).toISOString(),
    changes: [
      {
        ...base,
        changeId: 0,
        kind: "rule-added",
        severity: "critical",
        groupId: "sg-0123456789abcdef0",
        groupName: "bastion (sample)",
        rule: { direction: "ingress", protocol: "tcp", fromPort: 22, toPort: 22, sourceKind: "ipv4", source: "0.0.0.0/0", sourceAccount: null, peeringId: null, description: "sample" },
        approvalNote: null,
      },
      {
        ...base,
        changeId: 0,
        kind: "rule-added",
        severity: "medium",
        groupId: "sg-0fedcba9876543210",
        groupName: "app (sample)",
        rule: { direction: "ingress", protocol: "tcp", fromPort: 8443, toPort: 8443, sourceKind: "ipv4", source: "10.0.0.0/8", sourceAccount: null, peeringId: null, description: null },
        approvalNote: "CHG-1043 allows 10.20.0.0/16 but 10.0.0.0/8 was opened",
      },
    ],
  };
}
