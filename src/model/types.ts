// The canonical model shared by the pure core (normalize, diff, severity,
// approvals/match) and the I/O shells around it. See docs/architecture.md.

/** Which way traffic flows through the rule. */
export type Direction = "ingress" | "egress";

/** What kind of peer a rule names. */
export type SourceKind = "ipv4" | "ipv6" | "prefix-list" | "security-group";

/**
 * One canonical rule: one (direction, protocol, ports, source) tuple.
 * AWS packs many of these into one IpPermission; normalize() unpacks them.
 */
export interface Rule {
  /** ingress or egress. */
  direction: Direction;
  /** tcp, udp, icmp, icmpv6, all, or the IP protocol number as a string for anything else. */
  protocol: string;
  /** First port (ICMP: the type); null for `all`, and when AWS omits ports; -1 for "any" ICMP type. */
  fromPort: number | null;
  /** Last port (ICMP: the code); null for `all`, and when AWS omits ports; -1 for "any" ICMP code. */
  toPort: number | null;
  /** Kind of peer. */
  sourceKind: SourceKind;
  /** The peer: a CIDR (as AWS returns it), a prefix-list id, or a security-group id. */
  source: string;
  /** For security-group peers: the owning account when it differs from the group's own, else null. */
  sourceAccount: string | null;
  /** For security-group peers across a VPC peering connection: its id, else null. */
  peeringId: string | null;
  /** Free text; an attribute, not part of the rule's identity. */
  description: string | null;
}

/** One security group as observed at one poll, in canonical form. */
export interface GroupState {
  /** sg-… id. */
  groupId: string;
  /** GroupName. */
  name: string;
  /** The group's own description (immutable on AWS, but we record it). */
  description: string;
  /** vpc-… id, or null for EC2-Classic style groups. */
  vpcId: string | null;
  /** Account that owns the group. */
  ownerId: string;
  /** Tags as a plain map (keys sorted when serialised). */
  tags: Record<string, string>;
  /** Canonical rules, sorted by ruleKey(). No two share a key. */
  rules: Rule[];
}

/** Kinds of change the differ emits. */
export type ChangeKind =
  | "group-created"
  | "group-deleted"
  | "group-changed"
  | "rule-added"
  | "rule-removed"
  | "rule-description-changed"
  // A group with world-open ingress newly used by an interface with a public address (blast radius).
  | "exposure-added";

/** Group attributes that `group-changed` can report. */
export interface GroupAttributes {
  name: string;
  vpcId: string | null;
  tags: Record<string, string>;
}

/** An interface through which the internet reaches a group. */
export interface ExposedInterface {
  /** eni-… id. */
  interfaceId: string;
  /** What it belongs to (instance, load-balancer, lambda, rds, nat, endpoint, other). */
  kind: string;
  /** The instance, if any. */
  instanceId: string | null;
  /** Its public address. */
  publicIp: string;
}

/** One detected change between two consecutive successful polls of a target. */
export interface Change {
  /** What happened. */
  kind: ChangeKind;
  /** The group concerned. */
  groupId: string;
  /** The group's name (the new one when it changed, the last known one when deleted). */
  groupName: string;
  /** The group's VPC (last known). */
  vpcId: string | null;
  /** The group's tags (current, or last known when deleted); approvals select on them. */
  groupTags: Record<string, string>;
  /** For group-created: the group's own description and owner, so the change alone rebuilds the group. */
  groupDescription?: string;
  ownerId?: string;
  /** For exposure-added: the interface with a public address that now uses the group. */
  exposedVia?: ExposedInterface;
  /** For rule-* kinds: the rule (for description changes, the rule as it is now); for exposure-added, the world-open rule that is now reachable. */
  rule?: Rule;
  /** For rule-description-changed: the old description. */
  oldDescription?: string | null;
  /** For group-changed: the attributes before and after (only those that changed are compared). */
  before?: Partial<GroupAttributes>;
  after?: Partial<GroupAttributes>;
}

/** How urgent a change is. Ordered from worst to mildest. */
export type Severity = "critical" | "high" | "medium" | "low";

export const SEVERITIES: readonly Severity[] = ["critical", "high", "medium", "low"];

/** Numeric rank for comparisons: higher is worse. */
export function severityRank(s: Severity): number {
  return 3 - SEVERITIES.indexOf(s);
}
