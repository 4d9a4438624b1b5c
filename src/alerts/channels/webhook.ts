// The webhook channel: one JSON POST per alert, through the same outbox and
// retries as email. A non-2xx answer, a timeout or a network error throws, so
// the dispatcher retries with backoff and finally marks the alert dead.
//
// Two body formats:
// - generic (stable; documented in docs/webhook.md):
//     { "alertId": 42, "type": "drift", "severity": "critical",
//       "createdAt": "2026-03-02T10:05:00.000Z", "payload": { …AlertPayload… } }
//   `payload` is exactly what the outbox stored (src/model/alert-payload.ts), so a
//   retry carries the same body; receivers deduplicate on alertId (also sent
//   as the X-Sgwatch-Alert-Id header).
// - slack: a Slack incoming-webhook message, `text` (the notification line)
//   and `blocks` (the changes in words and the ack command).
//
// Header values come from environment variables the config names (an
// Authorization token, say); they are never logged and never appear in an
// error message. The URL may itself be a secret (a Slack webhook URL is; so
// are `?token=` and `user:pass@` ones), so every error text — ours, fetch's,
// and the receiver's answer, which may echo the request — goes through
// util/redact.ts: URLs cut to their origin, the URL's parts and the header
// values replaced. The original error is not attached as `cause`: it quotes
// the full URL, and a logger would print it.
import type { AlertChannel } from "./channel.js";
import type { AlertPayload, DriftAlert, OutboxAlert } from "../../model/alert-payload.js";
import { ackCommand, changeText, consoleUrl, exposureText, groupLabel, guardrailText, revertText, snippetChange, targetName } from "../render/words.js";
import { renderEmail } from "../render/email.js";
import { oneLine } from "../render/sanitize.js";
import type { Severity } from "../../model/types.js";
import { UserError, errorMessage } from "../../util/errors.js";
import { redact, urlOrigin, urlSecrets } from "../../util/redact.js";

/** Body formats the channel can send. */
export type WebhookFormat = "generic" | "slack";

/** The alerts.webhook config block, as validated (see the schema proposal in config/schema.ts). */
export interface WebhookSettings {
  /** Where to POST. */
  url?: string | undefined;
  /** Or: the name of an environment variable holding the URL (Slack webhook URLs are secrets). */
  urlEnv?: string | undefined;
  /** Body format. */
  format: WebhookFormat;
  /** Header name → name of the environment variable holding its value. */
  headersFromEnv: Record<string, string>;
  /** Give up on one attempt after this many milliseconds. */
  timeout: number;
}

/** What the channel needs: everything resolved, secrets included. */
export interface WebhookOptions {
  /** Where to POST. */
  url: string;
  /** Body format. */
  format: WebhookFormat;
  /** Extra request headers (values are secrets). */
  headers: Record<string, string>;
  /** Per-attempt timeout in milliseconds. */
  timeoutMs: number;
}

/** The generic body: stable; add fields, never rename or remove them. */
export interface GenericWebhookBody {
  /** outbox.id; the same on every retry of this alert. */
  alertId: number;
  /** The payload's type: drift, monitoring-blind, monitoring-restored, approvals-invalid. */
  type: AlertPayload["type"];
  /** Worst severity in the alert. */
  severity: Severity;
  /** When the alert was created (ISO-8601 UTC). */
  createdAt: string;
  /** The alert as stored (src/model/alert-payload.ts). */
  payload: AlertPayload;
}

/** Resolve the config block against the environment; names the missing variable, never a value. */
export function webhookOptionsFromConfig(cfg: WebhookSettings, env: NodeJS.ProcessEnv, key = "alerts.webhook"): WebhookOptions {
  let url = cfg.url;
  if (cfg.urlEnv !== undefined) {
    url = env[cfg.urlEnv];
    if (!url) throw new UserError(`${key}.urlEnv names ${cfg.urlEnv}, but that environment variable is not set`);
    if (!/^https?:\/\//i.test(url)) throw new UserError(`the environment variable ${cfg.urlEnv} (${key}.urlEnv) does not hold an http(s) URL`);
  }
  if (!url) throw new UserError(`${key} needs url or urlEnv`);
  const headers: Record<string, string> = {};
  for (const [name, envName] of Object.entries(cfg.headersFromEnv)) {
    const value = env[envName];
    if (value === undefined || value === "") {
      throw new UserError(`${key}.headersFromEnv.${name} names ${envName}, but that environment variable is not set`);
    }
    headers[name] = value;
  }
  return { url, format: cfg.format, headers, timeoutMs: cfg.timeout };
}

/** The generic body for an alert. */
export function genericBody(alert: OutboxAlert): GenericWebhookBody {
  return { alertId: alert.id, type: alert.payload.type, severity: alert.severity, createdAt: alert.createdAt, payload: alert.payload };
}

// --- Slack -------------------------------------------------------------------

/** Slack's limits: 50 blocks per message, 3000 characters per section text, 150 per header. */
const SLACK_MAX_CHANGES = 30;
const SLACK_SECTION_MAX = 2900;
const SLACK_HEADER_MAX = 150;

const SEVERITY_MARK: Record<Severity, string> = { critical: ":red_circle:", high: ":large_orange_circle:", medium: ":large_yellow_circle:", low: ":white_circle:" };

/**
 * Escape text for Slack mrkdwn: &, < and > are control characters there
 * (`<!channel>` pings everyone, `<url|text>` forges a link). Group names and
 * descriptions come from whoever can edit a group.
 */
export function slackEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

type SlackBlock =
  | { type: "header"; text: { type: "plain_text"; text: string } }
  | { type: "section"; text: { type: "mrkdwn"; text: string } }
  | { type: "context"; elements: Array<{ type: "mrkdwn"; text: string }> }
  | { type: "divider" };

/** A Slack incoming-webhook message. */
export interface SlackBody {
  /** Notification and fallback text. */
  text: string;
  /** The message. */
  blocks: SlackBlock[];
}

const section = (text: string): SlackBlock => ({ type: "section", text: { type: "mrkdwn", text: cap(text, SLACK_SECTION_MAX) } });
const cap = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
/** Sections a message's lines fill: a header, a context and a target section besides leave room for this many. */
const SLACK_MAX_SECTIONS = 45;

/**
 * Lines in as many sections as they need, so the 3000-character limit cuts
 * no line short; past `maxSections` (Slack takes 50 blocks), one last
 * section says how many lines were left out.
 */
function lineSections(lines: readonly string[], maxSections = SLACK_MAX_SECTIONS): SlackBlock[] {
  const out: SlackBlock[] = [];
  let chunk = "";
  for (const [i, line] of lines.entries()) {
    if (chunk && chunk.length + line.length + 1 > SLACK_SECTION_MAX) {
      if (out.length === maxSections - 1) {
        out.push(section(`${chunk}\n…and ${lines.length - i} more lines`));
        return out;
      }
      out.push(section(chunk));
      chunk = "";
    }
    chunk = chunk ? `${chunk}\n${line}` : line;
  }
  if (chunk) out.push(section(chunk));
  return out;
}

function driftSlack(alert: OutboxAlert, a: DriftAlert): SlackBody {
  const n = a.changes.length;
  const worst = a.changes[0]?.severity ?? alert.severity;
  const where = `${targetName(a.target)} ${a.target.region}`;
  const text = oneLine(`${worst.toUpperCase()}: ${n} unapproved security-group change${n === 1 ? "" : "s"} in ${where}`, 300);
  const shown = a.changes.slice(0, SLACK_MAX_CHANGES);
  const lines = shown.map((c) => {
    const reverts = revertText(c);
    const guard = guardrailText(c);
    const exposure = exposureText(c, a.detectedAt);
    return (
      `${SEVERITY_MARK[c.severity]} *${c.severity.toUpperCase()}* #${c.changeId} <${consoleUrl(a.target.region, c.groupId)}|${slackEscape(groupLabel(c))}>: ` +
      slackEscape(oneLine(changeText(c), 400)) +
      (exposure ? `\n    ${slackEscape(exposure)}` : "") +
      (reverts ? ` _(${slackEscape(reverts)})_` : "") +
      (guard ? `\n*${slackEscape(guard)}*` : "") +
      (c.revokeCommand ? `\nrevoke it now: \`${slackEscape(c.revokeCommand)}\`` : "")
    );
  });
  if (n > shown.length) lines.push(`…and ${n - shown.length} more (\`sgwatch changes --status unapproved\`)`);
  const changeSections = lineSections(lines);
  const preApprovable = snippetChange(a.changes);
  return {
    // `text` is mrkdwn too (it is the notification); the header is plain text.
    text: slackEscape(text),
    blocks: [
      { type: "header", text: { type: "plain_text", text: cap(text, SLACK_HEADER_MAX) } },
      section(
        `*Target:* ${slackEscape(where)}\n*Detected:* ${a.detectedAt}` + (a.intervalStart ? ` (made after the poll at ${a.intervalStart})` : ""),
      ),
      ...changeSections,
      { type: "divider" },
      section(`If these changes are fine, acknowledge them:\n\`\`\`${slackEscape(ackCommand(a.changes.map((c) => c.changeId)))}\`\`\``),
      // No invitation to pre-approve what must be revoked (a guardrail) or is critical.
      {
        type: "context",
        elements: [
          {
            type: "mrkdwn",
            text: preApprovable ? `sgwatch alert ${alert.id} · pre-approve changes like #${preApprovable.changeId} with an approval record (docs/approvals.md)` : `sgwatch alert ${alert.id}`,
          },
        ],
      },
    ],
  };
}

/** The Slack message for an alert. */
export function slackBody(alert: OutboxAlert): SlackBody {
  const p = alert.payload;
  if (p.type === "drift") return driftSlack(alert, p);
  // The other alerts concern the monitor itself; the email's words serve.
  const mail = renderEmail(p);
  const text = mail.subject.replace(/^\[sgwatch\] /, "");
  return {
    text: slackEscape(text),
    blocks: [
      { type: "header", text: { type: "plain_text", text: cap(text, SLACK_HEADER_MAX) } },
      // A reminder digest can list hundreds of changes: a section per few dozen lines.
      ...lineSections(slackEscape(mail.text.trim()).split("\n")),
      { type: "context", elements: [{ type: "mrkdwn", text: `sgwatch alert ${alert.id}` }] },
    ],
  };
}

// --- Delivery ----------------------------------------------------------------

/** How much of an error response to quote: enough for Slack's "invalid_blocks", not a whole HTML page. */
const RESPONSE_QUOTE_MAX = 200;

export class WebhookChannel implements AlertChannel {
  constructor(
    private readonly opts: WebhookOptions,
    /** "webhook" for the default route, "webhook:NAME" for a route's. */
    readonly name = "webhook",
  ) {}

  async send(alert: OutboxAlert, stop?: AbortSignal): Promise<void> {
    const body = this.opts.format === "slack" ? slackBody(alert) : genericBody(alert);
    const where = urlOrigin(this.opts.url);
    const secrets = { urls: [this.opts.url], secrets: [...urlSecrets(this.opts.url), ...Object.values(this.opts.headers)] };
    const fail = (message: string): Error => new Error(redact(message, secrets));
    const timeout = AbortSignal.timeout(this.opts.timeoutMs);
    const signal = stop ? AbortSignal.any([timeout, stop]) : timeout;
    let res: Response;
    try {
      res = await fetch(this.opts.url, {
        method: "POST",
        // Configured headers first, so they cannot replace the content type.
        headers: {
          ...this.opts.headers,
          "content-type": "application/json",
          "user-agent": "sgwatch",
          "x-sgwatch-alert-id": String(alert.id),
          "x-sgwatch-severity": alert.severity,
        },
        body: JSON.stringify(body),
        // A redirect could carry the configured headers to another host.
        redirect: "manual",
        signal,
      });
    } catch (err) {
      if (stop?.aborted) throw fail(`webhook POST to ${where} abandoned: sgwatch is stopping`);
      if (signal.aborted) throw fail(`webhook POST to ${where} timed out after ${this.opts.timeoutMs} ms`);
      // fetch says only "fetch failed"; the reason (ECONNREFUSED, a TLS error…) is the cause.
      const cause = err instanceof Error && err.cause !== undefined ? `: ${errorMessage(err.cause)}` : "";
      throw fail(`webhook POST to ${where} failed: ${errorMessage(err)}${cause}`);
    }
    let text = "";
    try {
      text = await res.text();
    } catch (err) {
      if (res.ok) {
        if (signal.aborted) throw fail(`webhook POST to ${where} timed out after ${this.opts.timeoutMs} ms reading the response`);
        throw fail(`webhook POST to ${where}: reading the response failed: ${errorMessage(err)}`);
      }
    }
    if (res.status >= 300 && res.status < 400) {
      throw fail(`webhook POST to ${where} was redirected (HTTP ${res.status}); sgwatch does not follow webhook redirects: configure the final URL`);
    }
    if (!res.ok) {
      // Redacted before it is cut, so a cut cannot leave half a secret behind.
      const quote = oneLine(redact(text, secrets), RESPONSE_QUOTE_MAX);
      throw fail(`webhook POST to ${where} answered HTTP ${res.status}${quote ? `: ${quote}` : ""}`);
    }
  }
}
