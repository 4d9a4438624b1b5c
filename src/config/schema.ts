// The configuration file's shape. Every key is documented in
// config.example.yaml; keep the two in step.
import { z } from "zod";
import cron from "node-cron";
import { parseDuration } from "../util/time.js";
import { SEVERITIES, type Severity } from "../model/types.js";
import { partitionOf, partitionOfArn, roleArnFor, type Partition } from "../model/partition.js";

const severity = z.enum(SEVERITIES as [Severity, ...Severity[]]);

/** A duration written as "30s", "15m", "24h", "7d"; parsed to milliseconds. */
const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === null || ms <= 0) {
    ctx.addIssue({ code: "custom", message: `expected a duration like "30s", "15m", "24h" or "7d", got "${text}"` });
    return z.NEVER;
  }
  return ms;
});

const port = z.number().int().min(0).max(65535);

const accountId = z
  .string()
  .regex(/^\d{12}$/, { message: "expected a 12-digit AWS account id (quote it in YAML so leading zeros survive)" });

const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, { message: "expected an AWS region name like eu-west-1" });

const roleArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, { message: "expected an IAM role ARN like arn:aws:iam::123456789012:role/sgwatch" });

const roleName = z
  .string()
  .regex(/^[\w+=,.@/-]{1,64}$/, { message: "expected an IAM role name (or path/name) like sgwatch-readonly" });

const target = z
  .strictObject({
    label: z.string().min(1).optional(),
    /** One account. */
    account: accountId.optional(),
    /** Many accounts polled the same way (with roleName assumed in each). */
    accounts: z.array(accountId).min(1, { message: "list at least one account" }).optional(),
    /** Regions, or "all": the regions enabled in each account (ec2:DescribeRegions at each cycle). */
    regions: z.union([z.literal("all"), z.array(region).min(1, { message: "list at least one region, or say all" })], {
      message: 'expected a list of regions, or "all"',
    }),
    roleArn: roleArn.optional(),
    /** The role of this name is assumed in every listed account. */
    roleName: roleName.optional(),
    externalId: z.string().min(1).optional(),
    endpoint: z.url({ message: "expected an http(s) URL" }).optional(),
    /** Who made each change, from CloudTrail (IAM: cloudtrail:LookupEvents). */
    attribution: z.enum(["cloudtrail", "off"]).default("off"),
  })
  .superRefine((t, ctx) => {
    const fromArn = t.roleArn?.split(":")[4];
    if (t.roleArn && t.roleName) ctx.addIssue({ code: "custom", path: ["roleName"], message: "give roleArn or roleName, not both" });
    if (t.account && t.accounts) ctx.addIssue({ code: "custom", path: ["accounts"], message: "give account or accounts, not both" });
    if (t.accounts && t.roleArn) {
      ctx.addIssue({ code: "custom", path: ["roleArn"], message: "names one account's role; with accounts, use roleName (assumed in each account)" });
    }
    if (!t.account && !t.accounts && !fromArn) {
      ctx.addIssue({ code: "custom", path: ["account"], message: "required when no roleArn is given (the account the credentials belong to)" });
    }
    if (t.account && fromArn && t.account !== fromArn) {
      ctx.addIssue({ code: "custom", path: ["account"], message: `is ${t.account} but roleArn is in account ${fromArn}` });
    }
    // An account lives in one partition (aws, aws-cn, aws-us-gov); its role ARN and its regions must agree.
    const listed = Array.isArray(t.regions) ? t.regions : [];
    const first = listed[0];
    const other = listed.find((r) => partitionOf(r) !== partitionOf(first ?? r));
    if (first !== undefined && other !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["regions"],
        message: `mixes partitions: ${first} is in ${partitionOf(first)}, ${other} in ${partitionOf(other)}; an account lives in one partition, so give each its own target`,
      });
    }
    const arnPartition = t.roleArn ? partitionOfArn(t.roleArn) : undefined;
    if (arnPartition !== undefined && first !== undefined && other === undefined && arnPartition !== partitionOf(first)) {
      ctx.addIssue({ code: "custom", path: ["roleArn"], message: `is in partition ${arnPartition} but region ${first} is in ${partitionOf(first)}` });
    }
    if (t.regions === "all" && arnPartition !== undefined && arnPartition !== "aws") {
      ctx.addIssue({ code: "custom", path: ["regions"], message: `"all" discovers regions through us-east-1 (partition aws); list the regions of this ${arnPartition} account` });
    }
  })
  .transform((t) => {
    const { account, accounts, roleName: name, roleArn: arn, ...rest } = t;
    const list = accounts ?? [(account ?? arn?.split(":")[4]) as string];
    // regions "all" are discovered through us-east-1, so they are in aws.
    const partition: Partition = Array.isArray(t.regions) && t.regions[0] !== undefined ? partitionOf(t.regions[0]) : "aws";
    return {
      ...rest,
      /** Every account of this entry, with the role to assume there (if any). */
      accounts: list.map((a) => ({ account: a, ...(arn ? { roleArn: arn } : name ? { roleArn: roleArnFor(partition, a, name) } : {}) })),
    };
  });

/**
 * An e-mail address, bare (ops@example.com) or with a display name
 * ("sgwatch <sgwatch@example.com>"), as nodemailer takes them. Strict enough
 * that a typo (a missing @, two addresses in one string) is caught here,
 * not as a bounce at the first alert.
 */
const EMAIL_ADDRESS = /^[^\s@<>",;:()[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
const emailAddress = z.string().refine((s) => {
  const named = /^[^<>]*<([^<>]+)>$/.exec(s.trim());
  return EMAIL_ADDRESS.test(named ? (named[1] as string) : s);
}, { message: 'expected an e-mail address like ops@example.com (or "Name <ops@example.com>")' });

const emailChannel = z.strictObject({
  enabled: z.boolean().default(true),
  host: z.string().min(1),
  port: port.default(587),
  /** true: TLS from the first byte (465); false: STARTTLS when offered. */
  secure: z.boolean().default(false),
  /** Refuse to send unless the connection is encrypted (STARTTLS required). */
  requireTLS: z.boolean().default(false),
  user: z.string().min(1).optional(),
  passwordEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: "expected the NAME of an environment variable holding the SMTP password" })
    .optional(),
  from: emailAddress,
  to: z.array(emailAddress).min(1, { message: "list at least one recipient" }),
  minSeverity: severity.default("low"),
});

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers sgwatch sets itself. */
const RESERVED_HEADERS = /^(content-type|content-length|host|transfer-encoding|connection)$/i;

/** Why a URL with user:pass@ is refused; shared with the check of urlEnv's value. */
export const URL_CREDENTIALS_MESSAGE =
  "must not carry credentials (user:password@); send them as a header with headersFromEnv, or keep a URL that is itself a secret in urlEnv";

/** Whether an http(s) URL carries user info (user or user:password before the host). */
export function hasUserInfo(url: string): boolean {
  try {
    const u = new URL(url);
    return u.username !== "" || u.password !== "";
  } catch {
    return false;
  }
}

const webhookChannel = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Where to POST. */
    url: z
      .url({ protocol: /^https?$/, message: "expected an http(s) URL" })
      // A password in the URL ends up wherever the URL is shown; a token in a
      // path or query (Slack) is accepted, and the URL is never printed whole.
      .refine((u) => !hasUserInfo(u), { message: URL_CREDENTIALS_MESSAGE })
      .optional(),
    /** Or the NAME of an environment variable holding the URL (a Slack webhook URL is a secret). */
    urlEnv: z.string().regex(ENV_NAME, { message: "expected the NAME of an environment variable holding the URL" }).optional(),
    /** generic: {alertId, type, severity, createdAt, payload}; slack: Slack-compatible text and blocks. */
    format: z.enum(["generic", "slack"]).default("generic"),
    minSeverity: severity.default("low"),
    /** Header name → NAME of the environment variable holding its value, e.g. {Authorization: SGWATCH_WEBHOOK_TOKEN}. */
    headersFromEnv: z
      .record(z.string(), z.string())
      // Checked here rather than by key/value schemas, so every bad entry is named at once.
      .superRefine((headers, ctx) => {
        for (const [name, envVar] of Object.entries(headers)) {
          if (!HEADER_NAME.test(name)) ctx.addIssue({ code: "custom", path: [name], message: "expected an HTTP header name" });
          else if (RESERVED_HEADERS.test(name)) ctx.addIssue({ code: "custom", path: [name], message: "is set by sgwatch and cannot be configured" });
          if (!ENV_NAME.test(envVar)) ctx.addIssue({ code: "custom", path: [name], message: "expected the NAME of an environment variable holding the header's value" });
        }
      })
      .default({}),
    /** Per-attempt timeout; a failed attempt is retried like any channel's (alerts.retry). */
    timeout: duration.prefault("10s"),
  })
  .superRefine((w, ctx) => {
    if ((w.url === undefined) === (w.urlEnv === undefined)) {
      ctx.addIssue({ code: "custom", path: ["url"], message: "give exactly one of url and urlEnv" });
    }
  });

const logChannel = z.strictObject({
  enabled: z.boolean().default(true),
  minSeverity: severity.default("low"),
});

export const configSchema = z
  .strictObject({
    database: z.string().min(1).default("./data/sgwatch.db"),
    schedule: z
      .string()
      .default("*/5 * * * *")
      .refine((s) => cron.validate(s), { message: "expected a cron expression like \"*/5 * * * *\"" }),
    concurrency: z.number().int().min(1).max(256).default(4),
    targets: z.array(target).min(1, { message: "list at least one target" }),
    approvals: z
      .strictObject({
        dir: z.string().min(1).default("./approvals"),
        maxWindow: duration.prefault("7d"),
      })
      .prefault({}),
    alerts: z
      .strictObject({
        log: logChannel.prefault({}),
        email: emailChannel.optional(),
        webhook: webhookChannel.optional(),
        /** Re-alert unapproved critical/high changes nobody acknowledged or reverted, this often. */
        remindEvery: duration.prefault("24h"),
        /** Delivered alerts are kept this long (for `sgwatch alerts`), then deleted; changes keep their own history. */
        keepSent: duration.prefault("30d"),
        retry: z
          .strictObject({
            baseDelay: duration.prefault("30s"),
            maxDelay: duration.prefault("1h"),
            maxAge: duration.prefault("24h"),
          })
          .prefault({}),
      })
      .prefault({}),
    severity: z
      .strictObject({
        sensitivePorts: z.array(port).default([22, 3389, 3306, 5432, 1433, 1521, 6379, 9200, 27017, 11211, 2375, 23, 445]),
        worldOpenSensitive: severity.default("critical"),
        worldOpen: severity.default("high"),
        ingressAdded: severity.default("medium"),
        groupDeleted: severity.default("medium"),
        other: severity.default("low"),
        // Blast radius (docs: README "Blast radius"): world-open sensitive on a group attached to nothing.
        notReachable: severity.default("high"),
        // A world-open group newly attached to an interface with a public address.
        exposureAdded: severity.default("critical"),
      })
      .prefault({}),
    aws: z
      .strictObject({
        maxAttempts: z.number().int().min(1).max(20).default(5),
        // Read DescribeNetworkInterfaces every Nth successful poll (blast radius); 0: never.
        interfacesEvery: z.number().int().min(0).max(10_000).default(1),
        timeout: duration.prefault("30s"),
        maxPages: z.number().int().min(1).default(1000),
        /**
         * Worker threads that fetch and parse DescribeSecurityGroups (0: on the
         * main thread). Parsing is most of a poll's CPU; one thread per spare
         * core lets large fleets reach the concurrency they ask for.
         */
        fetchThreads: z.number().int().min(0).max(32).default(0),
      })
      .prefault({}),
    attribution: z
      .strictObject({
        /** Keep looking up a change's CloudTrail event this long after detection (events arrive minutes late), then mark it unattributed. */
        horizon: duration.prefault("30m"),
      })
      .prefault({}),
    monitoring: z
      .strictObject({
        blindAfterFailures: z.number().int().min(1).default(3),
        /** Also blind when a target has had no successful poll for this long (failures or not). */
        blindAfter: duration.prefault("1h"),
      })
      .prefault({}),
    /** Optional listener for /healthz and /metrics; absent = none. */
    http: z
      .strictObject({
        port: z.number().int().min(1).max(65535),
        /** 127.0.0.1 by default; 0.0.0.0 exposes it (a Prometheus on another host). */
        host: z.string().min(1).default("127.0.0.1"),
      })
      .optional(),
    log: z
      .strictObject({
        level: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).default("info"),
      })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    // Two entries polling the same account and region would write one history twice.
    const byAccount = new Map<string, { all: number | undefined; regions: Map<string, number> }>();
    // zod runs this even when an entry failed its own checks (its transform then
    // did not run): check only well-formed entries, the others are reported.
    if (!Array.isArray(c.targets)) return;
    c.targets.forEach((t, i) => {
      if (!Array.isArray(t?.accounts) || (t.regions !== "all" && !Array.isArray(t.regions))) return;
      for (const { account } of t.accounts) {
        const seen = byAccount.get(account) ?? { all: undefined, regions: new Map<string, number>() };
        byAccount.set(account, seen);
        const clash = (what: string, other: number): void =>
          ctx.addIssue({ code: "custom", path: ["targets", i, "regions"], message: `${account}/${what} is already covered by targets[${other}]` });
        if (t.regions === "all") {
          const other = seen.all ?? [...seen.regions.values()][0];
          if (other !== undefined) clash("all", other);
          else seen.all = i;
          continue;
        }
        for (const r of t.regions) {
          const other = seen.all ?? seen.regions.get(r);
          if (other !== undefined) clash(r, other);
          else seen.regions.set(r, i);
        }
      }
    });
  });

/** The validated configuration. */
export type Config = z.output<typeof configSchema>;
/** One configured target before expansion into account × region. */
export type TargetConfig = Config["targets"][number];
export type EmailConfig = NonNullable<Config["alerts"]["email"]>;
export type WebhookConfig = NonNullable<Config["alerts"]["webhook"]>;
