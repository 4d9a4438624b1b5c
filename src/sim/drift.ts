// Random drift for benchmarks and soak tests: small changes to random rules,
// made through the region's mutation API so each one lands in the mutation log
// as ground truth.

import { createPrng, type Prng } from "./prng.js";
import type { RegionState } from "./region-state.js";
import type { Caller, PermissionInput, SimGroup, SimRule } from "./types.js";

/** The kinds of drift applyRandomDrift makes. */
export type DriftKind = "add" | "remove" | "describe";

/** Options of applyRandomDrift. */
export interface DriftOptions {
  /** PRNG seed; the same seed on the same state gives the same drift. */
  seed: number;
  /** Number of changes to make. */
  count: number;
  /** Kinds to choose from; default all three. */
  kinds?: readonly DriftKind[];
  /** Attribution (e.g. a "stolen" access key for alerting tests). */
  caller?: Caller;
}

/** One change made. */
export interface DriftChange {
  kind: DriftKind;
  groupId: string;
  ruleId: string;
}

/** Makes `count` random changes in `region`; groups without rules are skipped for remove/describe. */
export function applyRandomDrift(region: RegionState, opts: DriftOptions): DriftChange[] {
  const prng = createPrng(opts.seed);
  const kinds = opts.kinds ?? ["add", "remove", "describe"];
  const groups = [...region.groups.values()];
  const changes: DriftChange[] = [];
  if (groups.length === 0) return changes;
  for (let i = 0; i < opts.count; i++) {
    const kind = prng.pick(kinds);
    const group = prng.pick(groups);
    const change =
      kind === "add" ? addRandomRule(region, group, prng, opts.caller) : changeExistingRule(region, group, kind, prng, opts.caller);
    if (change) changes.push(change);
  }
  return changes;
}

/** Adds one random IPv4 ingress rule (retrying on the rare duplicate). */
export function addRandomRule(region: RegionState, group: SimGroup, prng: Prng, caller?: Caller): DriftChange | undefined {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = prng.pick([22, 80, 443, 3389, 5432, 6379, 8443, 9200]);
    const perm: PermissionInput = {
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      ipRanges: [{ cidrIp: `${prng.int(1, 223)}.${prng.int(0, 255)}.${prng.int(0, 255)}.${prng.int(0, 255)}/32`, description: `drift ${prng.hex(6)}` }],
    };
    const before = new Set(group.rules.map((r) => r.ruleId));
    try {
      const [added] = region.authorizeIngress(group.groupId, [perm], caller);
      if (added) return { kind: "add", groupId: group.groupId, ruleId: added.ruleId };
    } catch {
      if (group.rules.every((r) => before.has(r.ruleId))) continue;
    }
  }
  return undefined;
}

function changeExistingRule(
  region: RegionState,
  group: SimGroup,
  kind: "remove" | "describe",
  prng: Prng,
  caller?: Caller,
): DriftChange | undefined {
  if (group.rules.length === 0) return undefined;
  const rule: SimRule = prng.pick(group.rules);
  if (kind === "remove") {
    region.revokeRuleIds(group.groupId, rule.isEgress, [rule.ruleId], caller);
  } else {
    region.updateRuleDescriptionsById(group.groupId, rule.isEgress, [{ ruleId: rule.ruleId, description: `changed ${prng.hex(8)}` }], caller);
  }
  return { kind, groupId: group.groupId, ruleId: rule.ruleId };
}
