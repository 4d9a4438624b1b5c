// Expands the configured targets into one entry per account × region.
import type { Config } from "./schema.js";
import type { ActorPolicyConfig } from "../policy/actor.js";

/** One account × region to poll. */
export interface ResolvedTarget {
  account: string;
  region: string;
  label: string | null;
  roleArn?: string;
  externalId?: string;
  endpoint?: string;
  /** CloudTrail attribution on (the same as cloudtrail: the sensor's two uses go together). */
  attribution: boolean;
  /** The CloudTrail sweep on (cloudtrail.enabled, or the older attribution: cloudtrail). */
  cloudtrail: boolean;
  /** Who may change security groups here and from where (the target's cloudtrail.actors, else the default); null: no actor check. */
  actors: ActorPolicyConfig | null;
}

/**
 * One entry per account × region. Entries with `regions: all` expand to the
 * regions discovered for the account (DescribeRegions, done by the cycle);
 * without a discovery they expand to nothing.
 */
export function resolveTargets(config: Config, discovered?: ReadonlyMap<string, readonly string[]>): ResolvedTarget[] {
  return config.targets.flatMap((t) => {
    const cloudtrail = t.cloudtrail?.enabled ?? (t.attribution !== undefined ? t.attribution === "cloudtrail" : config.cloudtrail.enabled);
    return t.accounts.flatMap(({ account, roleArn }) =>
      (t.regions === "all" ? (discovered?.get(account) ?? []) : t.regions).map((region) => ({
        account,
        region,
        label: t.label ?? null,
        attribution: cloudtrail,
        cloudtrail,
        actors: t.cloudtrail?.actors ?? config.cloudtrail.actors ?? null,
        ...(roleArn ? { roleArn } : {}),
        ...(t.externalId ? { externalId: t.externalId } : {}),
        ...(t.endpoint ? { endpoint: t.endpoint } : {}),
      })),
    );
  });
}

/** Accounts whose regions are "all", with how to reach them, for region discovery. */
export function accountsToDiscover(config: Config): Array<{ account: string; roleArn?: string; externalId?: string; endpoint?: string }> {
  return config.targets
    .filter((t) => t.regions === "all")
    .flatMap((t) =>
      t.accounts.map(({ account, roleArn }) => ({
        account,
        ...(roleArn ? { roleArn } : {}),
        ...(t.externalId ? { externalId: t.externalId } : {}),
        ...(t.endpoint ? { endpoint: t.endpoint } : {}),
      })),
    );
}

export function targetId(t: Pick<ResolvedTarget, "account" | "region">): string {
  return `${t.account}/${t.region}`;
}
