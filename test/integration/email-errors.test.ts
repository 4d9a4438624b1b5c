// Proves that the email channel's errors carry no secret (issue 10, section 2):
// a real SMTP server (smtp-server, in-process) that rejects the login and
// echoes what it was sent — the password and the base64 forms AUTH PLAIN and
// AUTH LOGIN carry it in — makes send() throw with the server's answer, the
// password in every form replaced by [redacted]. That message is what the
// dispatcher stores in outbox.last_error and logs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SMTPServer } from "smtp-server";
import type { AddressInfo } from "node:net";
import { EmailChannel } from "../../src/alerts/channels/email.js";
import { sampleDriftAlert } from "../../src/alerts/sample.js";
import type { EmailConfig } from "../../src/config/schema.js";

const USER = "sgwatch";
const PASSWORD = "smtp-echo-Pa55-9d1e";
const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");

describe("email channel errors", () => {
  let server: SMTPServer;
  let port = 0;

  beforeAll(async () => {
    server = new SMTPServer({
      secure: false,
      disabledCommands: ["STARTTLS"],
      allowInsecureAuth: true,
      logger: false,
      // A careless server: its rejection quotes everything it received.
      onAuth(auth, _session, cb) {
        cb(new Error(`rejected ${auth.username} / ${auth.password} (plain ${b64(`\u0000${auth.username}\u0000${auth.password ?? ""}`)}, login ${b64(auth.password ?? "")})`));
      },
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("a server echoing the password in its rejection: the error keeps the answer, not the password in any form", async () => {
    const config: EmailConfig = {
      enabled: true,
      host: "127.0.0.1",
      port,
      secure: false,
      requireTLS: false,
      user: USER,
      passwordEnv: "SMTP_PW",
      from: "sgwatch@test.example",
      to: ["ops@test.example"],
      minSeverity: "low",
    };
    const channel = new EmailChannel(config, PASSWORD);
    const payload = sampleDriftAlert(new Date("2026-03-02T10:05:00Z"), { account: "111111111111", region: "eu-west-1", label: null });
    const err = await channel.send({ id: 1, createdAt: "2026-03-02T10:05:01.000Z", severity: "critical", attempts: 0, payload }).then(
      () => null,
      (e: unknown) => e,
    );
    await channel.close();
    expect(err).toBeInstanceOf(Error);
    const message = (err as Error).message;
    expect(message).toContain(`rejected ${USER} / [redacted]`);
    for (const secret of [PASSWORD, b64(PASSWORD), b64(`\u0000${USER}\u0000${PASSWORD}`)]) expect(message).not.toContain(secret);
    expect(JSON.stringify(err, Object.getOwnPropertyNames(err))).not.toContain(PASSWORD);
  });
});
