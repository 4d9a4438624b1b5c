// Configurations that are valid but risky or probably a mistake. Pure: the
// same list is printed by check-config and logged once when the daemon starts,
// so an operator sees it whichever they look at.
import type { Config } from "./schema.js";

/** Something valid an operator should still look at. */
export interface ConfigWarning {
  /** Dotted key path the warning is about, e.g. alerts.email.user. */
  key: string;
  /** What is risky and what to do about it. */
  message: string;
}

export function configWarnings(config: Config): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  const email = config.alerts.email;
  // Without secure or requireTLS, nodemailer uses STARTTLS only when the
  // server offers it: anyone on the path can strip the offer and read the
  // password (and every alert) in clear text.
  if (email?.enabled && email.user && !email.secure && !email.requireTLS) {
    warnings.push({
      key: "alerts.email",
      message:
        "SMTP authentication (user) is configured without TLS: the password can be sent in clear text; set requireTLS: true (STARTTLS, port 587) or secure: true (port 465)",
    });
  }
  // The channel authenticates only with a user (src/alerts/channels/registry.ts).
  if (email?.enabled && email.passwordEnv && !email.user) {
    warnings.push({ key: "alerts.email.passwordEnv", message: "is set but alerts.email.user is not: without a user sgwatch does not authenticate, and the password is never used" });
  }
  if (email?.enabled && email.user && !email.passwordEnv) {
    warnings.push({ key: "alerts.email.user", message: "is set without passwordEnv: sgwatch will authenticate with an empty password" });
  }
  // The report is mailed through alerts.email's server (the schema requires the block); switched off, nothing goes.
  if (config.report && email && !email.enabled) {
    warnings.push({ key: "report", message: "alerts.email is switched off (enabled: false): the scheduled report is mailed through it, so it is not sent" });
  }
  const webhook = config.alerts.webhook;
  if (webhook?.enabled && webhook.url?.startsWith("http://") && Object.keys(webhook.headersFromEnv).length > 0) {
    warnings.push({ key: "alerts.webhook.url", message: "is plain http: the headers from headersFromEnv (tokens) travel unencrypted; use https" });
  }
  const byLabel = new Map<string, number>();
  config.targets.forEach((t, i) => {
    if (t.label === undefined) return;
    const first = byLabel.get(t.label);
    if (first === undefined) byLabel.set(t.label, i);
    else {
      warnings.push({
        key: `targets[${i}].label`,
        message: `"${t.label}" is also the label of targets[${first}]: alerts and \`sgwatch status\` will not tell the two apart by label`,
      });
    }
  });
  return warnings;
}
