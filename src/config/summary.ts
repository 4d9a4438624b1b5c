// The configuration as check-config shows it: every alert channel in one line
// each, and the config with anything secret replaced. Secret values never come
// from here: environment variables are named with whether they are set, and an
// inline webhook URL (it may carry a token in its path or query) is shown only
// as its origin in text and not at all in JSON.
import type { Config } from "./schema.js";

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

/** The validated config with an inline webhook URL replaced by REDACTED_URL. */
export function redactedConfig(config: Config): Config {
  const webhook = config.alerts.webhook;
  if (webhook?.url === undefined) return config;
  return { ...config, alerts: { ...config.alerts, webhook: { ...webhook, url: REDACTED_URL } } };
}
