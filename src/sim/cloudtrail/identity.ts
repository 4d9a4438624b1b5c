// Who an access key belongs to, as CloudTrail's userIdentity names it. The
// simulator has no IAM; tests map keys to users (or assumed-role sessions),
// and an unmapped key gets a user derived from the key itself, so every event
// names someone stable.

import { createHash } from "node:crypto";

/** What a test may say about a key; the rest is derived. */
export interface IdentitySpec {
  /** IAMUser (default), AssumedRole, Root, … as CloudTrail spells it. */
  type?: string;
  /** IAM user name (IAMUser) or role session name (AssumedRole). */
  userName?: string;
  /** Full ARN; default arn:aws:iam::ACCOUNT:user/<userName> (IAMUser) or the assumed-role ARN. */
  arn?: string;
  /** Role name, for AssumedRole; default "sim-role". */
  roleName?: string;
  /** principalId; default derived from the key. */
  principalId?: string;
}

/** CloudTrail's userIdentity element, as the simulator fills it. */
export interface UserIdentity {
  /** IAMUser, AssumedRole, Root. */
  type: string;
  /** AIDA… for users, AROA…:session for role sessions, the account id for root. */
  principalId: string;
  /** The caller's ARN. */
  arn: string;
  /** Account the caller belongs to. */
  accountId: string;
  /** Key the call was signed with. */
  accessKeyId: string;
  /** IAM user name (users only). */
  userName?: string;
  /** The role behind an assumed-role session. */
  sessionContext?: {
    sessionIssuer: { type: string; principalId: string; arn: string; accountId: string; userName: string };
    attributes: { creationDate: string; mfaAuthenticated: string };
  };
}

/** A name that is stable for a key and valid in an IAM ARN. */
export function defaultUserName(accessKeyId: string): string {
  const cleaned = accessKeyId.replace(/[^\w+=,.@-]/g, "-");
  return cleaned === "" ? "anonymous" : cleaned;
}

function derivedId(prefix: string, accessKeyId: string): string {
  const hex = createHash("sha256").update(accessKeyId).digest("hex").toUpperCase();
  return `${prefix}${hex.replace(/[^A-Z0-9]/g, "").slice(0, 17)}`;
}

/** The userIdentity of a call signed with `accessKeyId`, acting in `accountId`. */
export function userIdentity(accessKeyId: string, accountId: string, spec: IdentitySpec | undefined, eventTime: string): UserIdentity {
  const type = spec?.type ?? "IAMUser";
  const userName = spec?.userName ?? defaultUserName(accessKeyId);
  if (type === "AssumedRole") {
    const roleName = spec?.roleName ?? "sim-role";
    const roleId = spec?.principalId?.split(":")[0] ?? derivedId("AROA", `${accountId}/${roleName}`);
    const roleArn = `arn:aws:iam::${accountId}:role/${roleName}`;
    return {
      type,
      principalId: spec?.principalId ?? `${roleId}:${userName}`,
      arn: spec?.arn ?? `arn:aws:sts::${accountId}:assumed-role/${roleName}/${userName}`,
      accountId,
      accessKeyId,
      sessionContext: {
        sessionIssuer: { type: "Role", principalId: roleId, arn: roleArn, accountId, userName: roleName },
        attributes: { creationDate: eventTime, mfaAuthenticated: "false" },
      },
    };
  }
  if (type === "Root") {
    return { type, principalId: accountId, arn: spec?.arn ?? `arn:aws:iam::${accountId}:root`, accountId, accessKeyId };
  }
  return {
    type,
    principalId: spec?.principalId ?? derivedId("AIDA", accessKeyId),
    arn: spec?.arn ?? `arn:aws:iam::${accountId}:user/${userName}`,
    accountId,
    accessKeyId,
    userName,
  };
}

/** The Username field of a LookupEvents result: the user name, or the session name of a role. */
export function lookupUsername(identity: UserIdentity): string {
  if (identity.userName !== undefined) return identity.userName;
  if (identity.type === "AssumedRole") return identity.arn.split("/").pop() ?? identity.arn;
  return identity.type === "Root" ? "root" : identity.arn;
}
