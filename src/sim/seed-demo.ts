// A small, realistic account for the demo and for tests that want something
// that looks like production: one VPC, a three-tier app behind a bastion,
// rules that reference each other, and one of each peer kind.

import type { RegionState } from "./region-state.js";
import { createInterface } from "./network-interfaces.js";
import { DEFAULT_ACCOUNT, type SimState } from "./state.js";
import type { Caller } from "./types.js";

/** Ids of what seedDemoAccount created. */
export interface DemoAccount {
  account: string;
  region: string;
  vpcId: string;
  groups: { default: string; web: string; app: string; db: string; bastion: string };
  /** Network interfaces: the bastion's public instance, the web tier's load balancer, an app server, the database. */
  interfaces: { bastion: string; bastionInstance: string; web: string; app: string; db: string };
}

/** Options of seedDemoAccount. */
export interface DemoOptions {
  /** Account to seed; default 123456789012. */
  account?: string;
  /** Region to seed; default us-east-1. */
  region?: string;
  /** Attribution of the seeding mutations. */
  caller?: Caller;
}

/** The demo VPC's id (fixed, so docs and screenshots stay valid). */
export const DEMO_VPC_ID = "vpc-0d3e40a1b2c3d4e5f";

/** An AWS-managed prefix list id of the kind S3 gateway endpoints use. */
export const DEMO_S3_PREFIX_LIST = "pl-63a5400a";

const OFFICE_CIDR = "203.0.113.0/24";

/** The bastion instance's public address (documentation range, fixed for docs and tests). */
export const DEMO_BASTION_PUBLIC_IP = "198.51.100.7";

/** The web tier's internet-facing load balancer address. */
export const DEMO_WEB_PUBLIC_IP = "198.51.100.20";

/** Seeds the demo account into `state` and returns the ids it made. */
export function seedDemoAccount(state: SimState, opts: DemoOptions = {}): DemoAccount {
  const account = opts.account ?? DEFAULT_ACCOUNT;
  const regionName = opts.region ?? "us-east-1";
  const r: RegionState = state.account(account).region(regionName);
  const caller = opts.caller;
  const vpcId = DEMO_VPC_ID;
  const tags = (name: string, team: string) => [
    { key: "Name", value: name },
    { key: "env", value: "prod" },
    { key: "team", value: team },
  ];
  const def = r.ensureDefaultGroup(vpcId, caller);
  const bastion = r.createGroup(
    { groupName: "bastion", description: "SSH bastion reachable from the office", vpcId, tags: tags("bastion", "platform") },
    caller,
  );
  const web = r.createGroup(
    { groupName: "web", description: "Public load balancer tier", vpcId, tags: tags("web", "frontend") },
    caller,
  );
  const app = r.createGroup(
    { groupName: "app", description: "Application servers", vpcId, tags: tags("app", "backend") },
    caller,
  );
  const db = r.createGroup(
    { groupName: "db", description: "PostgreSQL primary and replicas", vpcId, tags: tags("db", "data") },
    caller,
  );

  r.authorizeIngress(bastion.groupId, [
    { ipProtocol: "tcp", fromPort: 22, toPort: 22, ipRanges: [{ cidrIp: OFFICE_CIDR, description: "office VPN" }] },
  ], caller);
  r.authorizeIngress(web.groupId, [
    {
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      ipRanges: [{ cidrIp: "0.0.0.0/0", description: "HTTPS from anywhere" }],
      ipv6Ranges: [{ cidrIpv6: "::/0", description: "HTTPS from anywhere (IPv6)" }],
    },
    { ipProtocol: "tcp", fromPort: 80, toPort: 80, ipRanges: [{ cidrIp: "0.0.0.0/0", description: "redirect to HTTPS" }] },
    // Path MTU discovery: ICMP type 3 (unreachable), code 4 (fragmentation needed).
    { ipProtocol: "icmp", fromPort: 3, toPort: 4, ipRanges: [{ cidrIp: "0.0.0.0/0", description: "path MTU discovery" }] },
  ], caller);
  r.authorizeIngress(app.groupId, [
    { ipProtocol: "tcp", fromPort: 8080, toPort: 8080, userIdGroupPairs: [{ groupId: web.groupId, description: "from web tier" }] },
    { ipProtocol: "tcp", fromPort: 22, toPort: 22, userIdGroupPairs: [{ groupId: bastion.groupId, description: "SSH from bastion" }] },
  ], caller);
  r.authorizeEgress(app.groupId, [
    { ipProtocol: "tcp", fromPort: 443, toPort: 443, prefixListIds: [{ prefixListId: DEMO_S3_PREFIX_LIST, description: "S3 via gateway endpoint" }] },
  ], caller);
  r.authorizeIngress(db.groupId, [
    { ipProtocol: "tcp", fromPort: 5432, toPort: 5432, userIdGroupPairs: [{ groupId: app.groupId, description: "PostgreSQL from app" }] },
    { ipProtocol: "tcp", fromPort: 22, toPort: 22, userIdGroupPairs: [{ groupId: bastion.groupId, description: "SSH from bastion" }] },
  ], caller);

  // Blast radius: the bastion is one public instance, web sits behind an
  // internet-facing load balancer, app servers and the RDS database have
  // private addresses only; default is used by nothing. Made last, so the
  // groups' ids stay what they were before interfaces existed.
  const newId = (p: string): string => r.newId(p);
  const bastionNi = createInterface(r, { kind: "instance", groupIds: [bastion.groupId], publicIp: DEMO_BASTION_PUBLIC_IP }, newId);
  const webNi = createInterface(r, { kind: "load-balancer", groupIds: [web.groupId], publicIp: DEMO_WEB_PUBLIC_IP }, newId);
  const appNi = createInterface(r, { kind: "instance", groupIds: [app.groupId] }, newId);
  const dbNi = createInterface(r, { kind: "rds", groupIds: [db.groupId] }, newId);

  return {
    account,
    region: regionName,
    vpcId,
    groups: { default: def.groupId, web: web.groupId, app: app.groupId, db: db.groupId, bastion: bastion.groupId },
    interfaces: { bastion: bastionNi.interfaceId, bastionInstance: bastionNi.instanceId ?? "", web: webNi.interfaceId, app: appNi.interfaceId, db: dbNi.interfaceId },
  };
}
