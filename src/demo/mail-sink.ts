// An SMTP server on loopback that keeps every message it receives: the demo
// saves them as .eml files, tests read them. It can be told to refuse mail,
// to play an SMTP outage.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { SMTPServer } from "smtp-server";

/** A received message. */
export interface SinkMessage {
  /** Envelope sender. */
  from: string;
  /** Envelope recipients. */
  to: string[];
  /** The raw RFC 5322 message. */
  raw: Buffer;
}

/** A running sink. */
export interface MailSink {
  readonly port: number;
  readonly messages: SinkMessage[];
  /** While true, every message is refused with a temporary error (451). */
  failing: boolean;
  close(): Promise<void>;
}

/** Options of startMailSink. */
export interface MailSinkOptions {
  /** Save each message here as NNN.eml. */
  dir?: string;
  /** Port (0 = free). */
  port?: number;
  /** Accept this user/password (AUTH PLAIN/LOGIN); any when unset. */
  auth?: { user: string; pass: string };
}

export async function startMailSink(opts: MailSinkOptions = {}): Promise<MailSink> {
  if (opts.dir) mkdirSync(opts.dir, { recursive: true });
  const messages: SinkMessage[] = [];
  const state = { failing: false };
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ["STARTTLS"],
    authOptional: opts.auth === undefined,
    // Loopback only: tests exercise AUTH without setting up TLS.
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, cb) {
      if (!opts.auth || (auth.username === opts.auth.user && auth.password === opts.auth.pass)) cb(null, { user: auth.username });
      else cb(new Error("Invalid username or password"));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        if (state.failing) {
          const err = new Error("mailbox temporarily unavailable") as Error & { responseCode: number };
          err.responseCode = 451;
          return cb(err);
        }
        const msg: SinkMessage = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
        };
        messages.push(msg);
        if (opts.dir) writeFileSync(path.join(opts.dir, `${String(messages.length).padStart(3, "0")}.eml`), msg.raw);
        cb();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  const address = server.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    port,
    messages,
    get failing() {
      return state.failing;
    },
    set failing(v: boolean) {
      state.failing = v;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
