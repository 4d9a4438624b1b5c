// Expands the configured targets into one entry per account × region.
import type { Config } from "./schema.js";

/** One account × region to poll. */
export interface ResolvedTarget {
  account: string;
  region: string;
  label: string | null;
  roleArn?: string;
  externalId?: string;
  endpoint?: string;
  /** CloudTrail attribution on. */
  attribution: boolean;
}

export function resolveTargets(config: Config): ResolvedTarget[] {
  return config.targets.flatMap((t) =>
    t.regions.map((region) => ({
      account: t.account,
      region,
      label: t.label ?? null,
      attribution: t.attribution === "cloudtrail",
      ...(t.roleArn ? { roleArn: t.roleArn } : {}),
      ...(t.externalId ? { externalId: t.externalId } : {}),
      ...(t.endpoint ? { endpoint: t.endpoint } : {}),
    })),
  );
}

export function targetId(t: Pick<ResolvedTarget, "account" | "region">): string {
  return `${t.account}/${t.region}`;
}
