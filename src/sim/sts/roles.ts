// The roles the simulator knows, and the sessions assumed from them. AWS
// decides an AssumeRole with the role's trust policy; here a role names the
// access keys it trusts and, optionally, the ExternalId its trust policy
// requires. A session's temporary key acts in the role's account only.

/** A role as a test (or the admin endpoint) declares it. */
export interface RoleSpec {
  /** arn:<partition>:iam::<account>:role/[path/]<name>. */
  arn: string;
  /** Access key ids allowed to assume it (the trust policy's principals). */
  trustedKeys: string[];
  /** The sts:ExternalId the trust policy requires, if any. */
  externalId?: string;
}

/** A role, with the parts of its ARN taken apart. */
export interface SimRole extends RoleSpec {
  /** aws, aws-cn, aws-us-gov, … from the ARN. */
  partition: string;
  /** The account the role lives in (and its sessions act in). */
  account: string;
  /** Role name, without its path. */
  name: string;
}

/** Temporary credentials handed out by AssumeRole. */
export interface SimSession {
  /** ASIA… key id. */
  accessKeyId: string;
  /** The secret (the simulator checks no signatures; kept for the answer). */
  secretAccessKey: string;
  /** Must come with every call as X-Amz-Security-Token. */
  sessionToken: string;
  /** ISO-8601 UTC end of validity. */
  expiration: string;
  /** The role's account: the only one these credentials act in. */
  account: string;
  /** The role assumed. */
  roleArn: string;
  /** RoleSessionName of the request. */
  sessionName: string;
}

const ROLE_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;

/** Parses and checks a role spec; throws an Error naming what is wrong. */
export function parseRoleSpec(data: unknown): SimRole {
  if (typeof data !== "object" || data === null || Array.isArray(data)) throw new Error("a role must be an object {arn, trustedKeys, externalId?}");
  const d = data as Record<string, unknown>;
  if (typeof d.arn !== "string") throw new Error("role.arn must be a string");
  const m = ROLE_ARN.exec(d.arn);
  if (m === null) throw new Error(`role.arn ${JSON.stringify(d.arn)} is not an IAM role ARN like arn:aws:iam::123456789012:role/sgwatch`);
  if (!Array.isArray(d.trustedKeys) || !d.trustedKeys.every((k) => typeof k === "string" && k !== "")) {
    throw new Error(`role ${d.arn}: trustedKeys must be a list of access key ids`);
  }
  if (d.externalId !== undefined && (typeof d.externalId !== "string" || d.externalId === "")) {
    throw new Error(`role ${d.arn}: externalId must be a non-empty string when given`);
  }
  const [, partition, account, name] = m as unknown as [string, string, string, string];
  return {
    arn: d.arn,
    trustedKeys: [...(d.trustedKeys as string[])],
    ...(d.externalId !== undefined ? { externalId: d.externalId as string } : {}),
    partition,
    account,
    name,
  };
}

/** The simulator's IAM roles and STS sessions. */
export class RoleBook {
  private readonly roles = new Map<string, SimRole>();
  private readonly sessions = new Map<string, SimSession>();

  /** Adds (or replaces) a role; returns it parsed. */
  define(spec: RoleSpec): SimRole {
    const role = parseRoleSpec(spec);
    this.roles.set(role.arn, role);
    return role;
  }

  /** The role with this ARN, if defined. */
  role(arn: string): SimRole | undefined {
    return this.roles.get(arn);
  }

  /** Every role, in definition order. */
  list(): SimRole[] {
    return [...this.roles.values()];
  }

  /** Records a session handed out by AssumeRole. */
  addSession(s: SimSession): void {
    this.sessions.set(s.accessKeyId, s);
  }

  /** The session of a temporary key, if it is one. */
  session(accessKeyId: string): SimSession | undefined {
    return this.sessions.get(accessKeyId);
  }

  /** Every session handed out, oldest first. */
  listSessions(): SimSession[] {
    return [...this.sessions.values()];
  }
}
