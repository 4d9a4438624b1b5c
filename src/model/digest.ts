// A stable fingerprint of one canonical group, so unchanged groups (nearly all
// of them, nearly every poll) skip rule-by-rule diffing. The serialisation is
// explicit (fixed field order, sorted tags and rules) and versioned, so the
// digest can be persisted and compared across releases.

import { createHash } from "node:crypto";
import { ruleKey } from "./rule-key.js";
import type { GroupState } from "./types.js";

const DIGEST_VERSION = "sgwatch-group-v1";

/** Hex SHA-1 of the canonical group; equal digests mean equal groups. */
export function groupDigest(g: GroupState): string {
  const tags = Object.entries(g.tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  // Sort here rather than trust the caller: a state loaded from the store may
  // arrive in row order, and the digest must not depend on it.
  const rules = g.rules
    .map((r) => ({ key: ruleKey(r), fields: [r.direction, r.protocol, r.fromPort, r.toPort, r.sourceKind, r.source, r.sourceAccount, r.peeringId, r.description] }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((r) => r.fields);
  const canonical = [DIGEST_VERSION, g.groupId, g.name, g.description, g.vpcId, g.ownerId, tags, rules];
  return createHash("sha1").update(JSON.stringify(canonical)).digest("hex");
}
