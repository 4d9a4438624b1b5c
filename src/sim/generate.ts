// Seeded generator of large accounts for benchmarks: N groups and M rules with
// a production-like mix of peers. Rules go through the normal mutation API (one
// authorize call per group and direction), so the result is exactly what the
// HTTP path would have built.

import { createPrng, type Prng } from "./prng.js";
import { ruleIdentity, storedPorts, storedProtocol } from "./rule-spec.js";
import type { SimState } from "./state.js";
import { DEFAULT_ACCOUNT } from "./state.js";
import type { PermissionInput, SimGroup } from "./types.js";

export { applyRandomDrift, addRandomRule, type DriftChange, type DriftKind, type DriftOptions } from "./drift.js";

/** Options of generateAccount. */
export interface GenerateOptions {
  /** PRNG seed: the same seed gives the same groups, rules and ids on a fresh state seeded alike. */
  seed: number;
  /** Number of groups. */
  groups: number;
  /** Total rules, including each group's default egress rule (at least one per group). */
  rules: number;
  /** Account; default 123456789012. */
  account?: string;
  /** Region; default us-east-1. */
  region?: string;
  /** Number of VPCs the groups are spread over; default max(1, groups / 200). */
  vpcs?: number;
  /** Log the generated mutations; default false (a baseline, not drift). */
  logMutations?: boolean;
}

/** What generateAccount built. */
export interface GeneratedAccount {
  account: string;
  region: string;
  groupIds: string[];
  /** Rules in the region afterwards (generated plus default egress). */
  ruleCount: number;
}

const COMMON_PORTS = [22, 80, 443, 3306, 5432, 6379, 8080, 8443, 9090, 9200, 11211, 27017];
const UDP_PORTS = [53, 123, 161, 500, 4500, 51820];
const FOREIGN_ACCOUNTS = ["210987654321", "111122223333", "444455556666"];
const PREFIX_LISTS = ["pl-63a5400a", "pl-02cd2c6b", "pl-6da54004"];

type PeerKind = "ipv4" | "ipv6" | "prefix-list" | "sg" | "sg-foreign" | "icmp" | "all" | "udp";

// Rough shape of real estates: mostly IPv4 and group references.
const MIX: readonly [PeerKind, number][] = [
  ["ipv4", 40],
  ["sg", 20],
  ["ipv6", 9],
  ["prefix-list", 7],
  ["sg-foreign", 7],
  ["icmp", 6],
  ["udp", 6],
  ["all", 5],
];
const MIX_TOTAL = MIX.reduce((s, [, w]) => s + w, 0);

/** Builds `groups` groups holding `rules` rules in total. */
export function generateAccount(state: SimState, opts: GenerateOptions): GeneratedAccount {
  const account = opts.account ?? DEFAULT_ACCOUNT;
  const regionName = opts.region ?? "us-east-1";
  if (!Number.isInteger(opts.groups) || opts.groups < 1) throw new Error("generateAccount: groups must be an integer >= 1");
  if (!Number.isInteger(opts.rules) || opts.rules < opts.groups) {
    throw new Error("generateAccount: rules must be an integer >= groups (each group has its default egress rule)");
  }
  const prng = createPrng(opts.seed);
  const region = state.account(account).region(regionName);
  const vpcCount = opts.vpcs ?? Math.max(1, Math.floor(opts.groups / 200));
  const vpcs = Array.from({ length: vpcCount }, () => `vpc-${prng.hex(17)}`);
  const build = (): GeneratedAccount => {
    const groups: SimGroup[] = [];
    for (let i = 0; i < opts.groups; i++) {
      const team = prng.pick(["platform", "payments", "search", "data", "web", "ml"]);
      groups.push(
        region.createGroup({
          groupName: `${team}-${i.toString().padStart(5, "0")}`,
          description: `generated group ${i} for ${team}`,
          vpcId: prng.pick(vpcs),
          tags: [
            { key: "Name", value: `${team}-${i}` },
            { key: "env", value: prng.pick(["prod", "staging", "dev"]) },
            { key: "team", value: team },
          ],
        }),
      );
    }
    // Spread the extra rules unevenly: some groups are big, most are small.
    const extra = opts.rules - opts.groups;
    const counts = new Array<number>(groups.length).fill(0);
    for (let i = 0; i < extra; i++) {
      const skewed = Math.floor(Math.pow(prng.next(), 2) * groups.length);
      counts[skewed] = (counts[skewed] ?? 0) + 1;
    }
    groups.forEach((g, gi) => {
      const want = counts[gi] ?? 0;
      if (want === 0) return;
      const seen = new Set(g.rules.map(ruleIdentity));
      const ingress: PermissionInput[] = [];
      const egress: PermissionInput[] = [];
      let made = 0;
      let attempts = 0;
      while (made < want && attempts < want * 20) {
        attempts++;
        const isEgress = prng.next() < 0.15;
        const perm = randomPermission(prng, groups, account);
        const key = identityOf(perm, isEgress);
        if (seen.has(key)) continue;
        seen.add(key);
        (isEgress ? egress : ingress).push(perm);
        made++;
      }
      if (ingress.length > 0) region.authorizeIngress(g.groupId, ingress);
      if (egress.length > 0) region.authorizeEgress(g.groupId, egress);
    });
    let ruleCount = 0;
    for (const g of region.groups.values()) ruleCount += g.rules.length;
    return { account, region: regionName, groupIds: groups.map((g) => g.groupId), ruleCount };
  };
  return opts.logMutations ? build() : state.withoutMutationLog(build);
}

function randomPermission(prng: Prng, groups: readonly SimGroup[], account: string): PermissionInput {
  const kind = pickWeighted(prng);
  const port = prng.next() < 0.8 ? prng.pick(COMMON_PORTS) : prng.int(1024, 65000);
  const ranged = prng.next() < 0.1;
  const tcp = { ipProtocol: "tcp", fromPort: port, toPort: ranged ? Math.min(65535, port + prng.int(1, 1000)) : port };
  const description = prng.next() < 0.5 ? `rule ${prng.hex(6)}` : undefined;
  const d = description === undefined ? {} : { description };
  switch (kind) {
    case "ipv4":
      return { ...tcp, ipRanges: [{ cidrIp: randomCidr(prng), ...d }] };
    case "ipv6":
      return { ...tcp, ipv6Ranges: [{ cidrIpv6: `2001:db8:${prng.hex(4)}:${prng.hex(4)}::/64`, ...d }] };
    case "prefix-list":
      return { ...tcp, prefixListIds: [{ prefixListId: prng.pick(PREFIX_LISTS), ...d }] };
    case "sg":
      return { ...tcp, userIdGroupPairs: [{ groupId: prng.pick(groups).groupId, userId: account, ...d }] };
    case "sg-foreign":
      return { ...tcp, userIdGroupPairs: [{ groupId: `sg-${prng.hex(17)}`, userId: prng.pick(FOREIGN_ACCOUNTS), ...d }] };
    case "icmp":
      return { ipProtocol: "icmp", fromPort: prng.pick([-1, 0, 3, 8, 11]), toPort: -1, ipRanges: [{ cidrIp: randomCidr(prng), ...d }] };
    case "udp": {
      const a = prng.pick(UDP_PORTS);
      const b = prng.next() < 0.8 ? a : prng.pick(UDP_PORTS);
      return { ipProtocol: "udp", fromPort: Math.min(a, b), toPort: Math.max(a, b), ipRanges: [{ cidrIp: randomCidr(prng), ...d }] };
    }
    case "all":
      return { ipProtocol: "-1", ipRanges: [{ cidrIp: randomCidr(prng), ...d }] };
  }
}

function randomCidr(prng: Prng): string {
  if (prng.next() < 0.6) return `10.${prng.int(0, 255)}.${prng.int(0, 255)}.0/24`;
  return `${prng.int(1, 223)}.${prng.int(0, 255)}.${prng.int(0, 255)}.${prng.int(0, 255)}/32`;
}

function pickWeighted(prng: Prng): PeerKind {
  let x = prng.next() * MIX_TOTAL;
  for (const [kind, w] of MIX) {
    x -= w;
    if (x < 0) return kind;
  }
  return "ipv4";
}

// Same identity the region uses, so the generator never asks for a duplicate.
function identityOf(perm: PermissionInput, isEgress: boolean): string {
  const protocol = storedProtocol(perm.ipProtocol);
  const { fromPort, toPort } = storedPorts(protocol, perm.fromPort, perm.toPort);
  const v4 = perm.ipRanges?.[0];
  const v6 = perm.ipv6Ranges?.[0];
  const pl = perm.prefixListIds?.[0];
  const sg = perm.userIdGroupPairs?.[0];
  const peer = v4
    ? ({ kind: "ipv4", cidr: v4.cidrIp } as const)
    : v6
      ? ({ kind: "ipv6", cidr: v6.cidrIpv6 } as const)
      : pl
        ? ({ kind: "prefix-list", prefixListId: pl.prefixListId } as const)
        : ({ kind: "security-group", groupId: sg?.groupId ?? "", userId: sg?.userId ?? "" } as const);
  return ruleIdentity({ isEgress, protocol, fromPort, toPort, peer });
}
