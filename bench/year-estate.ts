// A synthetic account in canonical form (GroupState), and the churn that moves
// it forward, for the year-of-history simulation. It feeds the store directly
// (recordSuccessfulPoll), so a year of polls takes minutes, not a year of HTTP.
// Groups are replaced, never mutated: the store's cached state keeps the
// previous poll's objects, exactly as the daemon's cache would.
import { createPrng, type Prng } from "../src/sim/prng.js";
import { compareRules, ruleKey } from "../src/model/rule-key.js";
import type { GroupState, Rule } from "../src/model/types.js";

const PORTS = [22, 80, 443, 3306, 5432, 6379, 8080, 8443, 9090, 9200, 11211, 27017];
const PREFIX_LISTS = ["pl-63a5400a", "pl-02cd2c6b", "pl-6da54004"];
const FOREIGN = ["210987654321", "111122223333"];

/** What one poll's churn did. */
export interface ChurnStep {
  added: number;
  removed: number;
  described: number;
}

/** A mutable estate of immutable groups. */
export class YearEstate {
  /** The groups as the next poll observes them, sorted by groupId. */
  readonly groups: GroupState[];
  private readonly prng: Prng;
  private serial = 0;

  constructor(
    /** Owning account of every group. */
    readonly account: string,
    opts: { groups: number; rules: number; seed: number },
  ) {
    this.prng = createPrng(opts.seed);
    // Group ids are unique across accounts, as AWS's are (a fleet year has many estates in one database).
    const ids = Array.from({ length: opts.groups }, (_, i) => `sg-${account.slice(-6)}${i.toString(16).padStart(11, "0")}`);
    // Skewed like real estates: a few big groups, many small ones; every group
    // has AWS's default allow-all egress.
    const extra = new Array<number>(opts.groups).fill(0);
    for (let i = 0; i < opts.rules - opts.groups; i++) {
      const g = Math.floor(Math.pow(this.prng.next(), 2) * opts.groups);
      extra[g] = (extra[g] ?? 0) + 1;
    }
    this.groups = ids.map((groupId, i) => {
      const byKey = new Map<string, Rule>();
      const egress = this.rule("egress", "all", null, null, "ipv4", "0.0.0.0/0", null);
      byKey.set(ruleKey(egress), egress);
      const want = 1 + (extra[i] ?? 0);
      for (let tries = 0; byKey.size < want && tries < want * 20; tries++) {
        const r = this.randomRule(ids);
        byKey.set(ruleKey(r), r);
      }
      const team = this.prng.pick(["platform", "payments", "search", "data", "web"]);
      return {
        groupId,
        name: `${team}-${i}`,
        description: `synthetic group ${i}`,
        vpcId: `vpc-${(i % 50).toString(16).padStart(17, "0")}`,
        ownerId: account,
        tags: { Name: `${team}-${i}`, env: this.prng.pick(["prod", "staging", "dev"]), team },
        rules: [...byKey.values()].sort(compareRules),
      };
    });
  }

  /** Total rules now. */
  ruleCount(): number {
    return this.groups.reduce((n, g) => n + g.rules.length, 0);
  }

  /** Make `count` changes: about 40% additions (one in ten open to the world), 30% removals, 30% description edits. */
  churn(count: number): ChurnStep {
    const step: ChurnStep = { added: 0, removed: 0, described: 0 };
    for (let i = 0; i < count; i++) {
      const at = this.prng.int(0, this.groups.length - 1);
      const g = this.groups[at] as GroupState;
      const x = this.prng.next();
      let rules: Rule[];
      if (x < 0.4 || g.rules.length <= 1) {
        const r =
          this.prng.next() < 0.1
            ? this.rule("ingress", "tcp", 22, 22, "ipv4", "0.0.0.0/0", `opened ${this.serial++}`)
            : this.rule("ingress", "tcp", 443, 443, "ipv4", `172.16.${this.prng.int(0, 255)}.${this.prng.int(0, 255)}/32`, `churn ${this.serial++}`);
        if (g.rules.some((o) => ruleKey(o) === ruleKey(r))) continue;
        rules = [...g.rules, r].sort(compareRules);
        step.added++;
      } else {
        const victim = this.prng.int(0, g.rules.length - 1);
        if (x < 0.7) {
          rules = g.rules.filter((_, j) => j !== victim);
          step.removed++;
        } else {
          rules = g.rules.map((r, j) => (j === victim ? { ...r, description: `edited ${this.serial++}` } : r));
          step.described++;
        }
      }
      this.groups[at] = { ...g, rules };
    }
    return step;
  }

  private randomRule(ids: readonly string[]): Rule {
    const direction = this.prng.next() < 0.15 ? "egress" : "ingress";
    const port = this.prng.pick(PORTS);
    const desc = this.prng.next() < 0.5 ? `rule ${this.prng.hex(6)}` : null;
    const x = this.prng.next();
    if (x < 0.4) return this.rule(direction, "tcp", port, port, "ipv4", `10.${this.prng.int(0, 255)}.${this.prng.int(0, 255)}.0/24`, desc);
    if (x < 0.6) return this.rule(direction, "tcp", port, port, "security-group", this.prng.pick(ids), desc);
    if (x < 0.69) return this.rule(direction, "tcp", port, port, "ipv6", `2001:db8:${this.prng.hex(4)}:${this.prng.hex(4)}::/64`, desc);
    if (x < 0.76) return this.rule(direction, "tcp", port, port, "prefix-list", this.prng.pick(PREFIX_LISTS), desc);
    if (x < 0.83) return { ...this.rule(direction, "tcp", port, port, "security-group", `sg-${this.prng.hex(17)}`, desc), sourceAccount: this.prng.pick(FOREIGN) };
    if (x < 0.89) return this.rule(direction, "icmp", this.prng.pick([-1, 0, 3, 8]), -1, "ipv4", `10.${this.prng.int(0, 255)}.0.0/16`, desc);
    if (x < 0.95) return this.rule(direction, "udp", 53, 53, "ipv4", `10.${this.prng.int(0, 255)}.${this.prng.int(0, 255)}.0/24`, desc);
    return this.rule(direction, "all", null, null, "ipv4", `10.${this.prng.int(0, 255)}.${this.prng.int(0, 255)}.0/24`, desc);
  }

  private rule(direction: Rule["direction"], protocol: string, fromPort: number | null, toPort: number | null, sourceKind: Rule["sourceKind"], source: string, description: string | null): Rule {
    return { direction, protocol, fromPort, toPort, sourceKind, source, sourceAccount: null, peeringId: null, description };
  }
}
