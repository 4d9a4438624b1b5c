// Seeded random drift through the simulator's mutation API, so every change
// lands in sim.mutations (the ground truth). Beyond the simulator's
// applyRandomDrift (add, remove, re-describe a rule) it creates and deletes
// groups, sets and removes group tags, modifies a rule in place, and revokes a
// rule only to re-add it identically (no net change: sgwatch must see none).
import type { Prng } from "../../src/sim/prng.js";
import type { RegionState } from "../../src/sim/region-state.js";
import { SimError } from "../../src/sim/errors.js";
import { applyRandomDrift } from "../../src/sim/drift.js";
import type { PermissionInput, SimRule } from "../../src/sim/types.js";

/** The operations one drift step picks from. */
export type DriftOp = "rules" | "create-group" | "delete-group" | "tag" | "untag" | "modify-rule" | "revoke-and-restore";

const OPS: readonly DriftOp[] = ["rules", "rules", "rules", "rules", "create-group", "delete-group", "tag", "untag", "modify-rule", "revoke-and-restore"];

/** Drift state kept between steps: the groups this drift created (the only ones it deletes). */
export class RandomDrift {
  private readonly created: string[] = [];
  private n = 0;
  /** Operations made, by kind (an operation AWS refused is not counted). */
  readonly counts: Record<DriftOp, number> = { rules: 0, "create-group": 0, "delete-group": 0, tag: 0, untag: 0, "modify-rule": 0, "revoke-and-restore": 0 };

  constructor(
    private readonly region: RegionState,
    private readonly prng: Prng,
  ) {}

  /** Make `ops` random operations. */
  step(ops: number): void {
    for (let i = 0; i < ops; i++) {
      const op = this.prng.pick(OPS);
      try {
        if (this.apply(op)) this.counts[op]++;
      } catch (e) {
        // AWS refuses some random requests (a duplicate rule, a referenced group); so does the simulator.
        if (!(e instanceof SimError)) throw e;
      }
    }
  }

  private randomGroupId(): string | undefined {
    const ids = [...this.region.groups.keys()];
    return ids.length === 0 ? undefined : this.prng.pick(ids);
  }

  private ipv4Ingress(groupId: string): SimRule | undefined {
    const rules = this.region.getGroup(groupId).rules.filter((r) => !r.isEgress && r.peer.kind === "ipv4" && r.protocol === "tcp");
    return rules.length === 0 ? undefined : this.prng.pick(rules);
  }

  private apply(op: DriftOp): boolean {
    const r = this.region;
    switch (op) {
      case "rules":
        return applyRandomDrift(r, { seed: this.prng.int(0, 2 ** 31), count: this.prng.int(1, 3) }).length > 0;
      case "create-group": {
        const g = r.createGroup({ groupName: `drift-${++this.n}-${this.prng.hex(4)}`, description: `made by drift ${this.n}` });
        this.created.push(g.groupId);
        if (this.prng.next() < 0.5) r.authorizeIngress(g.groupId, [{ ipProtocol: "tcp", fromPort: 8080, toPort: 8080, ipRanges: [{ cidrIp: "10.9.0.0/16", description: "new service" }] }]);
        return true;
      }
      case "delete-group": {
        const live = this.created.filter((id) => r.groups.has(id));
        if (live.length === 0) return false;
        r.deleteGroup({ groupId: this.prng.pick(live) });
        return true;
      }
      case "tag": {
        const id = this.randomGroupId();
        if (!id) return false;
        r.createTags([id], [{ key: this.prng.pick(["owner", "cost-center", "env"]), value: this.prng.hex(4) }]);
        return true;
      }
      case "untag": {
        const id = this.randomGroupId();
        const g = id ? r.getGroup(id) : undefined;
        if (!g || g.tags.length === 0) return false;
        r.deleteTags([g.groupId], [{ key: this.prng.pick(g.tags).key }]);
        return true;
      }
      case "modify-rule": {
        const id = this.randomGroupId();
        const rule = id ? this.ipv4Ingress(id) : undefined;
        if (!id || !rule || rule.peer.kind !== "ipv4") return false;
        const port = this.prng.pick([25, 110, 143, 993, 2049, 5000]);
        r.modifyRules(id, [{ ruleId: rule.ruleId, rule: { ipProtocol: "tcp", fromPort: port, toPort: port, cidrIpv4: rule.peer.cidr, ...(rule.description ? { description: rule.description } : {}) } }]);
        return true;
      }
      case "revoke-and-restore": {
        const id = this.randomGroupId();
        const rule = id ? this.ipv4Ingress(id) : undefined;
        if (!id || !rule || rule.peer.kind !== "ipv4") return false;
        const perm: PermissionInput = {
          ipProtocol: rule.protocol,
          ...(rule.fromPort !== null ? { fromPort: rule.fromPort } : {}),
          ...(rule.toPort !== null ? { toPort: rule.toPort } : {}),
          ipRanges: [{ cidrIp: rule.peer.cidr, ...(rule.description ? { description: rule.description } : {}) }],
        };
        r.revokeRuleIds(id, false, [rule.ruleId]);
        r.authorizeIngress(id, [perm]);
        return true;
      }
    }
  }
}
