// sgwatch test-email: send a sample alert through the configured SMTP server,
// so the mail path is proven before it is needed.
import type { Command } from "commander";
import { readConfig, type CliContext } from "../context.js";
import { sampleDriftAlert } from "../../alerts/sample.js";
import { UserError, errorMessage, EXIT } from "../../util/errors.js";

export function registerTestEmail(program: Command, ctx: CliContext): void {
  program
    .command("test-email")
    .description("send a sample alert email through the configured SMTP server")
    .action(async () => {
      // Loaded when needed: the AWS SDK and friends cost a second at start-up for every other command.
      const { EmailChannel } = await import("../../alerts/channels/email.js");
      const config = readConfig(ctx);
      const email = config.alerts.email;
      if (!email?.enabled) throw new UserError("alerts.email is not configured (or not enabled) in the config");
      const password = email.passwordEnv ? ctx.env[email.passwordEnv] : undefined;
      if (email.user && email.passwordEnv && password === undefined) throw new UserError(`alerts.email.passwordEnv names ${email.passwordEnv}, but it is not set`);
      const channel = new EmailChannel(email, password);
      const first = config.targets[0];
      const payload = sampleDriftAlert(new Date(), {
        account: first?.accounts[0]?.account ?? "000000000000",
        region: first && first.regions !== "all" ? (first.regions[0] ?? "us-east-1") : "us-east-1",
        label: first?.label ?? null,
      });
      try {
        await channel.send({ id: 0, createdAt: new Date().toISOString(), severity: "critical", attempts: 0, payload });
      } catch (err) {
        throw new UserError(`sending through ${email.host}:${email.port} failed: ${errorMessage(err)}`, EXIT.targetFailed);
      } finally {
        await channel.close();
      }
      ctx.out.write(`sample alert sent to ${email.to.join(", ")} via ${email.host}:${email.port}\n`);
    });
}
