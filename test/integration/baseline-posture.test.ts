// Proves issue 12 section 2 (posture from the first poll) through real parts:
// the simulator's demo account over HTTP with the real AWS SDK, App writing a
// real SQLite file, the SMTP mail sink parsed by mailparser, the log channel.
// - the baseline poll alerts on no change, but sends exactly one posture mail
//   for the target: a guardrail violation with its revoke command, the web
//   tier open to the world on its public load balancer; the log has one line
//   per finding; the next poll sends nothing more;
// - an account with nothing wrong gets no posture mail at all;
// - alerts.baselinePosture: false sends none.
import { afterEach, describe, expect, it } from "vitest";
import { AuthorizeSecurityGroupIngressCommand, RevokeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import { startAppWorld, type AppWorld } from "../support/app-world.js";
import { ENGINEER } from "../support/sim-harness.js";

const SLOW = 120_000;
const GUARDRAILS = [{ id: "no-world-ssh", reason: "SSH is never open to the internet", forbid: [{ protocol: "tcp", ports: 22, source: "world" }] }];

describe("posture at the baseline poll", { timeout: SLOW }, () => {
  let w: AppWorld | undefined;
  afterEach(async () => {
    await w?.close();
    w = undefined;
  });

  it("sends exactly one posture mail for the demo account, naming the guardrail violation with its revoke command", async () => {
    w = await startAppWorld({ extra: { guardrails: GUARDRAILS, alerts: { baselinePosture: true } } });
    const { bastion, web } = w.harness.demo.groups;
    // Already wrong before sgwatch ever looked: SSH from the world on the public bastion.
    await w.harness.client(ENGINEER).send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId: bastion, IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }),
    );
    const r = await w.poll();
    expect(r.targets[0]?.baseline).toBe(true);
    expect(w.changes()).toEqual([]); // history, not news

    const mails = await w.newMails();
    expect(mails).toHaveLength(1);
    const m = mails[0];
    expect(m?.subject).toMatch(/^\[sgwatch\] CRITICAL posture: \d+ rules need attention in \d{12} us-east-1$/);
    const text = m?.text ?? "";
    // The guardrail violation leads, with the exact command that removes it.
    const first = text.split("\n\n")[1] ?? "";
    expect(first).toContain(bastion);
    expect(first).toContain("guardrail no-world-ssh: SSH is never open to the internet");
    expect(first).toContain(`aws ec2 revoke-security-group-ingress --region us-east-1 --group-id ${bastion}`);
    expect(first).toContain("1 with a public IP");
    // The web tier: open to the world on a group a public load balancer uses.
    expect(text).toContain(`${web} (web)`);
    expect(text).toContain("open to the internet on a group with a public interface");
    expect(typeof m?.html === "string" ? m.html : "").toContain("no-world-ssh");

    const lines = w.log.lines().filter((l) => l.event === "posture");
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines[0]).toMatchObject({ severity: "critical", groupId: bastion, guardrailId: "no-world-ssh" });

    // Sent once: the next poll finds nothing changed and says nothing.
    w.clock.advance(5 * 60_000);
    await w.poll();
    expect(await w.newMails()).toEqual([]);
  });

  it("sends nothing when nothing is wrong", async () => {
    w = await startAppWorld({ extra: { guardrails: GUARDRAILS, alerts: { baselinePosture: true } } });
    const web = w.harness.demo.groups.web;
    // Take the web tier off the internet before the baseline: the account is clean.
    await w.harness.client(ENGINEER).send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: web,
        IpPermissions: [
          { IpProtocol: "tcp", FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: "0.0.0.0/0" }], Ipv6Ranges: [{ CidrIpv6: "::/0" }] },
          { IpProtocol: "tcp", FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: "0.0.0.0/0" }] },
          { IpProtocol: "icmp", FromPort: 3, ToPort: 4, IpRanges: [{ CidrIp: "0.0.0.0/0" }] },
        ],
      }),
    );
    const r = await w.poll();
    expect(r.targets[0]?.baseline).toBe(true);
    expect(await w.newMails()).toEqual([]);
    expect(w.log.lines().filter((l) => l.event === "posture")).toEqual([]);
  });

  it("sends nothing when alerts.baselinePosture is false", async () => {
    // Said here, not left to the test config's default: the demo account has findings, so on it would mail.
    w = await startAppWorld({ extra: { guardrails: GUARDRAILS, alerts: { baselinePosture: false } } });
    await w.poll();
    expect(w.log.lines().filter((l) => l.event === "posture")).toEqual([]);
    expect(await w.newMails()).toEqual([]);
  });
});
