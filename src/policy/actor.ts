// Actor policy (pure): who may change security groups and from where. A stolen
// key is used from the thief's address, or a key of someone who never touches
// firewalls is used at all; both show in the CloudTrail record of the change,
// not in the state a poll sees. The same principal patterns name who an
// approval record expects (`by:`).
//
// A principal pattern is an ARN glob (`arn:aws:iam::*:role/deploy-*`; `*` is
// any run of characters, `?` one) or an AWS service principal
// (`autoscaling.amazonaws.com`, matched against the record's invokedBy or
// service source address). An assumed-role session matches a pattern of its
// session ARN or of its role's ARN, so `…:role/deploy-*` admits every session
// of those roles.
import { cidrContains, parseCidr, type Cidr } from "../model/cidr.js";

/** The actor policy as configured (cloudtrail.actors, or a target's override). Each list absent = no condition. */
export interface ActorPolicyConfig {
  /** Principals allowed to change security groups: ARN globs or service principals. */
  principals?: readonly string[] | undefined;
  /** Networks calls may come from (CIDRs); calls made by an AWS service itself have no address and are exempt. */
  networks?: readonly string[] | undefined;
  /** VPC endpoints a call that came through one must have used. */
  vpcEndpoints?: readonly string[] | undefined;
}

/** Who made a call and from where, as the trail event row records it. */
export interface ActorFacts {
  /** userIdentity.arn. */
  identityArn: string | null;
  /** userIdentity.type (AWSService for calls a service makes itself). */
  identityType: string | null;
  /** The role behind an assumed-role session (sessionContext.sessionIssuer.arn). */
  issuerArn: string | null;
  /** invokedBy: the service that made the call on the caller's behalf. */
  invokedBy: string | null;
  /** sourceIPAddress: an address, or a service's name. */
  sourceIp: string | null;
  /** vpcEndpointId. */
  vpcEndpointId: string | null;
}

/** Which condition a call failed. */
export type ActorCondition = "principal" | "network" | "vpc-endpoint";

/** One failed condition, in words for alerts and the `changes` view. */
export interface ActorProblem {
  condition: ActorCondition;
  /** e.g. "source address 203.0.113.9 is not in the allowed networks (10.0.0.0/8)". Built from untrusted text: sanitise before showing. */
  message: string;
}

const SERVICE = /^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?$/;

/** Why `pattern` cannot be a principal pattern, or null when it can. */
export function principalPatternProblem(pattern: string): string | null {
  if (SERVICE.test(pattern)) return null;
  if (!pattern.startsWith("arn:")) {
    return `"${pattern}" is neither an ARN pattern (arn:aws:iam::*:role/deploy-*) nor a service principal (autoscaling.amazonaws.com)`;
  }
  const parts = pattern.split(":");
  if (parts.length < 6 || parts.slice(5).join(":") === "") return `"${pattern}" is not an ARN: expected arn:partition:service:region:account:resource`;
  return null;
}

/** Why `cidr` cannot be an allowed network, or null when it can. */
export function networkProblem(cidr: string): string | null {
  return parseCidr(cidr) === null ? `"${cidr}" is not a CIDR (e.g. 10.0.0.0/8, 2001:db8::/32)` : null;
}

/** Why `id` cannot be a VPC endpoint id, or null when it can. */
export function vpcEndpointProblem(id: string): string | null {
  return /^vpce-[0-9a-f]+$/.test(id) ? null : `"${id}" is not a VPC endpoint id (vpce-…)`;
}

function globRegex(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

/** The ARN of the role behind an assumed-role session ARN (arn:aws:sts::A:assumed-role/R/S → arn:aws:iam::A:role/R). */
function roleOfSession(arn: string): string | null {
  const m = /^arn:([^:]+):sts::(\d*):assumed-role\/([^/]+)\/.+$/.exec(arn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : null;
}

/** The names a call's principal goes by: its ARN, its role's ARN, and the service that made it. */
function principalNames(f: ActorFacts): string[] {
  const names = [f.identityArn, f.issuerArn, f.identityArn !== null ? roleOfSession(f.identityArn) : null, f.invokedBy];
  if (f.identityType === "AWSService" && f.sourceIp !== null) names.push(f.sourceIp);
  return names.filter((n): n is string => n !== null && n !== "");
}

/** Whether any of `patterns` names the call's principal. */
export function principalMatches(patterns: readonly string[], f: ActorFacts): boolean {
  const names = principalNames(f);
  return patterns.some((p) => {
    const re = globRegex(p);
    return names.some((n) => re.test(n));
  });
}

/** The caller in one line: its ARN, else its service, else "an unknown caller". */
export function actorLabel(f: ActorFacts): string {
  return f.identityArn ?? f.invokedBy ?? f.sourceIp ?? "an unknown caller";
}

function parseAddress(text: string): Cidr | null {
  return parseCidr(text.includes(":") ? `${text}/128` : `${text}/32`);
}

/**
 * Every condition of `policy` the call fails (empty: allowed). A service
 * calling on its own (no address, sourceIPAddress a service name) is judged
 * on its principal only.
 */
export function actorProblems(policy: ActorPolicyConfig, f: ActorFacts): ActorProblem[] {
  const out: ActorProblem[] = [];
  if (policy.principals !== undefined && !principalMatches(policy.principals, f)) {
    out.push({ condition: "principal", message: `principal ${actorLabel(f)} is not allowed to change security groups (allowed: ${policy.principals.join(", ") || "none"})` });
  }
  if (policy.networks !== undefined && f.sourceIp !== null) {
    const address = parseAddress(f.sourceIp);
    if (address !== null) {
      const nets = policy.networks.map(parseCidr).filter((c): c is Cidr => c !== null);
      if (!nets.some((n) => n.family === address.family && cidrContains(n, address))) {
        out.push({ condition: "network", message: `source address ${f.sourceIp} is not in the allowed networks (${policy.networks.join(", ") || "none"})` });
      }
    }
  }
  if (policy.vpcEndpoints !== undefined && f.vpcEndpointId !== null && !policy.vpcEndpoints.includes(f.vpcEndpointId)) {
    out.push({ condition: "vpc-endpoint", message: `VPC endpoint ${f.vpcEndpointId} is not allowed (allowed: ${policy.vpcEndpoints.join(", ") || "none"})` });
  }
  return out;
}

/** Whether a policy says anything at all (an empty object checks nothing). */
export function hasActorPolicy(policy: ActorPolicyConfig | null | undefined): policy is ActorPolicyConfig {
  return policy !== null && policy !== undefined && (policy.principals !== undefined || policy.networks !== undefined || policy.vpcEndpoints !== undefined);
}
