// The config file: every problem reported at once with key path and line;
// defaults; environment overrides; targets expanded into account × region.
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfigText } from "../../../src/config/load.js";
import { accountsToDiscover, resolveTargets } from "../../../src/config/targets.js";
import { configWarnings } from "../../../src/config/warnings.js";
import { checkEnvironment } from "../../../src/config/env-check.js";
import { actorPolicyLines, channelSummaries, redactedConfig } from "../../../src/config/summary.js";

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
    expect(resolveTargets(c)).toEqual([{ account: "123456789012", region: "us-east-1", label: null, attribution: false, cloudtrail: false, actors: null }]);
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
    [
      "report: bad cron, a bad recipient, and no alerts.email to send through",
      'targets:\n  - account: "111111111111"\n    regions: [us-east-1]\nreport:\n  schedule: "mondays at 8"\n  to: [auditors@example.com, nobody]\n',
      [
        '5 report.schedule: expected a cron expression like "0 8 * * 1" (Mondays 08:00 UTC)',
        '6 report.to[1]: expected an e-mail address like ops@example.com (or "Name <ops@example.com>")',
        "6 report.to: the report is mailed through the SMTP server of alerts.email, which is not configured",
      ],
    ],
    [
      "actor policy: a bad principal pattern, network and endpoint, each with its key path and line",
      'targets:\n  - account: "111111111111"\n    regions: [us-east-1]\ncloudtrail:\n  actors:\n    principals: ["deploy-*", "arn:aws:iam::*:role/ok-*"]\n    networks:\n      - 10.0.0.0/8\n      - 10.0.0.300/8\n    vpcEndpoints: [vpc-123]\n',
      [
        '6 cloudtrail.actors.principals[0]: "deploy-*" is neither an ARN pattern (arn:aws:iam::*:role/deploy-*) nor a service principal (autoscaling.amazonaws.com)',
        '9 cloudtrail.actors.networks[1]: "10.0.0.300/8" is not a CIDR (e.g. 10.0.0.0/8, 2001:db8::/32)',
        '10 cloudtrail.actors.vpcEndpoints[0]: "vpc-123" is not a VPC endpoint id (vpce-…)',
      ],
    ],
    [
      "actor policy per target: empty",
      'targets:\n  - account: "111111111111"\n    regions: [us-east-1]\n    cloudtrail:\n      actors: {}\n',
      ["5 targets[0].cloudtrail.actors: give at least one of principals, networks or vpcEndpoints (or leave actors out: no actor check)"],
    ],
  ])("%s", (_name, text, expected) => {
    expect(problems(text)).toEqual(expected);
  });
});

const TARGET = 'targets:\n  - account: "123456789012"\n    regions: [us-east-1]\n';

const TARGET_TEXT = 'targets:\n  - account: "123456789012"\n    regions: [us-east-1]\n';

describe("actor policy", () => {
  it("a target's own cloudtrail.actors replaces the default; others take the default", () => {
    const c = parseConfigText(
      'cloudtrail:\n  actors: {networks: [10.0.0.0/8]}\ntargets:\n  - account: "111111111111"\n    regions: [us-east-1]\n  - account: "222222222222"\n    regions: [us-east-1]\n    cloudtrail: {enabled: true, actors: {principals: ["autoscaling.amazonaws.com"]}}\n',
      FILE,
      {},
    );
    expect(resolveTargets(c).map((t) => [t.account, t.cloudtrail, t.actors])).toEqual([
      ["111111111111", false, { networks: ["10.0.0.0/8"] }],
      ["222222222222", true, { principals: ["autoscaling.amazonaws.com"] }],
    ]);
  });

  it("check-config says the default, each target's own policy, and where CloudTrail is off so nothing is checked", () => {
    const c = parseConfigText(
      'cloudtrail:\n  enabled: true\n  actors: {networks: [10.0.0.0/8], vpcEndpoints: [vpce-0aaa]}\ntargets:\n  - account: "111111111111"\n    regions: [us-east-1]\n  - account: "222222222222"\n    regions: [us-east-1]\n    cloudtrail: {actors: {principals: ["arn:aws:iam::*:role/deploy-*"]}}\n  - account: "333333333333"\n    regions: [us-east-1]\n    cloudtrail: {enabled: false}\n',
      FILE,
      {},
    );
    expect(actorPolicyLines(c, resolveTargets(c))).toEqual([
      "actor policy: networks 10.0.0.0/8; VPC endpoints vpce-0aaa (default)",
      "  222222222222/us-east-1: principals arn:aws:iam::*:role/deploy-*",
      "  333333333333/us-east-1: the default (CloudTrail off for this target: not checked)",
    ]);
    expect(actorPolicyLines(parseConfigText(TARGET_TEXT, FILE, {}), [])).toEqual(["actor policy: none by default (no actor check)"]);
  });
});

describe("a YAML alias bomb", () => {
  it("is a config problem on the line of its first alias, not an internal error", () => {
    const bomb = [
      'a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]',
      "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]",
      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]",
      "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]",
      "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]",
      "",
    ].join("\n");
    expect(problems(bomb)).toEqual([expect.stringMatching(/^2 : cannot read YAML: Excessive alias count/)]);
  });
});

describe("environment overrides name the variable, not a line of the file", () => {
  it.each([
    ["SGWATCH_SCHEDULE", "bad cron", "schedule", 'expected a cron expression like "*/5 * * * *"'],
    ["SGWATCH_LOG_LEVEL", "loud", "log.level", "Invalid option"],
  ])("%s=%s", (env, value, key, message) => {
    // The file's own value is fine and sits on line 1: the line must not be blamed.
    const text = `schedule: "*/5 * * * *"\nlog:\n  level: info\n${TARGET}`;
    try {
      parseConfigText(text, FILE, { [env]: value });
      expect.unreachable("the override must be rejected");
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      expect(err.problems).toEqual([expect.objectContaining({ key, line: null, env })]);
      expect(err.problems[0]?.message).toContain(message);
      expect(err.message).toContain(`environment variable ${env} (sets ${key}): `);
      expect(err.message).not.toMatch(/line \d/);
    }
  });
});

describe("e-mail addresses and webhook URLs", () => {
  const email = (from: string, to: string) =>
    `${TARGET}alerts:\n  email:\n    host: smtp.example.com\n    from: ${JSON.stringify(from)}\n    to: [${JSON.stringify(to)}]\n`;
  it("rejects from/to that are not e-mail addresses, each on its line", () => {
    expect(problems(email("sgwatch", "ops@example.com, dev@example.com"))).toEqual([
      '7 alerts.email.from: expected an e-mail address like ops@example.com (or "Name <ops@example.com>")',
      '8 alerts.email.to[0]: expected an e-mail address like ops@example.com (or "Name <ops@example.com>")',
    ]);
  });
  it("accepts bare addresses and display names", () => {
    expect(problems(email("sgwatch <sgwatch@example.com>", "ops@mail.example.com"))).toEqual([]);
  });
  it("rejects a webhook URL with user:password@, and accepts a token in its path or query", () => {
    const hook = (url: string) => `${TARGET}alerts:\n  webhook:\n    url: ${url}\n`;
    expect(problems(hook("https://bot:hunter2@alerts.example.com/x"))).toEqual([
      "6 alerts.webhook.url: must not carry credentials (user:password@); send them as a header with headersFromEnv, or keep a URL that is itself a secret in urlEnv",
    ]);
    expect(problems(hook("https://hooks.slack.com/services/T0/B0/secretpath?token=abc"))).toEqual([]);
  });
});

describe("configWarnings", () => {
  const cfg = (extra: string) => parseConfigText(`${TARGET}${extra}`, FILE, {});
  const mail = (tls: string) => `alerts:\n  email:\n    host: smtp.example.com\n    user: u\n    passwordEnv: P\n    from: a@example.com\n    to: [b@example.com]\n${tls}`;
  it("warns when SMTP auth is configured without TLS, and not with secure or requireTLS", () => {
    expect(configWarnings(cfg(mail("")))).toEqual([{ key: "alerts.email", message: expect.stringContaining("without TLS") }]);
    expect(configWarnings(cfg(mail("    requireTLS: true\n")))).toEqual([]);
    expect(configWarnings(cfg(mail("    secure: true\n    port: 465\n")))).toEqual([]);
  });
  it("warns about a password never used, a user without a password, and header tokens over plain http", () => {
    const noUser = cfg("alerts:\n  email:\n    host: h.example\n    passwordEnv: P\n    secure: true\n    from: a@example.com\n    to: [b@example.com]\n");
    expect(configWarnings(noUser).map((w) => w.key)).toEqual(["alerts.email.passwordEnv"]);
    const noPassword = cfg("alerts:\n  email:\n    host: h.example\n    user: u\n    secure: true\n    from: a@example.com\n    to: [b@example.com]\n");
    expect(configWarnings(noPassword).map((w) => w.key)).toEqual(["alerts.email.user"]);
    const hook = (url: string) => cfg(`alerts:\n  webhook:\n    url: ${url}\n    headersFromEnv: {Authorization: T}\n`);
    expect(configWarnings(hook("http://hooks.example.com/x")).map((w) => w.key)).toEqual(["alerts.webhook.url"]);
    expect(configWarnings(hook("https://hooks.example.com/x"))).toEqual([]);
  });

  it("warns that a scheduled report is not sent while alerts.email is switched off", () => {
    const withReport = (enabled: boolean) =>
      cfg(`alerts:\n  email:\n    enabled: ${enabled}\n    host: h.example\n    from: a@example.com\n    to: [b@example.com]\nreport:\n  schedule: "0 8 * * 1"\n  to: [audit@example.com]\n`);
    expect(configWarnings(withReport(false))).toEqual([{ key: "report", message: expect.stringContaining("the scheduled report is mailed through it, so it is not sent") }]);
    expect(configWarnings(withReport(true))).toEqual([]);
  });

  it("warns about a label two targets share", () => {
    const c = parseConfigText(
      'targets:\n  - label: prod\n    account: "111111111111"\n    regions: [us-east-1]\n  - label: prod\n    account: "222222222222"\n    regions: [us-east-1]\n',
      FILE,
      {},
    );
    expect(configWarnings(c)).toEqual([{ key: "targets[1].label", message: expect.stringContaining('"prod" is also the label of targets[0]') }]);
  });
});

describe("checkEnvironment: what the daemon would fail on", () => {
  const c = parseConfigText(
    `${TARGET}alerts:\n  email:\n    host: smtp.example.com\n    requireTLS: true\n    user: u\n    passwordEnv: SMTP_PW\n    from: a@example.com\n    to: [b@example.com]\n` +
      "  webhook:\n    urlEnv: HOOK_URL\n    headersFromEnv: {Authorization: HOOK_TOKEN}\n",
    FILE,
    {},
  );
  it("names every unset variable, never a value", () => {
    expect(checkEnvironment(c, {}).map((p) => `${p.env} ${p.key}`)).toEqual([
      "SMTP_PW alerts.email.passwordEnv",
      "HOOK_URL alerts.webhook.urlEnv",
      "HOOK_TOKEN alerts.webhook.headersFromEnv.Authorization",
    ]);
    expect(checkEnvironment(c, { SMTP_PW: "pw", HOOK_URL: "https://hooks.example.com/T/x", HOOK_TOKEN: "t" })).toEqual([]);
  });
  it("rejects a urlEnv value that is not an http(s) URL or carries credentials, without printing it", () => {
    const base = { SMTP_PW: "pw", HOOK_TOKEN: "t" };
    const bad = checkEnvironment(c, { ...base, HOOK_URL: "ftp://hooks.example.com" });
    expect(bad.map((p) => p.message)).toEqual(["does not hold an http(s) URL"]);
    const creds = checkEnvironment(c, { ...base, HOOK_URL: "https://u:s3cret@hooks.example.com/" });
    expect(creds.map((p) => p.message)).toEqual([expect.stringContaining("must not carry credentials")]);
    expect(JSON.stringify(creds)).not.toContain("s3cret");
  });
});

describe("the config as check-config shows it", () => {
  const c = parseConfigText(`${TARGET}alerts:\n  webhook:\n    url: https://hooks.slack.com/services/T0/B0/SECRETPATH?token=TOKEN\n`, FILE, {});
  it("lists every channel, the webhook by its origin only", () => {
    const text = JSON.stringify(channelSummaries(c, {}));
    expect(channelSummaries(c, {}).map((s) => `${s.channel} ${s.enabled}`)).toEqual(["log true", "email false", "webhook true"]);
    expect(text).toContain("https://hooks.slack.com");
    expect(text).not.toMatch(/SECRETPATH|TOKEN/);
  });
  it("replaces an inline webhook URL", () => {
    expect(redactedConfig(c).alerts.webhook?.url).toBe("(set, redacted)");
    expect(c.alerts.webhook?.url).toContain("SECRETPATH");
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
