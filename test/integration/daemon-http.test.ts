// Proves the daemon wiring of items 3 and 5: with `http` and `alerts.webhook`
// in the config, `runDaemon` serves /healthz and /metrics while it runs (the
// metrics counting its cycles), and drift reaches the webhook through the
// outbox. A key dropped between the schema, the registry and the daemon fails here.
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthorizeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import { runDaemon } from "../../src/daemon/daemon.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { startSimHarness, ENGINEER, MONITOR, type SimHarness } from "../support/sim-harness.js";
import { writeTestConfig, TEST_ACCOUNT } from "../support/config-file.js";
import { loadConfig } from "../../src/config/load.js";
import { captureLog } from "../support/log-capture.js";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.js";
import { parsePromText } from "../support/prom-text.js";
import type { SlackBody } from "../../src/alerts/channels/webhook.js";

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("daemon with http and a webhook", () => {
  let tmp: TempDir;
  let harness: SimHarness;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    tmp = makeTempDir();
    harness = await startSimHarness();
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await harness?.close();
    tmp?.remove();
  });

  it("serves /healthz and /metrics while running and delivers drift to the webhook", async () => {
    const port = await freePort();
    const files = writeTestConfig({
      dir: tmp.path,
      endpoint: harness.endpoint,
      extra: {
        schedule: "* * * * * *",
        http: { port },
        alerts: { log: { minSeverity: "low" }, webhook: { url: `${receiver.url}/hook`, format: "slack", headersFromEnv: { Authorization: "HOOK_TOKEN" }, timeout: "5s" } },
      },
    });
    const env = { HOOK_TOKEN: "Bearer t0ken" };
    const config = loadConfig(files.configPath, env);
    const log = captureLog();
    const seen: Array<{ n: number; health: number; metrics: string }> = [];
    const code = await runDaemon({
      config,
      logger: log.logger,
      env,
      configPath: files.configPath,
      credentials: MONITOR,
      maxCycles: 2,
      afterCycle: async (n) => {
        const health = (await fetch(`http://127.0.0.1:${port}/healthz`)).status;
        const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        seen.push({ n, health, metrics });
        if (n === 1) {
          await harness.client(ENGINEER).send(
            new AuthorizeSecurityGroupIngressCommand({ GroupId: harness.demo.groups.bastion, IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }),
          );
        }
      },
    });
    expect(code).toBe(0);
    expect(seen.map((s) => s.health)).toEqual([200, 200]);
    const m1 = parsePromText(seen[0]!.metrics);
    expect(m1.value("sgwatch_polls_total", { account: TEST_ACCOUNT, region: "us-east-1" })).toBe(1);
    expect(m1.value("sgwatch_groups", { account: TEST_ACCOUNT, region: "us-east-1" })).toBeGreaterThan(0);
    const m2 = parsePromText(seen[1]!.metrics);
    expect(m2.value("sgwatch_polls_total", { account: TEST_ACCOUNT, region: "us-east-1" })).toBe(2);
    expect(m2.value("sgwatch_changes_total", { severity: "critical", status: "unapproved" })).toBe(1);
    expect(m2.value("sgwatch_alerts", { channel: "webhook", status: "sent" })).toBe(1);
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]!.headers.authorization).toBe("Bearer t0ken");
    expect((JSON.parse(receiver.requests[0]!.body) as SlackBody).text).toMatch(/^CRITICAL: 1 unapproved/);
    // The listener is closed with the daemon.
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    expect(JSON.stringify(log.lines())).not.toContain("t0ken");
  });
});
