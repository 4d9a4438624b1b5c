// Proves issue 6's attribution end to end through the daemon's own wiring:
// two different callers change groups in the simulator; one App cycle (target
// configured with `attribution: cloudtrail`) detects the changes, looks them
// up in the simulator's CloudTrail, and the email that follows — parsed from
// a real SMTP server — names the right caller and source address for each.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthorizeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import { App } from "../../src/daemon/app.js";
import { startSimulator, type Simulator } from "../../src/sim/server.js";
import { seedDemoAccount, type DemoAccount } from "../../src/sim/seed-demo.js";
import { startMailSink, type MailSink } from "../../src/demo/mail-sink.js";
import { ec2As } from "../support/ec2-as.js";
import { ENGINEER, INTRUDER, MONITOR } from "../support/sim-harness.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { loadTestConfig, writeTestConfig } from "../support/config-file.js";
import { captureLog } from "../support/log-capture.js";
import { fakeClock, REFERENCE_INSTANT, type FakeClock } from "../support/fake-clock.js";
import { parseMessages } from "../support/mailbox.js";

const ALICE_IP = "198.51.100.23";
const BUILD_IP = "203.0.113.66";

describe("attribution in the alert email", () => {
  let tmp: TempDir;
  let sim: Simulator;
  let sink: MailSink;
  let demo: DemoAccount;
  let clock: FakeClock;
  let app: App;

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    tmp = makeTempDir();
    clock = fakeClock(REFERENCE_INSTANT);
    sim = await startSimulator({ clock: clock.clock, trustForwardedFor: true });
    demo = seedDemoAccount(sim.state, { region: "us-east-1" });
    sim.cloudtrail.mapIdentity(ENGINEER.accessKeyId, { userName: "alice" });
    sim.cloudtrail.mapIdentity(INTRUDER.accessKeyId, { type: "AssumedRole", roleName: "ci-deploy", userName: "build-4711" });
    sink = await startMailSink();
    const files = writeTestConfig({ dir: tmp.path, endpoint: sim.endpoint, smtpPort: sink.port });
    const raw = files.raw as { targets: Array<Record<string, unknown>> };
    (raw.targets[0] as Record<string, unknown>).attribution = "cloudtrail";
    const { writeFileSync } = await import("node:fs");
    const { stringify } = await import("yaml");
    writeFileSync(files.configPath, stringify(raw));
    app = new App({ config: loadTestConfig(files), logger: captureLog().logger, env: {}, clock: clock.clock, credentials: MONITOR });
    await app.cycle(); // baseline
  });

  afterAll(async () => {
    await app?.close();
    await sink?.close();
    await sim?.close();
    tmp?.remove();
  });

  it("names the right caller and source address for each change", async () => {
    const alice = ec2As(sim, ENGINEER, ALICE_IP, "aws-cli/2.15.0");
    const build = ec2As(sim, INTRUDER, BUILD_IP, "terraform/1.9.5");
    try {
      clock.advance(60_000);
      await alice.send(
        new AuthorizeSecurityGroupIngressCommand({ GroupId: demo.groups.app, IpPermissions: [{ IpProtocol: "tcp", FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: "10.0.0.0/8" }] }] }),
      );
      await build.send(
        new AuthorizeSecurityGroupIngressCommand({ GroupId: demo.groups.bastion, IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }),
      );
    } finally {
      alice.destroy();
      build.destroy();
    }
    clock.advance(4 * 60_000);
    const result = await app.cycle();
    expect(result.attribution).toMatchObject({ attributed: 2, pending: 0 });
    await app.dispatch();

    const mails = await parseMessages(sink);
    const drift = mails.find((m) => /unapproved security-group changes/.test(m.subject ?? ""));
    expect(drift, "the drift alert goes out at detection").toBeDefined();
    // The follow-up is a reply in the drift alert's thread.
    const who = mails.find((m) => m.inReplyTo === drift?.messageId);
    expect(who, "the attribution follow-up names the callers").toBeDefined();
    expect(who?.subject).toBe(`Re: ${drift?.subject}`);
    expect(who?.text).toMatch(/^CloudTrail now says who made these unapproved changes/);
    const text = who?.text ?? "";
    const sshLine = text.split("\n\n")[1]?.split("\n").slice(0, 2).join(" ") ?? "";
    // (The SDK puts its own user agent before the caller's custom one.)
    // Worst first: the bastion's SSH, made by the CI role from its address.
    expect(sshLine).toMatch(/TCP 22 from 0\.0\.0\.0\/0/);
    expect(sshLine).toMatch(/made by build-4711 \(arn:aws:sts::123456789012:assumed-role\/ci-deploy\/build-4711\) from 203\.0\.113\.66 with [^\n]*terraform\/1\.9\.5/);
    const httpsBlock = text.slice(text.indexOf("TCP 443 from 10.0.0.0/8"));
    expect(httpsBlock).toMatch(/made by alice \(arn:aws:iam::123456789012:user\/alice\) from 198\.51\.100\.23 with [^\n]*aws-cli\/2\.15\.0/);
    expect(httpsBlock.split("\n")[1]).not.toMatch(/build-4711/);
    expect(who?.html).toContain("from 203.0.113.66");
  });
});
