// Regions of accounts configured with `regions: all`, found by DescribeRegions
// at each cycle (kept in its own file: the cycle's polling is the rest of
// cycle.ts). A failure keeps the last list known, never an account dropped.
import type { ClientSpec } from "../aws/ec2-client.js";
import { enabledRegions } from "../aws/regions.js";
import { classifyPollError } from "../aws/poll-error.js";
import { accountsToDiscover } from "../config/targets.js";
import { listTargets } from "../store/targets-repo.js";
import type { CycleDeps } from "./cycle.js";

/** The spec with this thread's shared connection pool, when there is one (the pool never crosses to a worker: each has its own). */
export function withAgents(spec: ClientSpec, deps: Pick<CycleDeps, "agents">): ClientSpec {
  return deps.agents ? { ...spec, agents: deps.agents } : spec;
}

/**
 * Expand `regions: all` with DescribeRegions per account (region us-east-1,
 * or the target's endpoint). A failure keeps the last known list, or the
 * regions this account was polled in before, and is logged: an account must
 * not silently drop out of monitoring.
 */
export async function discoverRegions(deps: Pick<CycleDeps, "config" | "credentials" | "clientCache" | "clientFactory" | "agents" | "discoveredRegions" | "db" | "logger">, signal?: AbortSignal): Promise<Map<string, string[]>> {
  const found = deps.discoveredRegions ?? new Map<string, string[]>();
  for (const a of accountsToDiscover(deps.config)) {
    const spec: ClientSpec = {
      region: "us-east-1",
      ...(a.endpoint ? { endpoint: a.endpoint } : {}),
      ...(a.roleArn ? { roleArn: a.roleArn } : {}),
      ...(a.externalId ? { externalId: a.externalId } : {}),
      maxAttempts: deps.config.aws.maxAttempts,
      timeoutMs: deps.config.aws.timeout,
      ...(deps.credentials ? { credentials: deps.credentials } : {}),
    };
    const key = `${a.account}/discovery/${a.roleArn ?? ""}/${a.endpoint ?? ""}`;
    const client = deps.clientCache?.get(key) ?? deps.clientFactory(withAgents(spec, deps));
    deps.clientCache?.set(key, client);
    try {
      found.set(a.account, await enabledRegions(client, signal));
    } catch (err) {
      const e = classifyPollError(err);
      const known = found.get(a.account) ?? listTargets(deps.db).filter((t) => t.account === a.account).map((t) => t.region);
      found.set(a.account, known);
      deps.logger.error(
        { event: "region-discovery-failed", account: a.account, code: e.code, usingRegions: known },
        `cannot list the regions of account ${a.account} (${e.message}); polling the ${known.length} regions known before${
          e.code === "UnauthorizedOperation" ? " — grant ec2:DescribeRegions" : ""
        }`,
      );
    } finally {
      if (!deps.clientCache) client.destroy();
    }
  }
  return found;
}
