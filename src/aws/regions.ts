// `regions: all`: the regions enabled in an account, from DescribeRegions.
import { DescribeRegionsCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { CollectError } from "./poll-error.js";

/** The enabled regions' names, sorted. Opt-in regions not opted in are left out. */
export async function enabledRegions(client: EC2Client, signal?: AbortSignal): Promise<string[]> {
  const out = await client.send(new DescribeRegionsCommand({ AllRegions: false }), signal ? { abortSignal: signal } : {});
  const names = (out.Regions ?? [])
    .filter((r) => r.OptInStatus !== "not-opted-in")
    .map((r) => r.RegionName)
    .filter((n): n is string => typeof n === "string" && /^[a-z]{2}(-[a-z]+)+-\d+$/.test(n));
  if (names.length === 0) throw new CollectError("NoRegions", "DescribeRegions returned no enabled region");
  return [...new Set(names)].sort();
}
