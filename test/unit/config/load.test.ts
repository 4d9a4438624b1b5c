// The config file: every problem reported at once with key path and line;
// defaults; environment overrides; targets expanded into account × region.
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfigText } from "../../../src/config/load.js";
import { accountsToDiscover, resolveTargets } from "../../../src/config/targets.js";

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

describe("valid configs", () => {
  it("fills defaults and resolves relative paths against the file's directory", () => {
    const c = parseConfigText(`targets:\n  - account: "123456789012"\n    regions: [us-east-1]\n`, FILE, {});
    expect(c.database).toBe("/etc/sgwatch/data/sgwatch.db");
    expect(c.approvals.dir).toBe("/etc/sgwatch/approvals");
    expect(c.schedule).toBe("*/5 * * * *");
    expect(c.alerts.retry).toEqual({ baseDelay: 30_000, maxDelay: 3_600_000, maxAge: 86_400_000 });
    expect(c.severity.sensitivePorts).toContain(22);
    expect(resolveTargets(c)).toEqual([{ account: "123456789012", region: "us-east-1", label: null, attribution: false, cloudtrail: false }]);
  });

  it("lets SGWATCH_* environment variables override single keys", () => {
    const c = parseConfigText(`targets:\n  - account: "123456789012"\n    regions: [us-east-1]\n`, FILE, { SGWATCH_DATABASE: "/data/x.db", SGWATCH_SCHEDULE: "*/10 * * * *" });
    expect(c.database).toBe("/data/x.db");
    expect(c.schedule).toBe("*/10 * * * *");
  });

  it("expands accounts with one role name into a role per account", () => {
    const c = parseConfigText(
      `targets:\n  - label: fleet\n    accounts: ["111111111111", "222222222222"]\n    roleName: sgwatch-readonly\n    regions: [us-east-1, eu-west-1]\n`,
      FILE,
      {},
    );
    const t = resolveTargets(c);
    expect(t.map((x) => `${x.account}/${x.region}`)).toEqual(["111111111111/us-east-1", "111111111111/eu-west-1", "222222222222/us-east-1", "222222222222/eu-west-1"]);
    expect(t[3]?.roleArn).toBe("arn:aws:iam::222222222222:role/sgwatch-readonly");
  });

  it("takes the account from roleArn", () => {
    const c = parseConfigText(`targets:\n  - roleArn: arn:aws:iam::333333333333:role/x\n    regions: [us-east-1]\n`, FILE, {});
    expect(resolveTargets(c)[0]).toMatchObject({ account: "333333333333", roleArn: "arn:aws:iam::333333333333:role/x" });
  });

  it("expands regions: all to the discovered regions, and to nothing before discovery", () => {
    const c = parseConfigText(`targets:\n  - account: "123456789012"\n    regions: all\n`, FILE, {});
    expect(resolveTargets(c)).toEqual([]);
    expect(accountsToDiscover(c)).toEqual([{ account: "123456789012" }]);
    expect(resolveTargets(c, new Map([["123456789012", ["eu-west-1", "us-east-1"]]])).map((t) => t.region)).toEqual(["eu-west-1", "us-east-1"]);
  });
});

describe("invalid configs: every problem, with key path and line", () => {
  it.each([
    ["not a mapping", "- a\n- b\n", ["1 : expected a mapping of keys (see config.example.yaml)"]],
    ["YAML syntax", "targets: [\n", ["2 : YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]"]],
    ["no targets", "database: x.db\n", ["1 targets: is required (array)"]],
    ["account missing", "targets:\n  - regions: [us-east-1]\n", ["2 targets[0].account: required when no roleArn is given (the account the credentials belong to)"]],
    ["account unquoted number", "targets:\n  - account: 123456789012\n    regions: [us-east-1]\n", ["2 targets[0].account: Invalid input: expected string, received number"]],
    ["bad region", 'targets:\n  - account: "123456789012"\n    regions: [mars-1]\n', ["3 targets[0].regions[0]: expected an AWS region name like eu-west-1"]],
    ["regions neither list nor all", 'targets:\n  - account: "123456789012"\n    regions: some\n', ['3 targets[0].regions: expected a list of regions, or "all"']],
    ["unknown key on its own line", 'targets:\n  - account: "123456789012"\n    regions: [us-east-1]\n    endpont: http://x\n', ['4 targets[0].endpont: unknown key "endpont" (config.example.yaml lists every key)']],
    ["role name with roleArn", 'targets:\n  - roleArn: arn:aws:iam::123456789012:role/a\n    roleName: b\n    regions: [us-east-1]\n', ["3 targets[0].roleName: give roleArn or roleName, not both"]],
    ["roleArn with accounts", 'targets:\n  - accounts: ["111111111111"]\n    roleArn: arn:aws:iam::111111111111:role/a\n    regions: [us-east-1]\n', ["3 targets[0].roleArn: names one account's role; with accounts, use roleName (assumed in each account)"]],
    ["account and accounts", 'targets:\n  - account: "111111111111"\n    accounts: ["222222222222"]\n    regions: [us-east-1]\n', ["3 targets[0].accounts: give account or accounts, not both"]],
    ["account differs from roleArn", 'targets:\n  - account: "111111111111"\n    roleArn: arn:aws:iam::222222222222:role/a\n    regions: [us-east-1]\n', ["2 targets[0].account: is 111111111111 but roleArn is in account 222222222222"]],
    [
      "the same account-region twice",
      'targets:\n  - account: "111111111111"\n    regions: [us-east-1]\n  - accounts: ["111111111111"]\n    regions: [eu-west-1, us-east-1]\n',
      ["5 targets[1].regions: 111111111111/us-east-1 is already covered by targets[0]"],
    ],
    ["all beside a listed region", 'targets:\n  - account: "111111111111"\n    regions: [us-east-1]\n  - account: "111111111111"\n    regions: all\n', ["5 targets[1].regions: 111111111111/all is already covered by targets[0]"]],
    ["bad cron and duration together", 'schedule: "every minute"\ntargets:\n  - account: "111111111111"\n    regions: [us-east-1]\nalerts:\n  retry:\n    maxAge: soon\n', [
      '1 schedule: expected a cron expression like "*/5 * * * *"',
      '7 alerts.retry.maxAge: expected a duration like "30s", "15m", "24h" or "7d", got "soon"',
    ]],
  ])("%s", (_name, text, expected) => {
    expect(problems(text)).toEqual(expected);
  });
});

describe("the CloudTrail sensor's keys", () => {
  const target = (extra: string): string => `targets:\n  - account: "123456789012"\n    regions: [us-east-1]\n${extra}`;
  const on = (text: string): boolean[] => resolveTargets(parseConfigText(text, FILE, {})).map((t) => t.cloudtrail && t.attribution);

  it("turns the sweep and attribution on with cloudtrail.enabled, per target or as the default", () => {
    expect(on(target("    cloudtrail: {enabled: true}\n"))).toEqual([true]);
    expect(on(`cloudtrail: {enabled: true}\n${target("")}`)).toEqual([true]);
    expect(on(`cloudtrail: {enabled: true}\n${target("    cloudtrail: {enabled: false}\n")}`)).toEqual([false]);
    expect(on(target(""))).toEqual([false]);
  });

  it("still accepts the older attribution: cloudtrail (and off over the default)", () => {
    expect(on(target("    attribution: cloudtrail\n"))).toEqual([true]);
    expect(on(`cloudtrail: {enabled: true}\n${target("    attribution: off\n")}`)).toEqual([false]);
  });

  it("names a contradiction between the two keys and bad sweep settings", () => {
    expect(problems(target("    attribution: off\n    cloudtrail: {enabled: true}\n"))).toEqual([
      "4 targets[0].attribution: says off but cloudtrail.enabled is true; give cloudtrail.enabled only",
    ]);
    expect(problems(`cloudtrail: {overlap: soon, callsPerSecond: 5}\n${target("")}`)).toEqual([
      '1 cloudtrail.overlap: expected a duration like "30s", "15m", "24h" or "7d", got "soon"',
      "1 cloudtrail.callsPerSecond: Too big: expected number to be <=2",
    ]);
  });
});
