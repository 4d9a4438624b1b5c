// The alerting sections of the configuration: the log, e-mail and webhook
// channels, routes that send each change to its owners, and the ignore list
// of groups other systems manage.
import { z } from "zod";
import { accountId, duration, isoInstant, port, region, severity } from "./fields.js";
import { namePatterns, tagConditions } from "./group-selectors.js";

/**
 * An e-mail address, bare (ops@example.com) or with a display name
 * ("sgwatch <sgwatch@example.com>"), as nodemailer takes them. Strict enough
 * that a typo (a missing @, two addresses in one string) is caught here,
 * not as a bounce at the first alert.
 */
const EMAIL_ADDRESS = /^[^\s@<>",;:()[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
export const emailAddress = z.string().refine((s) => {
  const named = /^[^<>]*<([^<>]+)>$/.exec(s.trim());
  return EMAIL_ADDRESS.test(named ? (named[1] as string) : s);
}, { message: 'expected an e-mail address like ops@example.com (or "Name <ops@example.com>")' });

export const emailChannel = z.strictObject({
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

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
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

export const webhookChannel = z
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
export const alertRoute = z
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

/** Groups owned by other systems (EKS, ELB, autoscaling): their changes are recorded, not alerted, until the entry expires. */
export const ignoreEntry = z
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

export const logChannel = z.strictObject({
  enabled: z.boolean().default(true),
  minSeverity: severity.default("low"),
});
