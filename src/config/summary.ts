// The configuration as check-config shows it: every alert channel in one line
// each, and the config with anything secret replaced. Secret values never come
// from here: environment variables are named with whether they are set, and an
// inline webhook URL (it may carry a token in its path or query) is shown only
// as its origin in text and not at all in JSON.
import type { Config, RouteConfig, WebhookConfig } from "./schema.js";
import { tagConditionsText } from "../model/group-pattern.js";
import { humanDuration } from "../util/time.js";
import type { ActorPolicyConfig } from "../policy/actor.js";
import type { ResolvedTarget } from "./targets.js";

/** One alert channel in words. */
export interface ChannelSummary {
  /** log, email or webhook. */
  channel: "log" | "email" | "webhook";
  /** Whether alerts go to it. */
  enabled: boolean;
  /** What it does, e.g. "to ops@example.com via smtp.example.com:587 (min medium)". */
  summary: string;
}

/** What an inline webhook URL is replaced with wherever the config is shown. */
export const REDACTED_URL = "(set, redacted)";

const isSet = (env: NodeJS.ProcessEnv, name: string): string => `$${name} (${env[name] === undefined ? "NOT set" : "set"})`;

/** Scheme, host and port only: the path and query of a webhook URL are often the secret. */
export function urlOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(not a URL)";
  }
}

export function channelSummaries(config: Config, env: NodeJS.ProcessEnv): ChannelSummary[] {
  const { log, email, webhook } = config.alerts;
  const out: ChannelSummary[] = [{ channel: "log", enabled: log.enabled, summary: log.enabled ? `JSON lines on stdout (min ${log.minSeverity})` : "off" }];
  if (!email) out.push({ channel: "email", enabled: false, summary: "not configured" });
  else {
    const tls = email.secure ? "TLS" : email.requireTLS ? "STARTTLS required" : "STARTTLS if offered";
    const auth = email.user ? `, as ${email.user}${email.passwordEnv ? ` with the password in ${isSet(env, email.passwordEnv)}` : ""}` : "";
    out.push({
      channel: "email",
      enabled: email.enabled,
      summary: `${email.enabled ? "" : "off: "}to ${email.to.join(", ")} from ${email.from} via ${email.host}:${email.port} (${tls}${auth}) (min ${email.minSeverity})`,
    });
  }
  if (!webhook) out.push({ channel: "webhook", enabled: false, summary: "not configured" });
  else {
    const where = webhook.url !== undefined ? `${urlOrigin(webhook.url)} (rest of the URL redacted)` : `the URL in ${isSet(env, webhook.urlEnv as string)}`;
    const headers = Object.entries(webhook.headersFromEnv).map(([h, name]) => `${h} from ${isSet(env, name)}`);
    out.push({
      channel: "webhook",
      enabled: webhook.enabled,
      summary: `${webhook.enabled ? "" : "off: "}${webhook.format} POST to ${where}${headers.length ? `, headers: ${headers.join(", ")}` : ""} (min ${webhook.minSeverity})`,
    });
  }
  return out;
}

/** The validated config with every inline webhook URL (the default's and each route's) replaced by REDACTED_URL. */
export function redactedConfig(config: Config): Config {
  const hide = <W extends WebhookConfig | undefined>(w: W): W => (w?.url === undefined ? w : { ...w, url: REDACTED_URL });
  return {
    ...config,
    alerts: { ...config.alerts, webhook: hide(config.alerts.webhook), routes: config.alerts.routes.map((r) => ({ ...r, webhook: hide(r.webhook) })) },
  };
}

/** One line of the routing table. */
export interface RouteSummary {
  /** The route's name; "default" for alerts.email and alerts.webhook. */
  name: string;
  /** What it takes, in words ("tag team=payments, severity high or worse"); "everything no route takes" for the default. */
  match: string;
  /** Where it sends, in words (recipients, webhook origin, batch window); no secret. */
  to: string;
  /** The route's batch window (alerts.routes[].batch) in ms; absent = each alert sent at once. */
  batchMs?: number;
}

/** The routing table as check-config shows it. */
export interface RoutingTable {
  /** first: a change goes to the first route that takes it; all: to every one. */
  mode: "first" | "all";
  /** The named routes in order, then the default. */
  routes: RouteSummary[];
}

function webhookWhere(w: WebhookConfig, env: NodeJS.ProcessEnv): string {
  return `${w.format} webhook ${w.url !== undefined ? `${urlOrigin(w.url)} (rest of the URL redacted)` : `at the URL in ${isSet(env, w.urlEnv as string)}`}`;
}

function matchText(r: RouteConfig): string {
  const m = r.match;
  const parts = [
    m.targets ? `target ${m.targets.join(" or ")}` : "",
    m.accounts ? `account ${m.accounts.join(" or ")}` : "",
    m.regions ? `region ${m.regions.join(" or ")}` : "",
    m.groupName ? `group name ${m.groupName.join(" or ")}` : "",
    m.tags ? tagConditionsText(m.tags) : "",
    m.minSeverity ? `severity ${m.minSeverity} or worse` : "",
  ].filter(Boolean);
  return parts.length ? parts.join(", ") : "everything";
}

export function routingTable(config: Config, env: NodeJS.ProcessEnv): RoutingTable {
  const { email, webhook } = config.alerts;
  const routes: RouteSummary[] = config.alerts.routes.map((r) => {
    const to = [
      r.email ? `email ${r.email.join(", ")}${email?.enabled ? "" : " (NOT sent: alerts.email is off)"}` : "",
      r.webhook ? `${r.webhook.enabled ? "" : "off: "}${webhookWhere(r.webhook, env)} (min ${r.webhook.minSeverity})` : "",
      // A batch window changes when the mail comes: say it beside where it goes.
      r.batch !== undefined ? `batched: drift alerts of ${humanDuration(r.batch)} in one message` : "",
    ].filter(Boolean);
    return { name: r.name, match: matchText(r), to: to.join("; "), ...(r.batch !== undefined ? { batchMs: r.batch } : {}) };
  });
  const defaults = [
    email?.enabled ? `email ${email.to.join(", ")} (min ${email.minSeverity})` : "",
    webhook?.enabled ? `${webhookWhere(webhook, env)} (min ${webhook.minSeverity})` : "",
  ].filter(Boolean);
  routes.push({ name: "default", match: config.alerts.routes.length ? "what no route takes" : "everything", to: defaults.length ? defaults.join("; ") : "nobody (no email or webhook configured)" });
  return { mode: config.alerts.routing, routes };
}

/** The routing table in lines for people. */
export function routingLines(t: RoutingTable): string[] {
  return [
    `routing (${t.mode === "first" ? "each change goes to the first route that takes it" : "each change goes to every route that takes it"}; the log gets everything):`,
    ...t.routes.map((r, i) => `  ${r.name === "default" ? "default" : `${i + 1}. ${r.name}`}: ${r.match} → ${r.to}`),
  ];
}

/** A policy in words: "principals a, b; networks 10.0.0.0/8; VPC endpoints vpce-1". */
function policyText(p: ActorPolicyConfig): string {
  const parts = [
    p.principals !== undefined ? `principals ${p.principals.join(", ") || "(none)"}` : null,
    p.networks !== undefined ? `networks ${p.networks.join(", ") || "(none)"}` : null,
    p.vpcEndpoints !== undefined ? `VPC endpoints ${p.vpcEndpoints.join(", ") || "(none)"}` : null,
  ];
  return parts.filter((x) => x !== null).join("; ");
}

/** check-config's actor-policy lines: the default, each target that differs, and targets where it cannot apply (CloudTrail off). */
export function actorPolicyLines(config: Config, targets: readonly ResolvedTarget[]): string[] {
  const def = config.cloudtrail.actors ?? null;
  const lines = [`actor policy: ${def === null ? "none by default (no actor check)" : `${policyText(def)} (default)`}`];
  for (const t of targets) {
    if (t.actors === null) continue;
    const own = t.actors !== def;
    if (!own && t.cloudtrail) continue;
    lines.push(`  ${t.account}/${t.region}: ${own ? policyText(t.actors) : "the default"}${t.cloudtrail ? "" : " (CloudTrail off for this target: not checked)"}`);
  }
  return lines;
}
