// The email channel: one message per alert (one alert per poll and target),
// over SMTP with nodemailer. The Message-ID is derived from what the alert is
// about (the detecting poll for drift, the outbox row otherwise), so a resend
// after a crash is recognisably the same message, and every follow-up of a
// drift alert (reminder, who made it, closed) can name it in In-Reply-To and
// References: a mail app shows one conversation per incident. A burst of
// failed attempts is an incident too: its first alert's Message-ID comes from
// its attempt group, and the replies telling later calls name it.
// nodemailer is loaded on the first send: a daemon that never alerts need not hold it.
// Its errors quote the server's answer, which may echo what was sent (the
// password, or its base64 from AUTH PLAIN/LOGIN): they are redacted before
// they are thrown, so neither the log nor outbox.last_error can hold them.
import type { Transporter } from "nodemailer";
import type { AlertChannel } from "./channel.js";
import type { AlertThread, AttemptThread, OutboxAlert } from "../../model/alert-payload.js";
import { renderEmail } from "../render/email.js";
import type { EmailConfig } from "../../config/schema.js";
import { errorMessage } from "../../util/errors.js";
import { redact } from "../../util/redact.js";

const digits = (iso: string): string => iso.replace(/[^0-9]/g, "");
/** A channel name as a Message-ID part ("email:payments" → "email-payments"). */
const idPart = (name: string): string => name.replace(/[^A-Za-z0-9.-]/g, "-");

/** Message-ID of the drift alert a thread starts with, as the channel `channel` sent it. */
export function threadMessageId(thread: Pick<AlertThread, "pollId" | "detectedAt">, channel: string, host: string): string {
  return `<sgwatch.drift.${thread.pollId}.${digits(thread.detectedAt)}.${idPart(channel)}@${host}>`;
}

/** Message-ID of the first failed-attempts alert of a burst (attempt group), as the channel `channel` sent it: later calls reply to it. */
export function attemptsMessageId(thread: Pick<AttemptThread, "attemptGroupId" | "windowStart">, channel: string, host: string): string {
  return `<sgwatch.attempts.${thread.attemptGroupId}.${digits(thread.windowStart)}.${idPart(channel)}@${host}>`;
}

/** Stable Message-ID for an alert: a drift alert's is its thread's; a digest's its row's (store/threads-repo digestMessageKey). */
export function messageIdFor(alert: OutboxAlert, host: string, channel = "email"): string {
  const p = alert.payload;
  if (p.type === "drift" && p.pollId > 0) return threadMessageId(p, channel, host);
  if (p.type === "digest") return `<sgwatch.digest.${alert.id}.${digits(alert.createdAt)}@${host}>`;
  if (p.type === "failed-attempts" && p.attemptGroupId !== undefined && p.windowStart !== undefined) {
    return attemptsMessageId({ attemptGroupId: p.attemptGroupId, windowStart: p.windowStart }, channel, host);
  }
  // store/threads-repo outboxMessageKey names this one for follow-ups of a transient alert: keep the two alike.
  return `<sgwatch.alert.${alert.id}.${digits(alert.createdAt)}@${host}>`;
}

/** In-Reply-To and References of a follow-up: the drift alert it follows, on the same channel. */
function replyHeaders(alert: OutboxAlert, host: string, channel: string): { inReplyTo?: string; references?: string } {
  const p = alert.payload;
  if ((p.type === "reminder" || p.type === "attributed" || p.type === "unexpected-actor" || p.type === "closed" || p.type === "acknowledged") && p.thread) {
    // Changes reported by an alert of their own that this channel never sent: no thread to join.
    if (p.thread.byChange && !p.thread.messageKey) return {};
    const id = p.thread.messageKey ? `<sgwatch.${p.thread.messageKey}@${host}>` : threadMessageId(p.thread, channel, host);
    return { inReplyTo: id, references: id };
  }
  if (p.type === "failed-attempts-more") {
    const id = attemptsMessageId(p.thread, channel, host);
    return { inReplyTo: id, references: id };
  }
  return {};
}

/** Where a route's mail goes, when it is not alerts.email's own list. */
export interface EmailRouteOptions {
  /** Channel name: "email" for the default route, "email:NAME" for a route. */
  name: string;
  /** Recipients. */
  to: string[];
}

export class EmailChannel implements AlertChannel {
  readonly name: string;
  private readonly to: string[];
  private transport: Transporter | null = null;

  constructor(
    private readonly config: EmailConfig,
    /** The SMTP password, read from the env var the config names. */
    private readonly password: string | undefined,
    route?: EmailRouteOptions,
  ) {
    this.name = route?.name ?? "email";
    this.to = route?.to ?? config.to;
  }

  private async getTransport(): Promise<Transporter> {
    if (this.transport) return this.transport;
    const { default: nodemailer } = await import("nodemailer");
    this.transport ??= nodemailer.createTransport({
      host: this.config.host,
      port: this.config.port,
      secure: this.config.secure,
      requireTLS: this.config.requireTLS,
      auth: this.config.user ? { user: this.config.user, pass: this.password ?? "" } : undefined,
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 30_000,
    });
    return this.transport;
  }

  async send(alert: OutboxAlert, signal?: AbortSignal): Promise<void> {
    const mail = renderEmail(alert.payload);
    const domain = this.config.from.split("@")[1]?.replace(/[^A-Za-z0-9.-]/g, "") || "sgwatch.local";
    const transport = await this.getTransport();
    const sending = transport
      .sendMail({
        from: this.config.from,
        to: this.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId: messageIdFor(alert, domain, this.name),
        ...replyHeaders(alert, domain, this.name),
        // Critical alerts are flagged for mail apps that sort or notify by importance.
        ...(alert.severity === "critical" ? { priority: "high" as const } : {}),
        headers: { "X-Sgwatch-Alert-Id": String(alert.id), "X-Sgwatch-Severity": alert.severity },
      })
      .catch((err: unknown) => {
        // Not attached as cause: the original quotes the server's answer unredacted.
        throw new Error(redact(errorMessage(err), { secrets: this.secrets() }));
      });
    if (!signal) {
      await sending;
      return;
    }
    // nodemailer cannot cancel a send; at shutdown it is stopped being awaited
    // (its connection ends by its own timeouts), and the alert stays pending.
    let onAbort = (): void => undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new Error("email not sent: sgwatch is stopping"));
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    });
    sending.catch(() => undefined);
    try {
      await Promise.race([sending, aborted]);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** What the server could echo back: the password, and the base64 forms AUTH sends it in. */
  private secrets(): string[] {
    const pass = this.password ?? "";
    if (pass === "") return [];
    const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");
    return [pass, b64(pass), b64(`\u0000${this.config.user ?? ""}\u0000${pass}`)];
  }

  async close(): Promise<void> {
    this.transport?.close();
    this.transport = null;
  }
}
