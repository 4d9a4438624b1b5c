// The readers of a CloudTrail record's fields (event-record.ts): tolerant of
// the shapes CloudTrail gives an EC2 call's XML turned into JSON (lists as
// {items: [...]}, an empty list as {}, a lone item without a list, PascalCase
// under ModifySecurityGroupRulesRequest), and of the rules a record names,
// in the canonical form of src/model. Pure.
import { canonicalCidr } from "../model/cidr.js";
import { canonicalProtocol, ICMP_PROTOCOLS, PORT_PROTOCOLS } from "../model/protocol.js";
import type { Direction, Rule } from "../model/types.js";

/** A rule touched by ModifySecurityGroupRules: its id and new content (the call does not say the direction). */
export interface ModifiedRule {
  /** The sgr- id the call named. */
  ruleId: string | null;
  /** The new content, with direction set to ingress as a placeholder; compare with sameRuleAnyDirection. */
  rule: Rule;
}

/** A rule and the sgr- id AWS gave it. */
export interface RuleWithId {
  /** The sgr- id. */
  ruleId: string;
  /** The rule. */
  rule: Rule;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A field by its lowerCamelCase name, or its PascalCase spelling. */
export function field(o: unknown, name: string): unknown {
  if (!isObj(o)) return undefined;
  if (Object.hasOwn(o, name)) return o[name];
  const pascal = name.charAt(0).toUpperCase() + name.slice(1);
  return Object.hasOwn(o, pascal) ? o[pascal] : undefined;
}

/** A recorded list: [...], {items: [...]}, {item: ...}, {} (empty), or a lone item. */
export function list(v: unknown): unknown[] {
  if (v === undefined || v === null || v === "") return [];
  if (Array.isArray(v)) return v;
  if (isObj(v)) {
    if (Object.hasOwn(v, "items")) return list(v.items);
    if (Object.hasOwn(v, "item")) return list(v.item);
    return Object.keys(v).length === 0 ? [] : [v];
  }
  return [];
}

export function str(v: unknown): string | null {
  if (typeof v === "string") return v === "" ? null : v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return null;
}

function int(v: unknown): number | null {
  const n = typeof v === "number" ? v : typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
  return Number.isInteger(n) ? n : null;
}

function bool(v: unknown): boolean | null {
  if (typeof v === "boolean") return v;
  if (v === "true") return true;
  if (v === "false") return false;
  return null;
}

/** Protocol and ports as normalize() spells them; null when the protocol is unreadable. */
function traffic(p: unknown): Pick<Rule, "protocol" | "fromPort" | "toPort"> | null {
  const raw = str(field(p, "ipProtocol"));
  const protocol = raw === null ? null : canonicalProtocol(raw);
  if (protocol === null) return null;
  const from = int(field(p, "fromPort"));
  const to = int(field(p, "toPort"));
  if (PORT_PROTOCOLS.has(protocol)) {
    // AWS reports "all ports" of tcp/udp as -1 in rule sets and omits them in requests.
    if (from === null || to === null || from < 0 || to < 0) return { protocol, fromPort: null, toPort: null };
    return { protocol, fromPort: from, toPort: to };
  }
  if (ICMP_PROTOCOLS.has(protocol)) return { protocol, fromPort: from ?? -1, toPort: to ?? -1 };
  return { protocol, fromPort: null, toPort: null };
}

function description(o: unknown): string | null {
  return str(field(o, "description"));
}

/** The rules of one recorded IpPermission. */
function permissionRules(p: unknown, direction: Direction, ownerId: string | null): Rule[] {
  const t = traffic(p);
  if (t === null) return [];
  const base = { direction, ...t, sourceAccount: null, peeringId: null };
  const rules: Rule[] = [];
  for (const x of list(field(p, "ipRanges"))) {
    const cidr = str(field(x, "cidrIp"));
    if (cidr !== null) rules.push({ ...base, sourceKind: "ipv4", source: canonicalCidr(cidr), description: description(x) });
  }
  for (const x of list(field(p, "ipv6Ranges"))) {
    const cidr = str(field(x, "cidrIpv6"));
    if (cidr !== null) rules.push({ ...base, sourceKind: "ipv6", source: canonicalCidr(cidr), description: description(x) });
  }
  for (const x of list(field(p, "prefixListIds"))) {
    const id = str(field(x, "prefixListId"));
    if (id !== null) rules.push({ ...base, sourceKind: "prefix-list", source: id, description: description(x) });
  }
  // Recorded as `groups`; the API's name is UserIdGroupPairs.
  for (const x of [...list(field(p, "groups")), ...list(field(p, "userIdGroupPairs"))]) {
    const id = str(field(x, "groupId"));
    if (id === null) continue; // named by groupName only: the id is not in the event
    const userId = str(field(x, "userId"));
    rules.push({
      ...base,
      sourceKind: "security-group",
      source: id,
      sourceAccount: userId !== null && userId !== ownerId ? userId : null,
      peeringId: str(field(x, "vpcPeeringConnectionId")),
      description: description(x),
    });
  }
  return rules;
}

/** Rules of requestParameters: ipPermissions, or the legacy flat form (cidrIp, ipProtocol, fromPort, toPort). */
export function requestRules(rp: unknown, direction: Direction, ownerId: string | null): Rule[] {
  const fromPerms = list(field(rp, "ipPermissions")).flatMap((p) => permissionRules(p, direction, ownerId));
  const cidr = str(field(rp, "cidrIp"));
  if (cidr === null) return fromPerms;
  const legacy = permissionRules({ ipProtocol: field(rp, "ipProtocol"), fromPort: field(rp, "fromPort"), toPort: field(rp, "toPort"), ipRanges: [{ cidrIp: cidr }] }, direction, ownerId);
  return [...fromPerms, ...legacy];
}

/** Rules of a response rule set (securityGroupRuleSet, revokedSecurityGroupRuleSet): direction from isEgress. */
export function ruleSetRules(set: unknown, fallback: Direction): Rule[] {
  return ruleSetItems(set, fallback).map((x) => x.rule);
}

/** The sgr- ids of a response rule set, each with its rule. */
export function ruleSetIds(set: unknown, fallback: Direction): RuleWithId[] {
  return ruleSetItems(set, fallback).flatMap((x) => (x.ruleId === null ? [] : [{ ruleId: x.ruleId, rule: x.rule }]));
}

/** The rule ids a request named (securityGroupRuleIds: {items: [{securityGroupRuleId}]}, or bare strings). */
export function requestRuleIds(rp: unknown): string[] {
  return list(field(rp, "securityGroupRuleIds")).flatMap((x) => {
    const id = str(x) ?? str(field(x, "securityGroupRuleId"));
    return id === null ? [] : [id];
  });
}

function ruleSetItems(set: unknown, fallback: Direction): Array<{ ruleId: string | null; rule: Rule }> {
  const rules: Array<{ ruleId: string | null; rule: Rule }> = [];
  for (const x of list(set)) {
    const t = traffic(x);
    if (t === null) continue;
    const egress = bool(field(x, "isEgress"));
    const owner = str(field(x, "groupOwnerId"));
    const ruleId = str(field(x, "securityGroupRuleId"));
    const base = { direction: egress === null ? fallback : egress ? ("egress" as const) : ("ingress" as const), ...t, sourceAccount: null, peeringId: null, description: description(x) };
    const v4 = str(field(x, "cidrIpv4"));
    const v6 = str(field(x, "cidrIpv6"));
    const pl = str(field(x, "prefixListId"));
    const ref = field(x, "referencedGroupInfo");
    if (v4 !== null) rules.push({ ruleId, rule: { ...base, sourceKind: "ipv4", source: canonicalCidr(v4) } });
    else if (v6 !== null) rules.push({ ruleId, rule: { ...base, sourceKind: "ipv6", source: canonicalCidr(v6) } });
    else if (pl !== null) rules.push({ ruleId, rule: { ...base, sourceKind: "prefix-list", source: pl } });
    else {
      const id = str(field(ref, "groupId"));
      if (id === null) continue;
      const userId = str(field(ref, "userId"));
      rules.push({
        ruleId,
        rule: {
          ...base,
          sourceKind: "security-group",
          source: id,
          sourceAccount: userId !== null && userId !== owner ? userId : null,
          peeringId: str(field(ref, "vpcPeeringConnectionId")),
        },
      });
    }
  }
  return rules;
}

/** The new content of a ModifySecurityGroupRules rule (SecurityGroupRuleRequest). */
export function modifiedRule(x: unknown): ModifiedRule | null {
  const inner = field(x, "securityGroupRule");
  const t = traffic(inner);
  if (t === null) return null;
  const base = { direction: "ingress" as const, ...t, sourceAccount: null, peeringId: null, description: description(inner) };
  const ruleId = str(field(x, "securityGroupRuleId"));
  const v4 = str(field(inner, "cidrIpv4"));
  const v6 = str(field(inner, "cidrIpv6"));
  const pl = str(field(inner, "prefixListId"));
  const ref = str(field(inner, "referencedGroupId"));
  if (v4 !== null) return { ruleId, rule: { ...base, sourceKind: "ipv4", source: canonicalCidr(v4) } };
  if (v6 !== null) return { ruleId, rule: { ...base, sourceKind: "ipv6", source: canonicalCidr(v6) } };
  if (pl !== null) return { ruleId, rule: { ...base, sourceKind: "prefix-list", source: pl } };
  if (ref !== null) return { ruleId, rule: { ...base, sourceKind: "security-group", source: ref } };
  return null;
}

export function direction(eventName: string): Direction {
  return eventName.endsWith("Egress") ? "egress" : "ingress";
}

export function parseJson(text: string | undefined): Obj {
  if (text === undefined) return {};
  try {
    const v: unknown = JSON.parse(text);
    return isObj(v) ? v : {};
  } catch {
    return {};
  }
}

export function dedupe(rules: Rule[]): Rule[] {
  const seen = new Map<string, Rule>();
  for (const r of rules) {
    const k = [r.direction, r.protocol, r.fromPort, r.toPort, r.sourceKind, r.source, r.sourceAccount, r.peeringId].join("|");
    if (!seen.has(k)) seen.set(k, r);
  }
  return [...seen.values()];
}
