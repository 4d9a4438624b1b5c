// Reads what the SMTP sink received, parsed by mailparser as a mail client would.
import { simpleParser, type ParsedMail } from "mailparser";
import type { MailSink } from "../../src/demo/mail-sink.js";

/** Every message received so far, parsed. */
export function parseMessages(sink: MailSink): Promise<ParsedMail[]> {
  return Promise.all(sink.messages.map((m) => simpleParser(m.raw)));
}

/** Wait until the sink holds at least `n` messages, then parse them all. */
export async function waitForMessages(sink: MailSink, n: number, timeoutMs = 5_000): Promise<ParsedMail[]> {
  const deadline = Date.now() + timeoutMs;
  while (sink.messages.length < n) {
    if (Date.now() > deadline) throw new Error(`expected ${n} messages, the sink has ${sink.messages.length} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return parseMessages(sink);
}
