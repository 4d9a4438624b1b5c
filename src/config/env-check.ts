// The environment variables the config names (secrets are never in the file)
// checked the way the daemon will use them, so `check-config` fails on what
// `poll` and `run` would fail on. Only names are ever reported, never values.
import type { Config } from "./schema.js";
import type { ConfigProblem } from "./load.js";
import { hasUserInfo, URL_CREDENTIALS_MESSAGE } from "./schema.js";

/** Every named variable that is unset or unusable, one problem each. */
export function checkEnvironment(config: Config, env: NodeJS.ProcessEnv): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const email = config.alerts.email;
  // The channel reads the password only with a user (src/alerts/channels/registry.ts).
  if (email?.enabled && email.user && email.passwordEnv && env[email.passwordEnv] === undefined) {
    problems.push({ key: "alerts.email.passwordEnv", line: null, env: email.passwordEnv, message: "is not set (it should hold the SMTP password)" });
  }
  const hooks = [
    { webhook: config.alerts.webhook, prefix: "alerts.webhook" },
    ...config.alerts.routes.map((r, i) => ({ webhook: r.webhook, prefix: `alerts.routes[${i}].webhook` })),
  ];
  for (const { webhook, prefix } of hooks) {
    if (!webhook?.enabled) continue;
    if (webhook.urlEnv !== undefined) {
      const url = env[webhook.urlEnv];
      const key = `${prefix}.urlEnv`;
      if (!url) problems.push({ key, line: null, env: webhook.urlEnv, message: "is not set (it should hold the webhook URL)" });
      else if (!/^https?:\/\/[^/]/i.test(url) || !URL.canParse(url)) problems.push({ key, line: null, env: webhook.urlEnv, message: "does not hold an http(s) URL" });
      else if (hasUserInfo(url)) problems.push({ key, line: null, env: webhook.urlEnv, message: `holds a URL that ${URL_CREDENTIALS_MESSAGE}` });
    }
    for (const [header, name] of Object.entries(webhook.headersFromEnv)) {
      if (!env[name]) problems.push({ key: `${prefix}.headersFromEnv.${header}`, line: null, env: name, message: `is not set (it should hold the ${header} header's value)` });
    }
  }
  return problems;
}
