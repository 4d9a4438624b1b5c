// The configuration file's shape. Every key is documented in
// config.example.yaml; keep the two in step.
import { z } from "zod";
import cron from "node-cron";
import { parseDuration } from "../util/time.js";
import { SEVERITIES, type Severity } from "../model/types.js";
import { partitionOf, partitionOfArn, roleArnFor, type Partition } from "../model/partition.js";
import { guardrailsSchema } from "../policy/guardrail-schema.js";
import { namePatterns, tagConditions } from "./group-selectors.js";
import { parseIsoTime } from "../util/time.js";

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

/** A prefix length threshold for broad sources, 1..max. */
const prefixLength = (max: number, family: string) => {
  const message = `expected a prefix length from 1 to ${max} (an ${family} range shorter than it is broad)`;
  return z.number({ message }).int({ message }).min(1, { message }).max(max, { message });
};

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
    /** Older name of cloudtrail.enabled (cloudtrail: on; off: off); still accepted. */
    attribution: z.enum(["cloudtrail", "off"]).optional(),
    /** CloudTrail as a second sensor for this target: the sweep and attribution (IAM: cloudtrail:LookupEvents). Default: the top-level cloudtrail.enabled. */
    cloudtrail: z.strictObject({ enabled: z.boolean() }).optional(),
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
    if (t.cloudtrail !== undefined && t.attribution !== undefined && t.cloudtrail.enabled !== (t.attribution === "cloudtrail")) {
      ctx.addIssue({ code: "custom", path: ["attribution"], message: `says ${t.attribution} but cloudtrail.enabled is ${t.cloudtrail.enabled}; give cloudtrail.enabled only` });
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

/** What a route takes: every condition given must hold (absent = any). */
const routeMatch = z.strictObject({
  /** Target labels (targets[].label). */
  targets: z.array(z.string().min(1)).min(1, { message: "list at least one target label" }).optional(),
  accounts: z.array(accountId).min(1, { message: "list at least one account" }).optional(),
  regions: z.array(region).min(1, { message: "list at least one region" }).optional(),
  /** Changes milder than this are left to the next route (or the default). */
  minSeverity: severity.optional(),
  /** Group name globs or /regular expressions/. */
  groupName: namePatterns.optional(),
  /** Group tags: value, or "*" for present with any value. */
  tags: tagConditions.optional(),
});

const ROUTE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** One route: which changes, to whom. Email goes through alerts.email's SMTP server. */
const alertRoute = z
  .strictObject({
    name: z.string().regex(ROUTE_NAME, { message: "expected a short name (letters, digits, _ . -) like payments" }),
    match: routeMatch.prefault({}),
    /** Recipients of this route's mail. */
    email: z.array(emailAddress).min(1, { message: "list at least one recipient" }).optional(),
    /** This route's webhook. */
    webhook: webhookChannel.optional(),
    /** Collect this route's drift alerts this long (across targets and polls) into one message; off when absent. */
    batch: duration.optional(),
  })
  .superRefine((r, ctx) => {
    if (r.email === undefined && r.webhook === undefined) ctx.addIssue({ code: "custom", path: ["email"], message: "a route needs email recipients, a webhook, or both" });
    if (r.name === "default") ctx.addIssue({ code: "custom", path: ["name"], message: '"default" is the route of alerts.email and alerts.webhook; choose another name' });
  });

/** An ISO-8601 time with its zone, e.g. "2026-06-30T00:00:00Z". */
const isoInstant = z.string().transform((text, ctx) => {
  const t = parseIsoTime(text, "reject");
  if (!t.ok) {
    ctx.addIssue({ code: "custom", message: `expected an ISO-8601 time with its zone like "2026-06-30T00:00:00Z", got "${text}"` });
    return z.NEVER;
  }
  return new Date(t.ms).toISOString();
});

/** Groups owned by other systems (EKS, ELB, autoscaling): their changes are recorded, not alerted, until the entry expires. */
const ignoreEntry = z
  .strictObject({
    /** Why these groups are not alerted on (shown wherever the list is). */
    reason: z.string().min(1, { message: "say why these groups are not alerted on" }),
    /** When the entry stops applying; alerts resume after it. */
    until: isoInstant,
    groupId: z.string().regex(/^sg-[0-9a-f]{8,17}$/, { message: "expected a security group id like sg-0123456789abcdef0" }).optional(),
    groupName: namePatterns.optional(),
    tags: tagConditions.optional(),
    accounts: z.array(accountId).min(1, { message: "list at least one account" }).optional(),
    regions: z.array(region).min(1, { message: "list at least one region" }).optional(),
  })
  .superRefine((e, ctx) => {
    if (e.groupId === undefined && e.groupName === undefined && e.tags === undefined) {
      ctx.addIssue({ code: "custom", path: ["groupName"], message: "an ignore entry needs groupId, groupName or tags (it must not silence every group)" });
    }
  });

const logChannel = z.strictObject({
  enabled: z.boolean().default(true),
  minSeverity: severity.default("low"),
});

export const configSchema = z
  .strictObject({
    database: z.string().min(1).default("./data/sgwatch.db"),
    /**
     * How long a cycle waits, with backoff, for another writer's lock (a
     * `BEGIN IMMEDIATE` in the sqlite3 shell) before its polls count as failed.
     */
    databaseLockWait: duration.prefault("20s"),
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
        /** first: a change goes to the first route that matches it; all: to every route that does. Unmatched changes go to the default (email, webhook above). */
        routing: z.enum(["first", "all"], { message: 'expected "first" or "all"' }).default("first"),
        /** Routes by target, severity, group name and tags. */
        routes: z.array(alertRoute).default([]),
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
    /** Rules that must never exist, whatever any approval record says (src/policy/, docs/guardrails.md). */
    guardrails: guardrailsSchema,
    severity: z
      .strictObject({
        sensitivePorts: z.array(port).default([22, 3389, 3306, 5432, 1433, 1521, 6379, 9200, 27017, 11211, 2375, 23, 445]),
        worldOpenSensitive: severity.default("critical"),
        worldOpen: severity.default("high"),
        ingressAdded: severity.default("medium"),
        groupDeleted: severity.default("medium"),
        other: severity.default("low"),
        /** Sources that rank like the world: prefixes shorter than these (a half of either space always counts). */
        broadSources: z
          .strictObject({
            ipv4ShorterThan: prefixLength(32, "IPv4").default(8),
            ipv6ShorterThan: prefixLength(128, "IPv6").default(32),
          })
          .prefault({}),
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
    /** The CloudTrail sensor's defaults (docs/cloudtrail.md). */
    cloudtrail: z
      .strictObject({
        /** For targets that do not say (targets[].cloudtrail.enabled, or the older attribution: cloudtrail). */
        enabled: z.boolean().default(false),
        /** Each sweep re-reads this much before where the last one ended: CloudTrail delivers events late (typically 5 min, sometimes 15+). */
        overlap: duration.prefault("20m"),
        /** A target's first sweep reads this far back. */
        firstLookback: duration.prefault("1h"),
        /** LookupEvents pages (50 events each) one target's sweep reads per cycle at most; the rest is caught up over later cycles. */
        maxPagesPerCycle: z.number().int().min(1).max(1000).default(20),
        /** LookupEvents calls per second per account and region, the sweep and attribution together (AWS allows 2). */
        callsPerSecond: z.number().int().min(1).max(2).default(2),
        /** Calls one identity made on one target that failed for authorisation within this long of the first are one failed-attempts alert. */
        attemptWindow: duration.prefault("1h"),
      })
      .prefault({}),
    monitoring: z
      .strictObject({
        blindAfterFailures: z.number().int().min(1).default(3),
        /** Also blind when a target has had no successful poll for this long (failures or not). */
        blindAfter: duration.prefault("1h"),
        /**
         * A poll returning no groups where the last successful poll saw at
         * least this many is held (recorded as failed) until the next poll
         * confirms it; 0 turns the check off.
         */
        confirmZeroGroups: z.number().int().min(0).default(1),
      })
      .prefault({}),
    /**
     * Optional dead-man's switch: a URL pinged after every `everyCycles` fully
     * successful cycles, so an outside service notices when the pings stop.
     */
    heartbeat: z
      .strictObject({
        /** The ping URL (it may carry a token: only its origin is ever logged). */
        url: z.url({ protocol: /^https?$/, message: "expected an http(s) URL" }).optional(),
        /** Or the NAME of an environment variable holding the URL. */
        urlEnv: z.string().regex(ENV_NAME, { message: "expected the NAME of an environment variable holding the URL" }).optional(),
        everyCycles: z.number().int().min(1).default(1),
        method: z.enum(["GET", "POST"]).default("GET"),
        /** Per-ping timeout; a ping never delays a cycle. */
        timeout: duration.prefault("10s"),
      })
      .superRefine((h, ctx) => {
        if ((h.url === undefined) === (h.urlEnv === undefined)) ctx.addIssue({ code: "custom", path: ["url"], message: "give exactly one of url and urlEnv" });
      })
      .optional(),
    /** Groups recorded but not alerted on, each with a reason and an expiry. */
    ignore: z.array(ignoreEntry).default([]),
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
    checkRoutes(c, ctx);
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

/** Route names are unique, route mail needs the SMTP server of alerts.email, and target labels must exist. */
function checkRoutes(
  c: { targets: Array<{ label?: string | undefined }>; alerts: { email?: unknown; routes: Array<{ name: string; email?: unknown; match: { targets?: string[] | undefined } }> } },
  ctx: z.RefinementCtx,
): void {
  if (!Array.isArray(c.alerts?.routes)) return;
  const labels = new Set(Array.isArray(c.targets) ? c.targets.map((t) => t?.label).filter((l): l is string => typeof l === "string") : []);
  const seen = new Map<string, number>();
  c.alerts.routes.forEach((r, i) => {
    if (typeof r?.name !== "string") return;
    const first = seen.get(r.name);
    if (first !== undefined) ctx.addIssue({ code: "custom", path: ["alerts", "routes", i, "name"], message: `"${r.name}" is already the name of alerts.routes[${first}]` });
    else seen.set(r.name, i);
    if (r.email !== undefined && c.alerts.email === undefined) {
      ctx.addIssue({ code: "custom", path: ["alerts", "routes", i, "email"], message: "route mail is sent through the SMTP server of alerts.email, which is not configured" });
    }
    for (const label of r.match?.targets ?? []) {
      if (!labels.has(label)) ctx.addIssue({ code: "custom", path: ["alerts", "routes", i, "match", "targets"], message: `no target has the label "${label}"` });
    }
  });
}

/** The validated configuration. */
export type Config = z.output<typeof configSchema>;
/** One configured target before expansion into account × region. */
export type TargetConfig = Config["targets"][number];
export type EmailConfig = NonNullable<Config["alerts"]["email"]>;
export type WebhookConfig = NonNullable<Config["alerts"]["webhook"]>;
export type HeartbeatConfig = NonNullable<Config["heartbeat"]>;
/** One configured alert route. */
export type RouteConfig = Config["alerts"]["routes"][number];
/** One entry of the ignore list. */
export type IgnoreConfig = Config["ignore"][number];
