// Builds the configured channels and their routes: the log, the default
// route's email and webhook (alerts.email, alerts.webhook), and for each
// named route (alerts.routes) its own email recipients and webhook, as
// channels named "email:NAME" and "webhook:NAME" so the outbox says where
// each alert goes.
import type { Logger } from "pino";
import type { Config, RouteConfig } from "../../config/schema.js";
import type { AlertChannel } from "./channel.js";
import { DEFAULT_ROUTE, type ChannelRoute, type RouteRule } from "../route.js";
import { LogChannel } from "./log.js";
import { EmailChannel } from "./email.js";
import { WebhookChannel, webhookOptionsFromConfig } from "./webhook.js";
import { UserError } from "../../util/errors.js";
import { compileNamePattern } from "../../model/group-pattern.js";

/** The enabled channels by name, and how alerts are routed to them. */
export interface Channels {
  /** Every channel, by its outbox name. */
  byName: Map<string, AlertChannel>;
  /** Which channel takes which alerts. */
  routes: ChannelRoute[];
}

/** The channel names of a route. */
export const routeChannel = {
  email: (route: string): string => `email:${route}`,
  webhook: (route: string): string => `webhook:${route}`,
};

/** A configured route as the router takes it. */
export function routeRule(r: RouteConfig, index: number, mode: RouteRule["mode"]): RouteRule {
  const m = r.match;
  return {
    name: r.name,
    index,
    mode,
    match: {
      ...(m.targets ? { targets: m.targets } : {}),
      ...(m.accounts ? { accounts: m.accounts } : {}),
      ...(m.regions ? { regions: m.regions } : {}),
      ...(m.minSeverity ? { minSeverity: m.minSeverity } : {}),
      ...(m.groupName ? { groupName: m.groupName.map(compileNamePattern) } : {}),
      ...(m.tags ? { tags: m.tags } : {}),
    },
  };
}

export function channelRoutes(config: Config): ChannelRoute[] {
  const routes: ChannelRoute[] = [];
  if (config.alerts.log.enabled) routes.push({ channel: "log", minSeverity: config.alerts.log.minSeverity });
  const email = config.alerts.email;
  if (email?.enabled) routes.push({ channel: "email", minSeverity: email.minSeverity, route: DEFAULT_ROUTE });
  const webhook = config.alerts.webhook;
  if (webhook?.enabled) routes.push({ channel: "webhook", minSeverity: webhook.minSeverity, route: DEFAULT_ROUTE });
  config.alerts.routes.forEach((r, i) => {
    const rule = routeRule(r, i, config.alerts.routing);
    // A route's mail goes through alerts.email's server; switching that off silences the routes' mail too.
    const batch = r.batch !== undefined ? { batchMs: r.batch } : {};
    if (r.email && email?.enabled) routes.push({ channel: routeChannel.email(r.name), minSeverity: "low", route: rule, ...batch });
    if (r.webhook?.enabled) routes.push({ channel: routeChannel.webhook(r.name), minSeverity: r.webhook.minSeverity, route: rule, ...batch });
  });
  return routes;
}

/** The outbox channel of the scheduled report (report.to through alerts.email's server); never a route's. */
export const REPORT_CHANNEL = "report";

/** The email channel of the default route, or of the named route. */
export function emailChannelFor(config: Config, env: NodeJS.ProcessEnv, route?: RouteConfig): EmailChannel {
  return mailChannel(config, env, route?.email ? { name: routeChannel.email(route.name), to: route.email } : undefined);
}

/** The scheduled report's email channel; a config without a report section has none. */
export function reportChannelFor(config: Config, env: NodeJS.ProcessEnv): EmailChannel {
  if (!config.report) throw new UserError("the config has no report section: report.to names who gets the report, report.schedule when");
  return mailChannel(config, env, { name: REPORT_CHANNEL, to: config.report.to });
}

function mailChannel(config: Config, env: NodeJS.ProcessEnv, as?: { name: string; to: string[] }): EmailChannel {
  const email = config.alerts.email;
  if (!email) throw new UserError("alerts.email is not configured: it names the SMTP server that every route's mail goes through");
  const password = email.passwordEnv ? env[email.passwordEnv] : undefined;
  if (email.user && email.passwordEnv && password === undefined) {
    throw new UserError(`alerts.email.passwordEnv names ${email.passwordEnv}, but that environment variable is not set`);
  }
  return as ? new EmailChannel(email, password, as) : new EmailChannel(email, password);
}

export function buildChannels(config: Config, logger: Logger, env: NodeJS.ProcessEnv): Channels {
  const byName = new Map<string, AlertChannel>();
  if (config.alerts.log.enabled) byName.set("log", new LogChannel(logger.child({ module: "alerts" })));
  const email = config.alerts.email;
  if (email?.enabled) byName.set("email", emailChannelFor(config, env));
  const webhook = config.alerts.webhook;
  if (webhook?.enabled) byName.set("webhook", new WebhookChannel(webhookOptionsFromConfig(webhook, env)));
  // Like a route's mail, the report goes through alerts.email's server: switching that off silences it too.
  if (config.report && email?.enabled) byName.set(REPORT_CHANNEL, reportChannelFor(config, env));
  config.alerts.routes.forEach((r, i) => {
    if (r.email && email?.enabled) byName.set(routeChannel.email(r.name), emailChannelFor(config, env, r));
    if (r.webhook?.enabled) {
      const name = routeChannel.webhook(r.name);
      byName.set(name, new WebhookChannel(webhookOptionsFromConfig(r.webhook, env, `alerts.routes[${i}].webhook`), name));
    }
  });
  return { byName, routes: channelRoutes(config) };
}
