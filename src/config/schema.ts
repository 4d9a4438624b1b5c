// The configuration file's shape. Every key is documented in
// config.example.yaml; keep the two in step. Shared pieces are in fields.ts,
// the alerting sections in alerts-schema.ts.
import { z } from "zod";
import { humanDuration } from "../util/time.js";
import cron from "node-cron";
import { partitionOf, partitionOfArn, roleArnFor, type Partition } from "../model/partition.js";
import { guardrailsSchema } from "../policy/guardrail-schema.js";
import { actorPolicySchema } from "../policy/actor-schema.js";
import { accountId, duration, port, prefixLength, region, roleArn, roleName, severity } from "./fields.js";
import { alertRoute, emailAddress, emailChannel, ENV_NAME, ignoreEntry, logChannel, webhookChannel } from "./alerts-schema.js";

export { hasUserInfo, URL_CREDENTIALS_MESSAGE } from "./alerts-schema.js";

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
    /** CloudTrail as a second sensor for this target: the sweep, and attribution from what it stores (IAM: cloudtrail:LookupEvents). Default: the top-level cloudtrail.enabled. */
    cloudtrail: z
      .strictObject({
        enabled: z.boolean().optional(),
        /** This target's actor policy, replacing cloudtrail.actors for it as a whole. */
        actors: actorPolicySchema.optional(),
      })
      .optional(),
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
    if (t.cloudtrail?.enabled !== undefined && t.attribution !== undefined && t.cloudtrail.enabled !== (t.attribution === "cloudtrail")) {
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
        /** At a target's first (baseline) poll, send one posture alert naming what is already wrong (nothing wrong: nothing sent). */
        baselinePosture: z.boolean({ message: "expected true or false" }).default(true),
        /** Re-alert unapproved critical/high changes nobody acknowledged or reverted, this often. */
        remindEvery: duration.prefault("24h"),
        /** More incidents due for a reminder on one email or webhook channel than this: one digest for them all instead of a reply in each thread. */
        reminderDigestAbove: z.number().int().min(0).max(100_000).default(10),
        /** Delivered alerts are kept this long (for `sgwatch alerts`), then deleted, a reminder once the next in its thread is delivered; changes keep their own history. */
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
         * Worker threads that fetch and read DescribeSecurityGroups and
         * DescribeNetworkInterfaces (0: on the main thread, which keeps 1,000
         * targets at their API latency's pace on 2 cores with the stream
         * reader). Workers add CPU of their own, the messages between threads;
         * they pay where reading is the limit and cores are spare.
         */
        fetchThreads: z.number().int().min(0).max(32).default(0),
        /**
         * Who reads DescribeSecurityGroups and DescribeNetworkInterfaces
         * responses: "stream", sgwatch's streaming reader (the SDK still signs,
         * sends, retries and reads errors), or "sdk", the SDK's deserialiser.
         * Both give the same groups (docs/performance.md, "The reader").
         */
        reader: z.enum(["stream", "sdk"]).default("stream"),
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
        /** LookupEvents calls per second per account and region (AWS allows 2); the sweep makes them all (attribution reads what it stored). */
        callsPerSecond: z.number().int().min(1).max(2).default(2),
        /** Calls one identity made on one target that failed for authorisation within this long of the first are one failed-attempts alert (later ones: replies in its thread). */
        attemptWindow: duration.prefault("1h"),
        /** How far CloudTrail's eventTime and sgwatch's clock may disagree, for deciding whether a poll ran while a rule was open (src/trail/transient.ts). */
        clockSkew: duration.prefault("1s"),
        /** Events and changes younger than this are joined (transient openings, CloudTrail times) after each sweep; older ones are settled. */
        joinHorizon: duration.prefault("7d"),
        /** Who may change security groups and from where (docs/cloudtrail.md "Actor policy"); absent: no actor check. */
        actors: actorPolicySchema.optional(),
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
    /**
     * Optional: the posture report (`sgwatch report`) mailed on its own cron
     * schedule to its own recipients, through alerts.email's SMTP server and
     * the outbox (README "Scheduled report"). Absent: never sent.
     */
    report: z
      .strictObject({
        /** Cron expression (5 or 6 fields), evaluated in UTC; independent of `schedule` (polling). */
        schedule: z.string().refine((s) => cron.validate(s), { message: 'expected a cron expression like "0 8 * * 1" (Mondays 08:00 UTC)' }),
        /** Who gets it. */
        to: z.array(emailAddress).min(1, { message: "list at least one recipient" }),
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
    /** Retention (docs/retention.md): how long old detail is kept; absent or "forever": everything, always. */
    history: z
      .strictObject({
        /** A duration like "400d", or "forever". Closed intervals, changes, polls and CloudTrail events older than this are compacted once a day. */
        keep: z.union([z.literal("forever"), duration], { message: 'expected a duration like "400d", or "forever"' }).default("forever"),
      })
      .prefault({}),
    log: z
      .strictObject({
        level: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).default("info"),
      })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    checkRoutes(c, ctx);
    checkRetention(c, ctx);
    if (c.report !== undefined && c.alerts.email === undefined) {
      ctx.addIssue({ code: "custom", path: ["report", "to"], message: "the report is mailed through the SMTP server of alerts.email, which is not configured" });
    }
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

/**
 * history.keep shorter than a day, than monitoring.blindAfter or than
 * cloudtrail.joinHorizon would drop what the daemon still reads: the last
 * good poll that health looks back to, events a join still matches.
 */
function checkRetention(c: { history: { keep: number | "forever" }; monitoring: { blindAfter: number }; cloudtrail: { joinHorizon: number } }, ctx: z.RefinementCtx): void {
  const keep = c.history?.keep;
  if (typeof keep !== "number") return;
  const floors: Array<[number, string]> = [
    [86_400_000, "a day"],
    [c.monitoring?.blindAfter ?? 0, `monitoring.blindAfter (${humanDuration(c.monitoring?.blindAfter ?? 0)})`],
    [c.cloudtrail?.joinHorizon ?? 0, `cloudtrail.joinHorizon (${humanDuration(c.cloudtrail?.joinHorizon ?? 0)})`],
  ];
  const [floor, what] = floors.reduce((a, b) => (b[0] > a[0] ? b : a));
  if (keep < floor) ctx.addIssue({ code: "custom", path: ["history", "keep"], message: `${humanDuration(keep)} is shorter than ${what}: history.keep must be at least that, or "forever"` });
}

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
