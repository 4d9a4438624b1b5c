// Reading EC2 Query parameters: flat `Name=value` pairs where lists are
// spelled `Prefix.1`, `Prefix.2`, … and structures nest with dots
// (`IpPermissions.1.IpRanges.2.CidrIp`).

import { errors } from "./errors.js";
import type { PermissionInput, SimTag } from "./types.js";

/** Parameters of one request. */
export class QueryParams {
  constructor(private readonly map: ReadonlyMap<string, string>) {}

  /** Parses an application/x-www-form-urlencoded body (or query string). */
  static parse(body: string): QueryParams {
    const map = new Map<string, string>();
    for (const [k, v] of new URLSearchParams(body)) map.set(k, v);
    return new QueryParams(map);
  }

  /** A parameter, or undefined. */
  get(name: string): string | undefined {
    return this.map.get(name);
  }

  /** A parameter that must be present and non-empty (MissingParameter otherwise). */
  required(name: string): string {
    const v = this.map.get(name);
    if (v === undefined || v === "") throw errors.missingParameter(name);
    return v;
  }

  /** An integer parameter, or undefined; InvalidParameterValue when not an integer. */
  int(name: string): number | undefined {
    const v = this.map.get(name);
    if (v === undefined) return undefined;
    if (!/^-?\d+$/.test(v.trim())) throw errors.invalidParameterValue(`Invalid value '${v}' for ${name}: not an integer`);
    return Number(v);
  }

  /** A boolean parameter; AWS accepts `true`/`false`. */
  bool(name: string): boolean | undefined {
    const v = this.map.get(name);
    if (v === undefined) return undefined;
    if (v !== "true" && v !== "false") throw errors.invalidParameterValue(`Invalid value '${v}' for ${name}: expecting true or false`);
    return v === "true";
  }

  /** Values of `prefix.1`, `prefix.2`, … in index order. */
  list(prefix: string): string[] {
    return this.indexed(prefix)
      .map(([, sub]) => sub.get(""))
      .filter((v): v is string => v !== undefined);
  }

  /** Sub-parameter sets of `prefix.N.*`, one per index, in index order. */
  structs(prefix: string): QueryParams[] {
    return this.indexed(prefix).map(([, sub]) => sub);
  }

  /** Parameters under `prefix.` (a nested structure, not a list). */
  sub(prefix: string): QueryParams | undefined {
    const p = `${prefix}.`;
    const map = new Map<string, string>();
    for (const [k, v] of this.map) if (k.startsWith(p)) map.set(k.slice(p.length), v);
    return map.size === 0 ? undefined : new QueryParams(map);
  }

  /** True when any parameter starts with `prefix.`. */
  has(prefix: string): boolean {
    const p = `${prefix}.`;
    for (const k of this.map.keys()) if (k === prefix || k.startsWith(p)) return true;
    return false;
  }

  /** Every key and value (for fingerprints of a query). */
  entries(): [string, string][] {
    return [...this.map];
  }

  // Groups `prefix.N` (sub key "") and `prefix.N.rest` (sub key "rest") by N.
  private indexed(prefix: string): [number, QueryParams][] {
    const p = `${prefix}.`;
    const byIndex = new Map<number, Map<string, string>>();
    for (const [k, v] of this.map) {
      if (!k.startsWith(p)) continue;
      const rest = k.slice(p.length);
      const dot = rest.indexOf(".");
      const indexText = dot < 0 ? rest : rest.slice(0, dot);
      if (!/^\d+$/.test(indexText)) continue;
      const index = Number(indexText);
      let sub = byIndex.get(index);
      if (sub === undefined) {
        sub = new Map();
        byIndex.set(index, sub);
      }
      sub.set(dot < 0 ? "" : rest.slice(dot + 1), v);
    }
    return [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([i, m]) => [i, new QueryParams(m)]);
  }
}

/** One `Filter.N`: a name and its values (OR within, AND across filters). */
export interface Filter {
  name: string;
  values: string[];
}

/** `Filter.N.Name` / `Filter.N.Value.M`. */
export function parseFilters(params: QueryParams): Filter[] {
  return params.structs("Filter").map((f) => ({ name: f.required("Name"), values: f.list("Value") }));
}

/** `Tag.N.Key` / `Tag.N.Value` under `prefix` (CreateTags uses `Tag`). */
export function parseTags(params: QueryParams, prefix = "Tag"): SimTag[] {
  return params.structs(prefix).map((t) => ({ key: t.get("Key") ?? "", value: t.get("Value") ?? "" }));
}

/** Tags of the TagSpecification entries whose ResourceType is `resourceType`. */
export function parseTagSpecifications(params: QueryParams, resourceType: string): SimTag[] {
  const out: SimTag[] = [];
  for (const spec of params.structs("TagSpecification")) {
    const type = spec.get("ResourceType");
    if (type !== undefined && type !== resourceType) {
      throw errors.invalidParameterValue(`'${type}' is not a valid taggable resource type for this operation.`);
    }
    out.push(...parseTags(spec, "Tag"));
  }
  return out;
}

/** `IpPermissions.N.*` as PermissionInput. */
export function parseIpPermissions(params: QueryParams, prefix = "IpPermissions"): PermissionInput[] {
  return params.structs(prefix).map((p) => permissionFrom(p));
}

function permissionFrom(p: QueryParams): PermissionInput {
  const perm: PermissionInput = { ipProtocol: p.required("IpProtocol") };
  const from = p.int("FromPort");
  const to = p.int("ToPort");
  if (from !== undefined) perm.fromPort = from;
  if (to !== undefined) perm.toPort = to;
  const ipRanges = p.structs("IpRanges").map((r) => optDesc({ cidrIp: r.required("CidrIp") }, r));
  const ipv6Ranges = p.structs("Ipv6Ranges").map((r) => optDesc({ cidrIpv6: r.required("CidrIpv6") }, r));
  const prefixListIds = p.structs("PrefixListIds").map((r) => optDesc({ prefixListId: r.required("PrefixListId") }, r));
  // The SDK sends `Groups`; the API reference names the member UserIdGroupPairs.
  const pairs = [...p.structs("Groups"), ...p.structs("UserIdGroupPairs")].map((g) => {
    const pair: NonNullable<PermissionInput["userIdGroupPairs"]>[number] = {};
    for (const [key, field] of [
      ["GroupId", "groupId"],
      ["GroupName", "groupName"],
      ["UserId", "userId"],
      ["VpcPeeringConnectionId", "vpcPeeringConnectionId"],
      ["Description", "description"],
    ] as const) {
      const v = g.get(key);
      if (v !== undefined) pair[field] = v;
    }
    return pair;
  });
  if (ipRanges.length > 0) perm.ipRanges = ipRanges;
  if (ipv6Ranges.length > 0) perm.ipv6Ranges = ipv6Ranges;
  if (prefixListIds.length > 0) perm.prefixListIds = prefixListIds;
  if (pairs.length > 0) perm.userIdGroupPairs = pairs;
  return perm;
}

function optDesc<T extends object>(base: T, p: QueryParams): T & { description?: string } {
  const d = p.get("Description");
  return d === undefined ? base : { ...base, description: d };
}

/**
 * The legacy single-permission form (`IpProtocol`, `FromPort`, `ToPort`,
 * `CidrIp`, `SourceSecurityGroupName`, `SourceSecurityGroupOwnerId`) that
 * AuthorizeSecurityGroupIngress still accepts, or undefined when absent.
 */
export function parseLegacyPermission(params: QueryParams): PermissionInput | undefined {
  const cidr = params.get("CidrIp");
  const sourceName = params.get("SourceSecurityGroupName");
  if (cidr === undefined && sourceName === undefined && params.get("IpProtocol") === undefined) return undefined;
  const perm: PermissionInput = { ipProtocol: params.get("IpProtocol") ?? "-1" };
  const from = params.int("FromPort");
  const to = params.int("ToPort");
  if (from !== undefined) perm.fromPort = from;
  if (to !== undefined) perm.toPort = to;
  if (cidr !== undefined) perm.ipRanges = [{ cidrIp: cidr }];
  if (sourceName !== undefined) {
    const owner = params.get("SourceSecurityGroupOwnerId");
    perm.userIdGroupPairs = [owner === undefined ? { groupName: sourceName } : { groupName: sourceName, userId: owner }];
  }
  return perm;
}
