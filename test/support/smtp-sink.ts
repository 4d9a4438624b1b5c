// An SMTP server on loopback for crash tests: it can be slow (each message
// held before the 250 reply, so a dispatch is long enough to be killed in the
// middle) or failing (451 for every message), and it records the headers that
// identify an alert. A message counts as received when the server accepts it,
// even if the client died before reading the reply — exactly the case where a
// resend after a crash delivers the same alert twice.
import { SMTPServer } from "smtp-server";

/** One accepted message. */
export interface AcceptedMessage {
  /** X-Sgwatch-Alert-Id: the outbox row. */
  alertId: number | null;
  /** Message-ID header, stable per alert. */
  messageId: string | null;
  raw: string;
}

/** How the sink answers. */
export type SinkMode = { kind: "ok" } | { kind: "slow"; delayMs: number } | { kind: "failing" };

export interface SmtpSink {
  readonly port: number;
  readonly accepted: AcceptedMessage[];
  /** Messages refused (failing mode). */
  readonly refused: number;
  /** Messages received and held (slow mode), not yet answered. */
  readonly inFlight: number;
  mode: SinkMode;
  close(): Promise<void>;
}

function header(raw: string, name: string): string | null {
  const head = raw.split(/\r?\n\r?\n/, 1)[0] ?? "";
  const m = new RegExp(`^${name}:[ \\t]*(.*)$`, "im").exec(head);
  return m ? (m[1] ?? "").trim() : null;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const accepted: AcceptedMessage[] = [];
  const state = { refused: 0, inFlight: 0, mode: { kind: "ok" } as SinkMode };
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ["STARTTLS"],
    authOptional: true,
    logger: false,
    onData(stream, _session, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const mode = state.mode;
        if (mode.kind === "failing") {
          state.refused++;
          const err = new Error("mailbox temporarily unavailable") as Error & { responseCode: number };
          err.responseCode = 451;
          cb(err);
          return;
        }
        const raw = Buffer.concat(chunks).toString("utf8");
        const id = header(raw, "X-Sgwatch-Alert-Id");
        const accept = (): void => {
          accepted.push({ alertId: id === null ? null : Number(id), messageId: header(raw, "Message-ID"), raw });
          cb();
        };
        if (mode.kind === "slow") {
          state.inFlight++;
          setTimeout(() => {
            state.inFlight--;
            accept();
          }, mode.delayMs);
        } else accept();
      });
    },
  });
  // A client killed mid-conversation resets the socket; that is expected here.
  server.on("error", () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    port,
    accepted,
    get refused() {
      return state.refused;
    },
    get inFlight() {
      return state.inFlight;
    },
    get mode() {
      return state.mode;
    },
    set mode(m: SinkMode) {
      state.mode = m;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
      }),
  };
}
