// sgwatch test-email [--route NAME]: send a sample alert through the
// configured SMTP server, to the default list or to one route's recipients,
// so the mail path is proven before it is needed.
import type { Command } from "commander";
import { readConfig, type CliContext } from "../context.js";
import { sampleDriftAlert } from "../../alerts/sample.js";
import { UserError, errorMessage, EXIT } from "../../util/errors.js";
import { oneLine } from "../../util/printable.js";

export function registerTestEmail(program: Command, ctx: CliContext): void {
  program
    .command("test-email")
    .description("send a sample alert email through the configured SMTP server (to the default list, or to one route's recipients)")
    .option("--route <name>", "send to the recipients of this route (alerts.routes[].name)")
    .action(async (opts: { route?: string }) => {
      // Loaded when needed: the AWS SDK and friends cost a second at start-up for every other command.
      const { emailChannelFor } = await import("../../alerts/channels/registry.js");
      const config = readConfig(ctx);
      const email = config.alerts.email;
      if (!email?.enabled) throw new UserError("alerts.email is not configured (or not enabled) in the config");
      const route = opts.route === undefined ? undefined : config.alerts.routes.find((r) => r.name === opts.route);
      if (opts.route !== undefined && route === undefined) {
        const names = config.alerts.routes.map((r) => r.name);
        throw new UserError(`--route: no route named "${oneLine(opts.route, 64)}"; ${names.length ? `the routes are: ${names.join(", ")}` : "the config has no alerts.routes"}`);
      }
      if (route && !route.email) throw new UserError(`--route: route "${route.name}" has no email recipients (only a webhook)`);
      const channel = emailChannelFor(config, ctx.env, route);
      const to = route?.email ?? email.to;
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
      ctx.out.write(`sample alert sent to ${to.join(", ")}${route ? ` (route ${route.name})` : ""} via ${email.host}:${email.port}\n`);
    });
}
