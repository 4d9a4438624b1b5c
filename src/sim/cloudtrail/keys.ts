// What the simulator knows about an access key beyond its account: whether
// IAM denies it EC2 calls (a stolen key whose permissions were cut, or one that
// never had them), and where its calls come from (source address, VPC
// endpoint). Tests and the demo steer these; the server consults them for
// every call.

import { createHash } from "node:crypto";

/** Where a key's calls come from. */
export interface KeyNetwork {
  /** sourceIPAddress of its calls (overrides the connection's address). */
  sourceIp?: string;
  /** vpcEndpointId of its calls, e.g. vpce-0123456789abcdef0. */
  vpcEndpointId?: string;
}

/** Per-key deny list and network. */
export class KeyControls {
  // key -> denied actions; null: every mutating action.
  private readonly denied = new Map<string, ReadonlySet<string> | null>();
  private readonly networks = new Map<string, KeyNetwork>();

  /** IAM denies `accessKeyId` these EC2 actions (default: every action that changes state). */
  deny(accessKeyId: string, actions?: readonly string[]): void {
    this.denied.set(accessKeyId, actions === undefined ? null : new Set(actions));
  }

  /** Lifts a deny. */
  allow(accessKeyId: string): void {
    this.denied.delete(accessKeyId);
  }

  /** True when a call of `action` (mutating when `mutating`) by the key is denied. */
  isDenied(accessKeyId: string, action: string, mutating: boolean): boolean {
    if (!this.denied.has(accessKeyId)) return false;
    const actions = this.denied.get(accessKeyId);
    return actions === null || actions === undefined ? mutating : actions.has(action);
  }

  /** Calls signed with `accessKeyId` come from this address / VPC endpoint. */
  setNetwork(accessKeyId: string, network: KeyNetwork): void {
    this.networks.set(accessKeyId, { ...network });
  }

  /** The key's network, if set. */
  networkOf(accessKeyId: string): KeyNetwork | undefined {
    return this.networks.get(accessKeyId);
  }

  /** Forgets every deny and network. */
  clear(): void {
    this.denied.clear();
    this.networks.clear();
  }
}

/**
 * EC2's UnauthorizedOperation message: the sentence, then "Encoded
 * authorization failure message:" and an opaque token (on AWS, encrypted;
 * sts:DecodeAuthorizationMessage reads it). Here the token is base64url of the
 * decision's JSON, stable for the same call, and as long as AWS's usually are.
 */
export function unauthorizedMessage(arn: string, action: string, resource: string): string {
  const decision = JSON.stringify({ allowed: false, explicitDeny: true, matchedStatements: { items: [{ statementId: "SimDenyList", effect: "DENY" }] }, context: { principal: { arn }, action: `ec2:${action}`, resource } });
  const pad = createHash("sha512").update(decision).digest("base64url");
  const token = Buffer.from(decision, "utf8").toString("base64url") + pad;
  return `You are not authorized to perform this operation. User: ${arn} is not authorized to perform: ec2:${action} on resource: ${resource} with an explicit deny in an identity-based policy. Encoded authorization failure message: ${token}`;
}
