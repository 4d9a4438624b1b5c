// Which AWS partition a region belongs to, and what differs between them for
// sgwatch: the ARN prefix (role ARNs built from roleName) and the console's
// domain (links in alerts). China and GovCloud are separate partitions: an
// `arn:aws:` role there does not exist, and the global console cannot open
// their resources.

/** An AWS partition sgwatch knows. */
export type Partition = "aws" | "aws-cn" | "aws-us-gov";

/** The partition of `region`: aws-cn for cn-*, aws-us-gov for us-gov-*, else aws. */
export function partitionOf(region: string): Partition {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/** arn:<partition>:iam::<account>:role/<name>; `name` may carry a path (ops/sgwatch). */
export function roleArnFor(partition: Partition, account: string, name: string): string {
  return `arn:${partition}:iam::${account}:role/${name}`;
}

/** The partition named by an ARN (its second field), or undefined when it is not an ARN. */
export function partitionOfArn(arn: string): string | undefined {
  const parts = arn.split(":");
  return parts[0] === "arn" && parts.length >= 6 ? parts[1] : undefined;
}

const CONSOLE_HOST: Record<Partition, (region: string) => string> = {
  aws: (region) => `${region}.console.aws.amazon.com`,
  "aws-cn": () => "console.amazonaws.cn",
  "aws-us-gov": () => "console.amazonaws-us-gov.com",
};

/** The EC2 console page of a security group, in its region's partition. */
export function securityGroupConsoleUrl(region: string, groupId: string): string {
  const host = CONSOLE_HOST[partitionOf(region)](region);
  return `https://${host}/ec2/home?region=${encodeURIComponent(region)}#SecurityGroup:groupId=${encodeURIComponent(groupId)}`;
}
