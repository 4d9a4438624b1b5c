// The partition of a region decides the ARN prefix of the role sgwatch assumes
// and the console a link opens: a table of regions of each partition.
import { describe, expect, it } from "vitest";
import { partitionOf, partitionOfArn, roleArnFor, securityGroupConsoleUrl } from "../../../src/model/partition.js";

describe("partitionOf", () => {
  it.each([
    ["us-east-1", "aws"],
    ["eu-west-1", "aws"],
    ["ap-southeast-2", "aws"],
    ["ca-central-1", "aws"],
    ["us-west-2", "aws"],
    ["cn-north-1", "aws-cn"],
    ["cn-northwest-1", "aws-cn"],
    ["us-gov-west-1", "aws-us-gov"],
    ["us-gov-east-1", "aws-us-gov"],
  ])("%s is in %s", (region, partition) => {
    expect(partitionOf(region)).toBe(partition);
  });
});

describe("role ARNs and console links per partition", () => {
  it.each([
    ["us-east-1", "arn:aws:iam::111111111111:role/sgwatch", "https://us-east-1.console.aws.amazon.com/ec2/home?region=us-east-1#SecurityGroup:groupId=sg-0aaa"],
    ["cn-north-1", "arn:aws-cn:iam::111111111111:role/sgwatch", "https://console.amazonaws.cn/ec2/home?region=cn-north-1#SecurityGroup:groupId=sg-0aaa"],
    ["us-gov-west-1", "arn:aws-us-gov:iam::111111111111:role/sgwatch", "https://console.amazonaws-us-gov.com/ec2/home?region=us-gov-west-1#SecurityGroup:groupId=sg-0aaa"],
  ])("%s: %s, %s", (region, arn, url) => {
    expect(roleArnFor(partitionOf(region), "111111111111", "sgwatch")).toBe(arn);
    expect(partitionOfArn(arn)).toBe(partitionOf(region));
    expect(securityGroupConsoleUrl(region, "sg-0aaa")).toBe(url);
  });

  it("a role name with a path keeps it", () => {
    expect(roleArnFor("aws", "111111111111", "ops/sgwatch")).toBe("arn:aws:iam::111111111111:role/ops/sgwatch");
  });

  it("partitionOfArn is undefined for what is not an ARN", () => {
    expect(partitionOfArn("sgwatch")).toBeUndefined();
  });
});
