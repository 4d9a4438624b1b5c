// The container test's mail server on the host: a real SMTP server
// (smtp-server) that requires AUTH with the password in
// $SGWATCH_SMTP_PASSWORD, so a message arrives only when the container got
// its secret from the environment. It listens on the address given (the
// bridge network's gateway, which both the host-network container and the
// compose container reach), saves each message as NNN.eml in DIR, prints
// {"port":N} once listening, and runs until SIGTERM.
//
// usage: SGWATCH_SMTP_PASSWORD=… node test/container/host/mail-sink.mjs DIR USER HOST
import { writeFileSync } from "node:fs";
import path from "node:path";
import { SMTPServer } from "smtp-server";

const [dir, user, host] = process.argv.slice(2);
const pass = process.env.SGWATCH_SMTP_PASSWORD;
if (!dir || !user || !host || !pass) {
  process.stderr.write("usage: SGWATCH_SMTP_PASSWORD=… node mail-sink.mjs DIR USER HOST\n");
  process.exit(2);
}
let received = 0;
const server = new SMTPServer({
  secure: false,
  disabledCommands: ["STARTTLS"],
  // No TLS in the test: AUTH over plain SMTP, on a test-only address.
  allowInsecureAuth: true,
  logger: false,
  onAuth(auth, _session, cb) {
    if (auth.username === user && auth.password === pass) cb(null, { user });
    else cb(new Error("Invalid username or password"));
  },
  onData(stream, _session, cb) {
    const chunks = [];
    stream.on("data", (c) => chunks.push(c));
    stream.on("end", () => {
      received++;
      writeFileSync(path.join(dir, `${String(received).padStart(3, "0")}.eml`), Buffer.concat(chunks));
      cb();
    });
  },
});
server.on("error", (err) => process.stderr.write(`mail-sink: ${err.message}\n`));
server.listen(0, host, () => {
  process.stdout.write(JSON.stringify({ port: server.server.address().port }) + "\n");
});
const stop = () => server.close(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
