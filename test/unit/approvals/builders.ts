// Builders for approval tests. Records are built through the real schema
// (parseApprovalRecord) so a test cannot hand the matcher a record that no
// file could produce.

import { parseApprovalRecord } from "../../../src/approvals/load.js";
import type { MatchContext } from "../../../src/approvals/match.js";
import type { ApprovalRecord } from "../../../src/approvals/schema.js";
import type { Change, Rule } from "../../../src/model/types.js";

/** Fixed reference: the approval window is 2026-12-01 18:00–20:00 UTC. */
export const FROM = "2026-12-01T18:00:00Z";
export const UNTIL = "2026-12-01T20:00:00Z";

/** A raw record (YAML-shaped) with overrides; defaults cover the default change(). */
export function rawRecord(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: "CHG-7",
    reason: "open HTTPS from the office",
    approvedBy: "alice",
    window: { from: FROM, until: UNTIL },
    groupId: "sg-0a",
    changes: [{ action: "add", protocol: "tcp", ports: 443, source: "10.0.0.0/16" }],
    ...over,
  };
}

/** A validated record; throws with the schema's messages when the raw record is invalid. */
export function record(over: Record<string, unknown> = {}): ApprovalRecord {
  const r = parseApprovalRecord(rawRecord(over), { kind: "cli" }, { maxWindowMs: 365 * 24 * 3600 * 1000 });
  if (!r.ok) throw new Error(`bad test record: ${r.errors.join("; ")}`);
  return r.record;
}

/** A record with one change entry (YAML-shaped) replacing the default. */
export function recordWith(entry: Record<string, unknown>, over: Record<string, unknown> = {}): ApprovalRecord {
  return record({ changes: [entry], ...over });
}

/** An ingress tcp/443 rule from 10.0.1.0/24, with overrides. */
export function rule(over: Partial<Rule> = {}): Rule {
  return {
    direction: "ingress",
    protocol: "tcp",
    fromPort: 443,
    toPort: 443,
    sourceKind: "ipv4",
    source: "10.0.1.0/24",
    sourceAccount: null,
    peeringId: null,
    description: null,
    ...over,
  };
}

/** A rule-added change on sg-0a ("web", tags env=prod team=web), with overrides. */
export function change(over: Partial<Change> = {}): Change {
  return {
    kind: "rule-added",
    groupId: "sg-0a",
    groupName: "web",
    vpcId: "vpc-1",
    groupTags: { env: "prod", team: "web" },
    rule: rule(),
    ...over,
  };
}

/** Detected at 19:00 inside the window, previous poll at 18:55. */
export function ctx(over: Partial<MatchContext> = {}): MatchContext {
  return {
    account: "111111111111",
    region: "eu-west-1",
    intervalStart: "2026-12-01T18:55:00Z",
    detectedAt: "2026-12-01T19:00:00Z",
    ...over,
  };
}
