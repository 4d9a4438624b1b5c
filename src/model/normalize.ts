// Raw DescribeSecurityGroups output ─► canonical GroupState (pure).
//
// The response is untrusted: a broken or hostile endpoint must produce a
// NormalizeError (the collector records a failed poll) rather than a state
// that diffs as "rules removed". Optional arrays may be missing; required
// identities (group id, owner, protocol, every range's peer) may not.

import { hash } from "node:crypto";
import type { IpPermission, SecurityGroup } from "@aws-sdk/client-ec2";
import { canonicalIpv4Cidr, formatCidr, parseCidr } from "./cidr.js";
import { ICMP_PROTOCOLS, MAX_PORT, PORT_PROTOCOLS, canonicalProtocol } from "./protocol.js";
import { ruleKey } from "./rule-key.js";
import type { Direction, GroupState, Rule } from "./types.js";

/** Raised when a raw group cannot be turned into a trustworthy canonical state. */
export class NormalizeError extends Error {
  /** The group's id as received (null when it had none). */
  readonly groupId: string | null;
  /** Path of the offending field inside the raw group, e.g. `IpPermissions[2].IpProtocol`. */
  readonly field: string;

  constructor(groupLabel: string, groupId: string | null, field: string, problem: string) {
    super(`${groupLabel}: ${field} ${problem}`);
    this.name = "NormalizeError";
    this.groupId = groupId;
    this.field = field;
  }
}

// Ids end up in log lines, email subjects and SQL rows: only printable ASCII
// without spaces, and bounded, so a hostile id cannot forge lines or bloat rows.
// No "|" either: ruleKey() joins fields with it and must stay unambiguous.
const ID_PATTERN = /^[\x21-\x7b\x7d\x7e]{1,255}$/;

/** A hostile id must not be able to forge log lines through our own error message. */
function label(id: unknown): string {
  if (typeof id === "string" && ID_PATTERN.test(id)) return id;
  const shown = typeof id === "string" ? JSON.stringify(id.slice(0, 64)) : typeof id;
  return `(invalid GroupId ${shown})`;
}

/** Field readers bound to one group, so every error names the group and the field. */
class Reader {
  constructor(
    private readonly groupLabel: string,
    private readonly groupId: string | null,
  ) {}

  fail(field: string, problem: string): never {
    throw new NormalizeError(this.groupLabel, this.groupId, field, problem);
  }

  /** A required id: present, a string, printable ASCII. */
  id(value: unknown, field: string): string {
    if (value === undefined || value === null || value === "") this.fail(field, "is missing");
    if (typeof value !== "string" || !ID_PATTERN.test(value)) this.fail(field, "is not a valid id");
    return value;
  }

  /** An optional id: absent or empty reads as null. */
  optionalId(value: unknown, field: string): string | null {
    return value === undefined || value === null || value === "" ? null : this.id(value, field);
  }

  /** Free text (names, descriptions, tag values): whatever string was sent, or the fallback when absent. */
  text(value: unknown, field: string, fallback: string): string {
    if (value === undefined || value === null) return fallback;
    if (typeof value !== "string") this.fail(field, "is not a string");
    return value;
  }

  /** An optional array: absent reads as empty. */
  list<T>(value: T[] | undefined, field: string): T[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) this.fail(field, "is not a list");
    return value;
  }

  /** An optional integer within [min, max]. */
  int(value: unknown, field: string, min: number, max: number): number | null {
    if (value === undefined || value === null) return null;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      this.fail(field, `is not an integer in ${min}..${max}`);
    }
    return value;
  }
}

/** Protocol and ports of one IpPermission, shared by all the rules it unpacks to. */
interface Traffic {
  /** Canonical protocol. */
  protocol: string;
  /** Canonical first port / ICMP type. */
  fromPort: number | null;
  /** Canonical last port / ICMP code. */
  toPort: number | null;
}

function readTraffic(r: Reader, p: IpPermission, at: string): Traffic {
  const rawProtocol: unknown = p.IpProtocol;
  if (rawProtocol === undefined || rawProtocol === null || rawProtocol === "") {
    r.fail(`${at}.IpProtocol`, "is missing");
  }
  const protocol = typeof rawProtocol === "string" ? canonicalProtocol(rawProtocol) : null;
  if (protocol === null) r.fail(`${at}.IpProtocol`, "is not a protocol");

  if (PORT_PROTOCOLS.has(protocol)) {
    const from = r.int(p.FromPort, `${at}.FromPort`, 0, MAX_PORT);
    const to = r.int(p.ToPort, `${at}.ToPort`, 0, MAX_PORT);
    // Both omitted means "all ports"; one without the other is not a range.
    if ((from === null) !== (to === null)) r.fail(`${at}.${from === null ? "FromPort" : "ToPort"}`, "is missing");
    if (from !== null && to !== null && from > to) r.fail(`${at}.FromPort`, `is greater than ToPort (${from} > ${to})`);
    return { protocol, fromPort: from, toPort: to };
  }
  if (ICMP_PROTOCOLS.has(protocol)) {
    // Omitted type or code means any, which AWS itself spells -1.
    const type = r.int(p.FromPort, `${at}.FromPort`, -1, 255) ?? -1;
    const code = r.int(p.ToPort, `${at}.ToPort`, -1, 255) ?? -1;
    return { protocol, fromPort: type, toPort: code };
  }
  // `all` and any other protocol number allow every port whatever ports were
  // given (AWS documents this), so ports are not part of the rule's identity.
  return { protocol, fromPort: null, toPort: null };
}

function readCidr(r: Reader, value: unknown, field: string, family: 4 | 6): string {
  if (value === undefined || value === null || value === "") r.fail(field, "is missing");
  if (family === 4 && typeof value === "string") {
    const fast = canonicalIpv4Cidr(value.trim());
    if (fast !== null) return fast;
  }
  const parsed = typeof value === "string" ? parseCidr(value.trim()) : null;
  if (parsed === null || parsed.family !== family) r.fail(field, `is not an IPv${family} CIDR`);
  return formatCidr(parsed);
}

function description(r: Reader, value: unknown, field: string): string | null {
  const text = r.text(value, field, "");
  return text === "" ? null : text;
}

/**
 * A rule as one object literal with every field in the same order: a single
 * hidden class with in-object fields. Built by spreading a shared base, the
 * rules of a 100,000-rule state took 63 MB of heap instead of 31 MB, and that
 * state is kept between polls.
 */
function makeRule(t: Traffic, direction: Direction, sourceKind: Rule["sourceKind"], source: string, sourceAccount: string | null, peeringId: string | null, description: string | null): Rule {
  return { direction, protocol: t.protocol, fromPort: t.fromPort, toPort: t.toPort, sourceKind, source, sourceAccount, peeringId, description };
}

function unpack(r: Reader, p: IpPermission, at: string, direction: Direction, ownerId: string): Rule[] {
  const t = readTraffic(r, p, at);
  const rules: Rule[] = [];
  r.list(p.IpRanges, `${at}.IpRanges`).forEach((x, i) => {
    const f = `${at}.IpRanges[${i}]`;
    const source = readCidr(r, x.CidrIp, `${f}.CidrIp`, 4);
    rules.push(makeRule(t, direction, "ipv4", source, null, null, description(r, x.Description, `${f}.Description`)));
  });
  r.list(p.Ipv6Ranges, `${at}.Ipv6Ranges`).forEach((x, i) => {
    const f = `${at}.Ipv6Ranges[${i}]`;
    const source = readCidr(r, x.CidrIpv6, `${f}.CidrIpv6`, 6);
    rules.push(makeRule(t, direction, "ipv6", source, null, null, description(r, x.Description, `${f}.Description`)));
  });
  r.list(p.PrefixListIds, `${at}.PrefixListIds`).forEach((x, i) => {
    const f = `${at}.PrefixListIds[${i}]`;
    const source = r.id(x.PrefixListId, `${f}.PrefixListId`);
    rules.push(makeRule(t, direction, "prefix-list", source, null, null, description(r, x.Description, `${f}.Description`)));
  });
  r.list(p.UserIdGroupPairs, `${at}.UserIdGroupPairs`).forEach((x, i) => {
    const f = `${at}.UserIdGroupPairs[${i}]`;
    const source = r.id(x.GroupId, `${f}.GroupId`);
    const userId = r.optionalId(x.UserId, `${f}.UserId`);
    // Same-account peers are spelled with and without UserId; only a
    // foreign account is part of the rule's identity.
    const sourceAccount = userId !== null && userId !== ownerId ? userId : null;
    const peeringId = r.optionalId(x.VpcPeeringConnectionId, `${f}.VpcPeeringConnectionId`);
    rules.push(makeRule(t, direction, "security-group", source, sourceAccount, peeringId, description(r, x.Description, `${f}.Description`)));
  });
  return rules;
}

/**
 * One rule per key. When the same rule is spelled twice with different
 * descriptions, keep a non-null one, the smallest, so input order never matters.
 */
function collapse(rules: Rule[]): Rule[] {
  const byKey = new Map<string, Rule>();
  for (const rule of rules) {
    const key = ruleKey(rule);
    const seen = byKey.get(key);
    if (seen === undefined || pickDescription(seen.description, rule.description) !== seen.description) {
      byKey.set(key, rule);
    }
  }
  // Sort on the keys already built: compareRules would rebuild both keys at every comparison.
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, rule]) => rule);
}

function pickDescription(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return a <= b ? a : b;
}

function readTags(r: Reader, raw: SecurityGroup): Record<string, string> {
  const entries = new Map<string, string>();
  r.list(raw.Tags, "Tags").forEach((tag, i) => {
    const key = r.text(tag.Key, `Tags[${i}].Key`, "");
    if (key === "") r.fail(`Tags[${i}].Key`, "is missing");
    const value = r.text(tag.Value, `Tags[${i}].Value`, "");
    const seen = entries.get(key);
    if (seen !== undefined && seen !== value) r.fail(`Tags[${i}].Key`, `repeats ${JSON.stringify(key)} with another value`);
    entries.set(key, value);
  });
  // fromEntries defines own properties, so a "__proto__" tag key stays a tag.
  return Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function normalizeOne(raw: SecurityGroup, where: string): GroupState {
  const rawId: unknown = raw.GroupId;
  const groupLabel = rawId === undefined || rawId === null || rawId === "" ? where : label(rawId);
  const r = new Reader(groupLabel, typeof rawId === "string" ? rawId : null);
  const groupId = r.id(rawId, "GroupId");
  // Without the owner we cannot tell a same-account peer from a foreign one.
  const ownerId = r.id(raw.OwnerId, "OwnerId");
  const name = r.text(raw.GroupName, "GroupName", "");
  if (name === "") r.fail("GroupName", "is missing");

  const rules: Rule[] = [];
  r.list(raw.IpPermissions, "IpPermissions").forEach((p, i) => {
    rules.push(...unpack(r, p, `IpPermissions[${i}]`, "ingress", ownerId));
  });
  r.list(raw.IpPermissionsEgress, "IpPermissionsEgress").forEach((p, i) => {
    rules.push(...unpack(r, p, `IpPermissionsEgress[${i}]`, "egress", ownerId));
  });

  return {
    groupId,
    name,
    description: r.text(raw.Description, "Description", ""),
    vpcId: r.optionalId(raw.VpcId, "VpcId"),
    ownerId,
    tags: readTags(r, raw),
    rules: collapse(rules),
  };
}

/** Canonical form of one raw group. Throws NormalizeError on malformed input. */
export function normalizeGroup(raw: SecurityGroup): GroupState {
  return normalizeOne(raw, "(group without GroupId)");
}

/**
 * Canonical form of a whole DescribeSecurityGroups result, sorted by groupId.
 * A group listed twice (pages overlapping) is kept once when both copies agree;
 * two different copies of one group are an error, not a guess.
 */
/** A raw group's fingerprint and the canonical state it normalised to. */
export interface Fingerprinted {
  /** SHA-1 of the raw SDK object's JSON. */
  fingerprint: string;
  /** Its canonical form. */
  state: GroupState;
}

/**
 * Normalises a describe result page by page, so the caller can let go of each
 * raw page once it is read (the raw SDK objects are the bulk of a poll's
 * memory). A group seen twice (overlapping pages) must be identical.
 *
 * Given the previous poll's fingerprints, a group whose raw form is byte for
 * byte what it was reuses its earlier canonical object: hashing is far cheaper
 * than normalising, and the differ recognises the very same object at once.
 * Nearly every group is unchanged at nearly every poll.
 */
export class GroupNormalizer {
  private readonly byId = new Map<string, Fingerprinted>();
  private seen = 0;

  /** What readGroups needs: the fingerprint already known for an id (none without previous fingerprints). */
  private readonly known: ((groupId: string) => string | undefined) | null;

  constructor(private readonly previous?: ReadonlyMap<string, Fingerprinted>) {
    this.known = previous ? (id) => previous.get(id)?.fingerprint : null;
  }

  /** Add one page's groups. Throws NormalizeError. */
  add(raw: readonly SecurityGroup[]): void {
    for (const r of readGroups(raw, this.known, this.seen)) this.addRead(r);
  }

  /**
   * Reads one raw group against the previous poll's fingerprints, without
   * adding it: for a collector that reads each group as it arrives
   * (collectReadGroups) and adds the page later with addRead. `index` is its
   * place in the poll, for messages. Throws NormalizeError.
   */
  read(raw: SecurityGroup, index: number): ReadGroup {
    return readGroup(raw, this.known, index);
  }

  /**
   * Add one group as readGroups read it, here or in a fetch worker: a group
   * read as unchanged takes its canonical object from the previous poll.
   */
  addRead(r: ReadGroup): void {
    const where = `SecurityGroups[${this.seen++}]`;
    const state = r.state ?? this.previous?.get(r.groupId)?.state;
    if (state === undefined) throw new Error(`internal: ${where} (${r.groupId}) was read as unchanged, but no earlier state of it is known`);
    const earlier = this.byId.get(state.groupId);
    // The same fingerprint is the same raw group; without fingerprints, compare the canonical forms.
    const sameRaw = earlier !== undefined && r.fingerprint !== "" && earlier.fingerprint === r.fingerprint;
    if (earlier !== undefined && !sameRaw && JSON.stringify(earlier.state) !== JSON.stringify(state)) {
      throw new NormalizeError(state.groupId, state.groupId, where, "repeats the group with different content");
    }
    this.byId.set(state.groupId, { fingerprint: r.fingerprint, state });
  }

  /** Every group, sorted by id. */
  result(): GroupState[] {
    return [...this.byId.values()].map((f) => f.state).sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  }

  /** Fingerprints to pass to the next poll's normalizer (empty unless this one was given previous ones). */
  fingerprints(): Map<string, Fingerprinted> {
    return this.byId;
  }
}

/** One raw group as readGroups read it. */
export interface ReadGroup {
  groupId: string;
  /** SHA-1 of the raw group's JSON ("" when no fingerprints are kept). */
  fingerprint: string;
  /** Its canonical form; null when its fingerprint is the one already known for its id. */
  state: GroupState | null;
}

/**
 * Fingerprints each raw group and normalises only those whose fingerprint is
 * not the one `known` has for their id (`known` null: no fingerprints, all
 * normalised). `firstIndex` numbers the groups in error messages. Throws
 * NormalizeError. Pure, so a fetch worker can run it next to the SDK.
 */
export function readGroups(raw: readonly SecurityGroup[], known: ((groupId: string) => string | undefined) | null, firstIndex: number): ReadGroup[] {
  return raw.map((g, i) => readGroup(g, known, firstIndex + i));
}

/** readGroups for one group; `index` is its place in the poll, for messages. */
export function readGroup(g: SecurityGroup, known: ((groupId: string) => string | undefined) | null, index: number): ReadGroup {
  // One-shot hash: no Hash object per group (Node >= 20.12).
  const fingerprint = known ? hash("sha1", JSON.stringify(g), "base64") : "";
  const id = typeof g.GroupId === "string" ? g.GroupId : undefined;
  if (known && id !== undefined && known(id) === fingerprint) return { groupId: id, fingerprint, state: null };
  const state = normalizeOne(g, `SecurityGroups[${index}]`);
  return { groupId: state.groupId, fingerprint, state };
}

export function normalizeGroups(raw: SecurityGroup[]): GroupState[] {
  const n = new GroupNormalizer();
  n.add(raw);
  return n.result();
}
