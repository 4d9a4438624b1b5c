// Network interfaces in the simulator: what uses each security group, for
// blast radius. Tests and the demo create them (admin endpoint, state file,
// in-process), DescribeNetworkInterfaces reports them in AWS's XML shape.
// Each kind is rendered as AWS's services create it (InterfaceType,
// requester, description), so sgwatch's classifier meets realistic input.
import { errors, simError } from "./errors.js";
import type { RegionState } from "./region-state.js";
import { itemList, text, wrap } from "./xml.js";
import { tagSetXml } from "./render.js";

/** What an interface belongs to. */
export const INTERFACE_KINDS = ["instance", "load-balancer", "lambda", "rds", "nat", "endpoint", "other"] as const;
export type SimInterfaceKind = (typeof INTERFACE_KINDS)[number];

/** One network interface. */
export interface SimInterface {
  /** eni- + 17 hex. */
  interfaceId: string;
  /** What it belongs to. */
  kind: SimInterfaceKind;
  /** Security groups it uses (1..5, as on AWS). */
  groupIds: string[];
  /** The instance it is attached to (kind instance), else absent. */
  instanceId?: string;
  /** Its associated public IPv4 address, if any. */
  publicIp?: string;
  /** Its primary private IPv4 address. */
  privateIp: string;
  /** Its VPC (the groups' VPC). */
  vpcId: string;
  /** Description as the creating service writes it. */
  description: string;
}

/** What a caller says to create an interface. */
export interface InterfaceInput {
  /** What it belongs to. */
  kind: SimInterfaceKind;
  /** Security groups (ids) it uses. */
  groupIds: string[];
  /** The instance (kind instance; made up when absent). */
  instanceId?: string;
  /** A public IPv4 address to associate. */
  publicIp?: string;
  /** A description; the kind's usual one when absent. */
  description?: string;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** Checks an admin or state-file interface spec; throws naming the field. */
export function parseInterfaceInput(v: unknown): InterfaceInput {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("a network interface must be an object {kind, groupIds, instanceId?, publicIp?, description?}");
  const o = v as Record<string, unknown>;
  if (typeof o.kind !== "string" || !(INTERFACE_KINDS as readonly string[]).includes(o.kind)) throw new Error(`kind must be one of ${INTERFACE_KINDS.join(", ")}`);
  if (!Array.isArray(o.groupIds) || o.groupIds.length < 1 || o.groupIds.length > 5 || !o.groupIds.every((g) => typeof g === "string")) {
    throw new Error("groupIds must be a list of 1 to 5 security group ids");
  }
  for (const k of ["instanceId", "publicIp", "description"] as const) {
    if (o[k] !== undefined && typeof o[k] !== "string") throw new Error(`${k} must be a string`);
  }
  if (typeof o.publicIp === "string" && !IPV4.test(o.publicIp)) throw new Error(`publicIp ${JSON.stringify(o.publicIp)} is not an IPv4 address`);
  return {
    kind: o.kind as SimInterfaceKind,
    groupIds: o.groupIds as string[],
    ...(typeof o.instanceId === "string" ? { instanceId: o.instanceId } : {}),
    ...(typeof o.publicIp === "string" ? { publicIp: o.publicIp } : {}),
    ...(typeof o.description === "string" ? { description: o.description } : {}),
  };
}

/** The description AWS's service writes for an interface of this kind. */
function usualDescription(kind: SimInterfaceKind, id: string): string {
  switch (kind) {
    case "instance":
      return "";
    case "load-balancer":
      return `ELB app/demo-alb/${id.slice(4, 20)}`;
    case "lambda":
      return "AWS Lambda VPC ENI-demo-function";
    case "rds":
      return "RDSNetworkInterface";
    case "nat":
      return `Interface for NAT Gateway nat-${id.slice(4)}`;
    case "endpoint":
      return `VPC Endpoint Interface vpce-${id.slice(4)}`;
    case "other":
      return "";
  }
}

/** The region's groups by id, checked: all exist and share one VPC (AWS refuses groups of another VPC). */
function checkGroups(region: RegionState, groupIds: readonly string[]): string {
  const vpcs = new Set(groupIds.map((id) => region.getGroup(id).vpcId));
  if (vpcs.size !== 1) throw simError("InvalidParameterValue", "security groups of an interface must belong to one VPC");
  return [...vpcs][0] as string;
}

/** Creates an interface using the groups; returns it. */
export function createInterface(region: RegionState, input: InterfaceInput, newId: (prefix: string) => string): SimInterface {
  const vpcId = checkGroups(region, input.groupIds);
  const interfaceId = newId("eni");
  const n = region.interfaces.size + 10;
  const ni: SimInterface = {
    interfaceId,
    kind: input.kind,
    groupIds: [...new Set(input.groupIds)],
    ...(input.kind === "instance" ? { instanceId: input.instanceId ?? newId("i") } : {}),
    ...(input.publicIp !== undefined ? { publicIp: input.publicIp } : {}),
    privateIp: `10.0.${Math.floor(n / 250) % 250}.${(n % 250) + 4}`,
    vpcId,
    description: input.description ?? usualDescription(input.kind, interfaceId),
  };
  region.interfaces.set(interfaceId, ni);
  return ni;
}

/** The interface, or InvalidNetworkInterfaceID.NotFound. */
export function getInterface(region: RegionState, id: string): SimInterface {
  const ni = region.interfaces.get(id);
  if (!ni) throw simError("InvalidNetworkInterfaceID.NotFound", `The networkInterface ID '${id}' does not exist`);
  return ni;
}

/** Replaces the interface's groups and/or its public address (null: disassociate). */
export function modifyInterface(region: RegionState, id: string, change: { groupIds?: string[]; publicIp?: string | null }): SimInterface {
  const ni = getInterface(region, id);
  if (change.groupIds !== undefined) {
    if (change.groupIds.length < 1 || change.groupIds.length > 5) throw errors.invalidParameterValue("an interface uses 1 to 5 security groups");
    const vpcId = checkGroups(region, change.groupIds);
    if (vpcId !== ni.vpcId) throw simError("InvalidParameterValue", "security groups must belong to the interface's VPC");
    ni.groupIds = [...new Set(change.groupIds)];
  }
  if (change.publicIp === null) delete ni.publicIp;
  else if (change.publicIp !== undefined) {
    if (!IPV4.test(change.publicIp)) throw errors.invalidParameterValue(`${change.publicIp} is not an IPv4 address`);
    ni.publicIp = change.publicIp;
  }
  return ni;
}

/** Deletes the interface. */
export function deleteInterface(region: RegionState, id: string): void {
  getInterface(region, id);
  region.interfaces.delete(id);
}

/** True when an interface of the region uses the group (it cannot be deleted then). */
export function groupInUse(region: RegionState, groupId: string): boolean {
  for (const ni of region.interfaces.values()) if (ni.groupIds.includes(groupId)) return true;
  return false;
}

/** InterfaceType, requester and managed flag as AWS reports them per kind. */
function awsShape(kind: SimInterfaceKind): { type: string; requesterId?: string; managed: boolean } {
  switch (kind) {
    case "instance":
    case "other":
      return { type: "interface", managed: false };
    case "load-balancer":
      return { type: "interface", requesterId: "amazon-elb", managed: true };
    case "lambda":
      return { type: "lambda", requesterId: "AROAEXAMPLELAMBDA:demo-function", managed: true };
    case "rds":
      return { type: "interface", requesterId: "amazon-rds", managed: true };
    case "nat":
      return { type: "nat_gateway", requesterId: "amazon-nat", managed: true };
    case "endpoint":
      return { type: "vpc_endpoint", requesterId: "amazon-vpce", managed: true };
  }
}

/** One `networkInterfaceSet` item of DescribeNetworkInterfaces, in AWS's element order. */
export function networkInterfaceXml(region: RegionState, ni: SimInterface): string {
  const shape = awsShape(ni.kind);
  const association = ni.publicIp
    ? wrap("association", text("publicIp", ni.publicIp) + text("publicDnsName", `ec2-${ni.publicIp.replaceAll(".", "-")}.compute-1.amazonaws.com`) + text("ipOwnerId", "amazon"))
    : "";
  const groups = itemList(
    "groupSet",
    ni.groupIds.map((id) => text("groupId", id) + text("groupName", region.groups.get(id)?.groupName ?? "")),
  );
  const attachment = ni.instanceId
    ? wrap(
        "attachment",
        text("attachmentId", `eni-attach-${ni.interfaceId.slice(4)}`) +
          text("instanceId", ni.instanceId) +
          text("instanceOwnerId", region.account) +
          text("deviceIndex", 0) +
          text("status", "attached") +
          text("attachTime", "2026-01-05T09:00:00.000Z") +
          text("deleteOnTermination", true),
      )
    : "";
  return (
    text("networkInterfaceId", ni.interfaceId) +
    text("subnetId", `subnet-${ni.vpcId.slice(4)}`) +
    text("vpcId", ni.vpcId) +
    text("availabilityZone", `${region.region}a`) +
    text("description", ni.description) +
    text("ownerId", region.account) +
    (shape.requesterId ? text("requesterId", shape.requesterId) : "") +
    text("requesterManaged", shape.managed) +
    text("status", "in-use") +
    text("macAddress", "02:00:00:00:00:01") +
    text("privateIpAddress", ni.privateIp) +
    text("sourceDestCheck", ni.kind !== "nat") +
    groups +
    attachment +
    association +
    tagSetXml([]) +
    itemList("privateIpAddressesSet", [text("privateIpAddress", ni.privateIp) + text("primary", true) + association]) +
    itemList("ipv6AddressesSet", []) +
    text("interfaceType", shape.type)
  );
}
