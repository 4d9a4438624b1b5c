// Property tests for the pure core. Random groups are generated as lists of
// "atoms" (one canonical rule each, plus how to spell it), then rendered into
// raw SDK shapes in several equivalent ways: one permission per rule or packed
// the AWS way, shuffled, with number/name/upper-case protocols, IPv6 in any
// case and zero spelling, same-account peers with or without UserId. Every
// spelling must normalise to the state computed straight from the atoms.

import type { IpPermission, SecurityGroup } from "@aws-sdk/client-ec2";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyChanges } from "../../../src/model/apply.js";
import { diffGroups, groupDigest } from "../../../src/model/diff.js";
import { normalizeGroup, normalizeGroups } from "../../../src/model/normalize.js";
import { compareRules, ruleKey } from "../../../src/model/rule-key.js";
import type { ChangeKind, GroupState, Rule } from "../../../src/model/types.js";
import { OWNER } from "./build.js";

const FOREIGN = "222222222222";

/** One canonical rule and the choices that decide how it is spelled. */
interface Atom {
  /** The rule as normalize() must produce it (description: the raw one). */
  rule: Rule;
  /** Raw description as sent: undefined, "" (both mean null) or text. */
  rawDescription: string | undefined;
  /** Picks among equivalent spellings of protocol, ports and source. */
  variant: number;
}

// Canonical value → equivalent raw spellings (the first is AWS's usual one).
const PROTOCOL_SPELLINGS: Record<string, string[]> = {
  tcp: ["tcp", "6", "TCP", "006"],
  udp: ["udp", "17", "UDP"],
  icmp: ["icmp", "1", "ICMP"],
  icmpv6: ["icmpv6", "58", "ICMPv6"],
  all: ["-1", "all"],
  "50": ["50", "050"],
};
const IPV4_SPELLINGS: Record<string, string[]> = {
  "0.0.0.0/0": ["0.0.0.0/0", "1.2.3.4/0"],
  "10.0.0.0/8": ["10.0.0.0/8", "10.9.9.9/8"],
  "192.168.1.0/24": ["192.168.1.0/24", " 192.168.1.0/24"],
};
const IPV6_SPELLINGS: Record<string, string[]> = {
  "::/0": ["::/0", "0::/0", "0:0:0:0:0:0:0:0/0"],
  "2001:db8::/32": ["2001:db8::/32", "2001:DB8::/32", "2001:db8:0::/32", "2001:0db8:0000::/32"],
  "fd00::/8": ["fd00::/8", "FD00::/8", "fd00:0:0::/8"],
};

function pick<T>(options: readonly T[], variant: number): T {
  const chosen = options[variant % options.length];
  if (chosen === undefined) throw new Error("empty options");
  return chosen;
}

const trafficArb: fc.Arbitrary<Pick<Rule, "protocol" | "fromPort" | "toPort">> = fc.oneof(
  fc.record({
    protocol: fc.constantFrom("tcp", "udp"),
    fromPort: fc.constantFrom(0, 22, 80, 443),
    span: fc.constantFrom(0, 10, 65535),
  }).map(({ protocol, fromPort, span }) => ({ protocol, fromPort, toPort: Math.min(65535, fromPort + span) })),
  fc.constantFrom("tcp", "udp").map((protocol) => ({ protocol, fromPort: null, toPort: null })),
  fc.record({ protocol: fc.constantFrom("icmp", "icmpv6"), fromPort: fc.constantFrom(-1, 0, 8), toPort: fc.constantFrom(-1, 0, 4) }),
  fc.constantFrom("all", "50").map((protocol) => ({ protocol, fromPort: null, toPort: null })),
);

const sourceArb: fc.Arbitrary<Pick<Rule, "sourceKind" | "source" | "sourceAccount" | "peeringId">> = fc.oneof(
  fc.constantFrom(...Object.keys(IPV4_SPELLINGS)).map((source) => ({ sourceKind: "ipv4" as const, source, sourceAccount: null, peeringId: null })),
  fc.constantFrom(...Object.keys(IPV6_SPELLINGS)).map((source) => ({ sourceKind: "ipv6" as const, source, sourceAccount: null, peeringId: null })),
  fc.constantFrom("pl-1", "pl-2").map((source) => ({ sourceKind: "prefix-list" as const, source, sourceAccount: null, peeringId: null })),
  fc.record({
    sourceKind: fc.constant("security-group" as const),
    source: fc.constantFrom("sg-1", "sg-peer"),
    sourceAccount: fc.constantFrom(null, FOREIGN),
    peeringId: fc.constantFrom(null, "pcx-1"),
  }),
);

const atomArb: fc.Arbitrary<Atom> = fc
  .record({
    direction: fc.constantFrom("ingress" as const, "egress" as const),
    traffic: trafficArb,
    source: sourceArb,
    rawDescription: fc.constantFrom(undefined, "", "a", "b"),
    variant: fc.nat(),
  })
  .map(({ direction, traffic, source, rawDescription, variant }) => ({
    rule: { direction, ...traffic, ...source, description: rawDescription === undefined || rawDescription === "" ? null : rawDescription },
    rawDescription,
    variant,
  }));

/** Attributes of a generated group; description and owner are fixed per id, as on AWS. */
interface GroupSpec {
  /** sg id from a small pool, so two generated states share groups. */
  groupId: string;
  /** Name. */
  name: string;
  /** VpcId or undefined. */
  vpcId: string | undefined;
  /** Raw tags. */
  tags: { Key: string; Value: string }[];
  /** The rules. */
  atoms: Atom[];
  /** Seed for shuffling permissions and ranges. */
  seed: number;
}

const groupSpecArb: fc.Arbitrary<GroupSpec> = fc.record({
  groupId: fc.constantFrom("sg-1", "sg-2", "sg-3", "sg-4"),
  name: fc.constantFrom("web", "db"),
  vpcId: fc.constantFrom("vpc-1", "vpc-2", undefined),
  tags: fc.uniqueArray(fc.record({ Key: fc.constantFrom("env", "team", "__proto__"), Value: fc.constantFrom("", "a", "b") }), { selector: (t) => t.Key }),
  atoms: fc.array(atomArb, { maxLength: 12 }),
  seed: fc.nat(),
});

/** Deterministic shuffle from a seed (mulberry32), so a failing case replays. */
function shuffle<T>(items: readonly T[], seed: number): T[] {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** How to render atoms into raw permissions. */
interface Spelling {
  /** Pack rules with the same traffic into one permission (as AWS does) or one permission each. */
  pack: boolean;
  /** Use each atom's variant spelling (true) or the usual AWS spelling (false). */
  alternate: boolean;
  /** Shuffle seed (0: keep order). */
  seed: number;
}

function rawTraffic(a: Atom, alternate: boolean): Pick<IpPermission, "IpProtocol" | "FromPort" | "ToPort"> {
  const v = alternate ? a.variant : 0;
  const r = a.rule;
  const IpProtocol = pick(PROTOCOL_SPELLINGS[r.protocol] ?? [r.protocol], v);
  if (r.protocol === "all") return v % 2 === 0 ? { IpProtocol } : { IpProtocol, FromPort: -1, ToPort: -1 };
  if (r.protocol === "50") return v % 2 === 0 ? { IpProtocol } : { IpProtocol, FromPort: 7, ToPort: 9 };
  // ICMP "any type, any code" may also be spelled by omitting both.
  if (r.fromPort === -1 && r.toPort === -1 && v % 3 === 2) return { IpProtocol };
  return r.fromPort === null ? { IpProtocol } : { IpProtocol, FromPort: r.fromPort, ToPort: r.toPort ?? undefined };
}

function rawRange(a: Atom, alternate: boolean): IpPermission {
  const v = alternate ? Math.floor(a.variant / 7) : 0;
  const r = a.rule;
  const Description = a.rawDescription;
  switch (r.sourceKind) {
    case "ipv4":
      return { IpRanges: [{ CidrIp: pick(IPV4_SPELLINGS[r.source] ?? [r.source], v), Description }] };
    case "ipv6":
      return { Ipv6Ranges: [{ CidrIpv6: pick(IPV6_SPELLINGS[r.source] ?? [r.source], v), Description }] };
    case "prefix-list":
      return { PrefixListIds: [{ PrefixListId: r.source, Description }] };
    case "security-group": {
      // A same-account peer is spelled with our own UserId or without one.
      const UserId = r.sourceAccount ?? (v % 2 === 0 ? undefined : OWNER);
      return { UserIdGroupPairs: [{ GroupId: r.source, UserId, VpcPeeringConnectionId: r.peeringId ?? undefined, Description }] };
    }
  }
}

function permissions(atoms: Atom[], s: Spelling): IpPermission[] {
  const perms: IpPermission[] = [];
  const packed = new Map<string, IpPermission>();
  for (const a of shuffle(atoms, s.seed)) {
    const range = rawRange(a, s.alternate);
    const key = JSON.stringify([a.rule.protocol, a.rule.fromPort, a.rule.toPort]);
    const existing = s.pack ? packed.get(key) : undefined;
    if (existing === undefined) {
      const p = { ...rawTraffic(a, s.alternate), ...range };
      perms.push(p);
      packed.set(key, p);
    } else {
      existing.IpRanges = [...(existing.IpRanges ?? []), ...(range.IpRanges ?? [])];
      existing.Ipv6Ranges = [...(existing.Ipv6Ranges ?? []), ...(range.Ipv6Ranges ?? [])];
      existing.PrefixListIds = [...(existing.PrefixListIds ?? []), ...(range.PrefixListIds ?? [])];
      existing.UserIdGroupPairs = [...(existing.UserIdGroupPairs ?? []), ...(range.UserIdGroupPairs ?? [])];
    }
  }
  // Shuffle the ranges inside each permission as well.
  return perms.map((p, i) => ({
    ...p,
    IpRanges: shuffle(p.IpRanges ?? [], s.seed + i),
    Ipv6Ranges: shuffle(p.Ipv6Ranges ?? [], s.seed + i + 1),
    UserIdGroupPairs: shuffle(p.UserIdGroupPairs ?? [], s.seed + i + 2),
  }));
}

function render(g: GroupSpec, s: Spelling): SecurityGroup {
  return {
    GroupId: g.groupId,
    GroupName: g.name,
    Description: `about ${g.groupId}`,
    VpcId: g.vpcId,
    OwnerId: OWNER,
    Tags: shuffle(g.tags, s.seed),
    IpPermissions: permissions(g.atoms.filter((a) => a.rule.direction === "ingress"), s),
    IpPermissionsEgress: permissions(g.atoms.filter((a) => a.rule.direction === "egress"), s),
  };
}

/** The state computed straight from the atoms: the oracle for every spelling. */
function expected(g: GroupSpec): GroupState {
  const byKey = new Map<string, Rule>();
  for (const { rule } of g.atoms) {
    const seen = byKey.get(ruleKey(rule));
    const descriptions = [seen?.description, rule.description].filter((d): d is string => typeof d === "string").sort();
    byKey.set(ruleKey(rule), { ...rule, description: descriptions[0] ?? null });
  }
  return {
    groupId: g.groupId,
    name: g.name,
    description: `about ${g.groupId}`,
    vpcId: g.vpcId ?? null,
    ownerId: OWNER,
    tags: Object.fromEntries(g.tags.map((t) => [t.Key, t.Value])),
    rules: [...byKey.values()].sort(compareRules),
  };
}

const spellingArb: fc.Arbitrary<Spelling> = fc.record({ pack: fc.boolean(), alternate: fc.boolean(), seed: fc.nat() });

describe("normalize properties", () => {
  it("every spelling of a group normalises to the state its rules define", () => {
    fc.assert(
      fc.property(groupSpecArb, spellingArb, (g, s) => {
        expect(normalizeGroup(render(g, s))).toEqual(expected(g));
      }),
      { numRuns: 300 },
    );
  });

  it("two spellings give byte-identical JSON (what the store and digest see)", () => {
    fc.assert(
      fc.property(groupSpecArb, spellingArb, spellingArb, (g, s1, s2) => {
        const [a, b] = [normalizeGroup(render(g, s1)), normalizeGroup(render(g, s2))];
        expect(JSON.stringify(a)).toBe(JSON.stringify(b));
        expect(groupDigest(a)).toBe(groupDigest(b));
      }),
      { numRuns: 200 },
    );
  });

  it("rules come out sorted and unique by key", () => {
    fc.assert(
      fc.property(groupSpecArb, spellingArb, (g, s) => {
        const keys = normalizeGroup(render(g, s)).rules.map(ruleKey);
        expect(keys).toEqual([...new Set(keys)].sort());
      }),
    );
  });
});

/** A target's poll: groups with distinct ids, normalised. */
const stateArb: fc.Arbitrary<GroupState[]> = fc
  .tuple(fc.uniqueArray(groupSpecArb, { selector: (g) => g.groupId, maxLength: 4 }), spellingArb)
  .map(([specs, s]) => normalizeGroups(specs.map((g) => render(g, s))));

describe("diff and apply properties", () => {
  it("diff(a, a) is empty", () => {
    fc.assert(
      fc.property(stateArb, (a) => {
        expect(diffGroups(a, a)).toEqual([]);
      }),
    );
  });

  it("apply(diff(a, b), a) equals b, and every kind of change shows up", () => {
    const kinds = new Set<ChangeKind>();
    fc.assert(
      fc.property(stateArb, stateArb, (a, b) => {
        const changes = diffGroups(a, b);
        for (const c of changes) kinds.add(c.kind);
        expect(applyChanges(a, changes)).toEqual(b);
      }),
      { numRuns: 500 },
    );
    // Guards the generator: a property over states that never differ proves nothing.
    expect([...kinds].sort()).toEqual(["group-changed", "group-created", "group-deleted", "rule-added", "rule-description-changed", "rule-removed"]);
  });

  it("diff(b, a) mirrors diff(a, b): additions become removals", () => {
    fc.assert(
      fc.property(stateArb, stateArb, (a, b) => {
        const count = (list: ReturnType<typeof diffGroups>, kind: ChangeKind): number => list.filter((c) => c.kind === kind).length;
        const [forward, back] = [diffGroups(a, b), diffGroups(b, a)];
        expect(count(forward, "rule-added")).toBe(count(back, "rule-removed"));
        expect(count(forward, "group-created")).toBe(count(back, "group-deleted"));
        expect(count(forward, "rule-description-changed")).toBe(count(back, "rule-description-changed"));
      }),
    );
  });

  it("changes come ordered by groupId", () => {
    fc.assert(
      fc.property(stateArb, stateArb, (a, b) => {
        const ids = diffGroups(a, b).map((c) => c.groupId);
        expect(ids).toEqual([...ids].sort());
      }),
    );
  });
});
