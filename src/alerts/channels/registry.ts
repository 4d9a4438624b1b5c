// Builds the configured channels and their routes.
import type { Logger } from "pino";
import type { Config } from "../../config/schema.js";
import type { AlertChannel } from "./channel.js";
import type { ChannelRoute } from "../route.js";
import { LogChannel } from "./log.js";
import { EmailChannel } from "./email.js";
import { WebhookChannel, webhookOptionsFromConfig } from "./webhook.js";
import { UserError } from "../../util/errors.js";

/** The enabled channels by name, and how alerts are routed to them. */
export interface Channels {
  byName: Map<string, AlertChannel>;
  routes: ChannelRoute[];
}

export function channelRoutes(config: Config): ChannelRoute[] {
  const routes: ChannelRoute[] = [];
  if (config.alerts.log.enabled) routes.push({ channel: "log", minSeverity: config.alerts.log.minSeverity });
  const email = config.alerts.email;
  if (email?.enabled) routes.push({ channel: "email", minSeverity: email.minSeverity });
  const webhook = config.alerts.webhook;
  if (webhook?.enabled) routes.push({ channel: "webhook", minSeverity: webhook.minSeverity });
  return routes;
}

export function buildChannels(config: Config, logger: Logger, env: NodeJS.ProcessEnv): Channels {
  const byName = new Map<string, AlertChannel>();
  if (config.alerts.log.enabled) byName.set("log", new LogChannel(logger.child({ module: "alerts" })));
  const email = config.alerts.email;
  if (email?.enabled) {
    const password = email.passwordEnv ? env[email.passwordEnv] : undefined;
    if (email.user && email.passwordEnv && password === undefined) {
      throw new UserError(`alerts.email.passwordEnv names ${email.passwordEnv}, but that environment variable is not set`);
    }
    byName.set("email", new EmailChannel(email, password));
  }
  const webhook = config.alerts.webhook;
  if (webhook?.enabled) byName.set("webhook", new WebhookChannel(webhookOptionsFromConfig(webhook, env)));
  return { byName, routes: channelRoutes(config) };
}
