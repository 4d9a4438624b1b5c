// Targets outside the aws partition: a role named by roleName is assumed as
// arn:aws-cn:… in China regions and arn:aws-us-gov:… in GovCloud, and a config
// that mixes partitions in one target, or names a role of another partition
// than its regions, is refused with the reason.
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfigText } from "../../../src/config/load.js";
import { resolveTargets } from "../../../src/config/targets.js";

const FILE = "/etc/sgwatch/config.yaml";

function problems(text: string): string[] {
  try {
    parseConfigText(text, FILE, {});
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.line ?? "-"} ${p.key}: ${p.message}`);
    throw err;
  }
  return [];
}

describe("roleName builds the role ARN in the regions' partition", () => {
  it.each([
    ["[us-east-1, eu-west-1]", "arn:aws:iam::111111111111:role/sgwatch-readonly"],
    ["[cn-north-1, cn-northwest-1]", "arn:aws-cn:iam::111111111111:role/sgwatch-readonly"],
    ["[us-gov-west-1]", "arn:aws-us-gov:iam::111111111111:role/sgwatch-readonly"],
  ])("regions %s → %s", (regions, arn) => {
    const c = parseConfigText(`targets:\n  - accounts: ["111111111111"]\n    roleName: sgwatch-readonly\n    regions: ${regions}\n`, FILE, {});
    expect(new Set(resolveTargets(c).map((t) => t.roleArn))).toEqual(new Set([arn]));
  });

  it("an explicit aws-cn roleArn with China regions is accepted", () => {
    const c = parseConfigText(`targets:\n  - roleArn: arn:aws-cn:iam::111111111111:role/x\n    regions: [cn-north-1]\n`, FILE, {});
    expect(resolveTargets(c)[0]).toMatchObject({ account: "111111111111", region: "cn-north-1", roleArn: "arn:aws-cn:iam::111111111111:role/x" });
  });
});

describe("partition mismatches are refused, naming them", () => {
  it.each([
    [
      "regions of two partitions",
      'targets:\n  - account: "111111111111"\n    regions: [us-east-1, cn-north-1]\n',
      ["3 targets[0].regions: mixes partitions: us-east-1 is in aws, cn-north-1 in aws-cn; an account lives in one partition, so give each its own target"],
    ],
    [
      "an aws role for GovCloud regions",
      "targets:\n  - roleArn: arn:aws:iam::111111111111:role/x\n    regions: [us-gov-west-1]\n",
      ["2 targets[0].roleArn: is in partition aws but region us-gov-west-1 is in aws-us-gov"],
    ],
    [
      "regions all for a China role",
      "targets:\n  - roleArn: arn:aws-cn:iam::111111111111:role/x\n    regions: all\n",
      ['3 targets[0].regions: "all" discovers regions through us-east-1 (partition aws); list the regions of this aws-cn account'],
    ],
  ])("%s", (_name, text, expected) => {
    expect(problems(text)).toEqual(expected);
  });
});
