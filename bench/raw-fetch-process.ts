// The floor: the SDK paginator over every page of DescribeSecurityGroups,
// doing nothing with the result. Its own process, importing nothing but the
// SDK, so its peak RSS is what fetching alone costs.
import { EC2Client, paginateDescribeSecurityGroups } from "@aws-sdk/client-ec2";
import { serve } from "./ipc.js";

export interface RawFetchCommands {
  /** One full fetch; a fresh client each time, as the daemon makes one per target and poll. */
  fetch: { args: { endpoint: string; region: string; accessKeyId: string }; result: { ms: number; cpuMs: number; pages: number; groups: number } };
  /** Peak RSS of this process, bytes. */
  maxRss: { args: Record<string, never>; result: number };
}

serve<RawFetchCommands>({
  fetch: async ({ endpoint, region, accessKeyId }) => {
    const started = performance.now();
    const cpu = process.cpuUsage();
    const client = new EC2Client({ endpoint, region, credentials: { accessKeyId, secretAccessKey: "bench" }, maxAttempts: 5, retryMode: "adaptive" });
    let pages = 0;
    let groups = 0;
    try {
      for await (const page of paginateDescribeSecurityGroups({ client, pageSize: 1000 }, {})) {
        pages++;
        groups += page.SecurityGroups?.length ?? 0;
      }
    } finally {
      client.destroy();
    }
    const used = process.cpuUsage(cpu);
    return { ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000, pages, groups };
  },
  maxRss: () => process.resourceUsage().maxRSS * 1024,
});
