// The email channel: one message per alert (one alert per poll and target),
// over SMTP with nodemailer. The Message-ID is derived from the alert, so a
// resend after a crash is recognisably the same message.
// nodemailer is loaded on the first send: a daemon that never alerts need not hold it.
// Its errors quote the server's answer, which may echo what was sent (the
// password, or its base64 from AUTH PLAIN/LOGIN): they are redacted before
// they are thrown, so neither the log nor outbox.last_error can hold them.
import type { Transporter } from "nodemailer";
import type { AlertChannel } from "./channel.js";
import type { OutboxAlert } from "../payload.js";
import { renderEmail } from "../render/email.js";
import type { EmailConfig } from "../../config/schema.js";
import { errorMessage } from "../../util/errors.js";
import { redact } from "../../util/redact.js";

/** Stable Message-ID for an alert. */
export function messageIdFor(alert: OutboxAlert, host: string): string {
  return `<sgwatch.alert.${alert.id}.${alert.createdAt.replace(/[^0-9]/g, "")}@${host}>`;
}

export class EmailChannel implements AlertChannel {
  readonly name = "email";
  private transport: Transporter | null = null;

  constructor(
    private readonly config: EmailConfig,
    /** The SMTP password, read from the env var the config names. */
    private readonly password: string | undefined,
  ) {}

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
        to: this.config.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId: messageIdFor(alert, domain),
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
