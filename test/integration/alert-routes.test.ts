// Proves alert routes end to end: changes made through the real AWS SDK on the
// simulator over HTTP, a daemon cycle, delivery through a real SMTP server,
// and the parsed mails' recipients and headers. A change on a group tagged
// team=payments reaches payments' address and the catch-all route, and nobody
// else; with `routing: first` a change stops at the first matching route, and
// what no route takes goes to the default list (alerts.email.to). A
// routing bug that sends a team's changes to everyone, or nowhere, fails here.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthorizeSecurityGroupIngressCommand, CreateTagsCommand, type IpPermission } from "@aws-sdk/client-ec2";
import type { AddressObject, ParsedMail } from "mailparser";
import { startAppWorld, type AppWorld } from "../support/app-world.js";
import { ENGINEER, INTRUDER } from "../support/sim-harness.js";

const MIN = 60_000;

function tcpFrom(port: number, cidr: string): IpPermission {
  return { IpProtocol: "tcp", FromPort: port, ToPort: port, IpRanges: [{ CidrIp: cidr }] };
}

async function authorize(w: AppWorld, groupId: string, perm: IpPermission): Promise<void> {
  await w.harness.client(INTRUDER).send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [perm] }));
}

/** Each mail's recipients and subject, sorted by recipient, for exact comparison. */
function deliveries(mails: ParsedMail[]): Array<{ to: string; subject: string }> {
  return mails
    .flatMap((m) => [m.to as AddressObject | AddressObject[] | undefined].flat().flatMap((a) => a?.value ?? []).map((v) => ({ to: v.address ?? "", subject: m.subject ?? "" })))
    .sort((a, b) => a.to.localeCompare(b.to) || a.subject.localeCompare(b.subject));
}

/** Tag the demo's db group team=payments before the baseline (the seed tags it team=data). */
async function tagDbForPayments(w: AppWorld): Promise<void> {
  await w.harness.client(ENGINEER).send(new CreateTagsCommand({ Resources: [w.harness.demo.groups.db], Tags: [{ Key: "team", Value: "payments" }] }));
}

describe("routes with routing: all", () => {
  let w: AppWorld;

  beforeAll(async () => {
    w = await startAppWorld({
      extra: {
        alerts: {
          routing: "all",
          routes: [
            { name: "payments", match: { tags: { team: "payments" } }, email: ["payments@test.example"] },
            { name: "platform", match: { tags: { team: "platform" } }, email: ["platform@test.example"] },
            { name: "catch-all", email: ["security@test.example"] },
          ],
        },
      },
    });
    await tagDbForPayments(w);
    await w.poll(); // baseline, 10:00
    expect(await w.newMails()).toEqual([]);
  });

  afterAll(async () => {
    await w?.close();
  });

  it("sends a change on a group tagged team=payments to payments and the catch-all only", async () => {
    await authorize(w, w.harness.demo.groups.db, tcpFrom(5432, "0.0.0.0/0"));
    w.clock.advance(5 * MIN);
    await w.poll();
    const subject = "[sgwatch] CRITICAL db: tcp/5432 opened to the internet";
    expect(deliveries(await w.newMails())).toEqual([
      { to: "payments@test.example", subject },
      { to: "security@test.example", subject },
    ]);
    // The outbox says which route each alert went through.
    const channels = w.reader.prepare("SELECT channel FROM outbox WHERE kind = 'drift' ORDER BY channel").all();
    expect(channels).toEqual([{ channel: "email:catch-all" }, { channel: "email:payments" }, { channel: "log" }]);
  });

  it("splits one poll's changes by owner: each route gets only its groups' changes", async () => {
    const g = w.harness.demo.groups;
    await authorize(w, g.db, tcpFrom(6432, "10.0.0.0/8"));
    await authorize(w, g.bastion, tcpFrom(2222, "10.0.0.0/8"));
    w.clock.advance(5 * MIN);
    await w.poll();
    expect(deliveries(await w.newMails())).toEqual([
      { to: "payments@test.example", subject: "[sgwatch] MEDIUM db: tcp/6432 opened to 10.0.0.0/8" },
      { to: "platform@test.example", subject: "[sgwatch] MEDIUM bastion: tcp/2222 opened to 10.0.0.0/8" },
      { to: "security@test.example", subject: expect.stringMatching(/^\[sgwatch\] MEDIUM: 2 unapproved security-group changes in /) as unknown as string },
    ]);
  });
});

describe("routes with routing: first, a name pattern, and the default", () => {
  let w: AppWorld;

  beforeAll(async () => {
    w = await startAppWorld({
      extra: {
        alerts: {
          routing: "first",
          routes: [
            { name: "payments", match: { tags: { team: "payments" } }, email: ["payments@test.example"] },
            { name: "edge", match: { groupName: ["/^bast/", "web*"], minSeverity: "high" }, email: ["edge@test.example"] },
            { name: "critical", match: { minSeverity: "critical" }, email: ["security@test.example"] },
          ],
        },
      },
    });
    await tagDbForPayments(w);
    await w.poll(); // baseline, 10:00
  });

  afterAll(async () => {
    await w?.close();
  });

  it("stops at the first matching route", async () => {
    await authorize(w, w.harness.demo.groups.db, tcpFrom(5432, "0.0.0.0/0")); // payments, and critical: payments is first
    await authorize(w, w.harness.demo.groups.bastion, tcpFrom(22, "0.0.0.0/0")); // edge (regex), and critical: edge is first
    w.clock.advance(5 * MIN);
    await w.poll();
    expect(deliveries(await w.newMails())).toEqual([
      { to: "edge@test.example", subject: "[sgwatch] CRITICAL bastion: tcp/22 opened to the internet" },
      { to: "payments@test.example", subject: "[sgwatch] CRITICAL db: tcp/5432 opened to the internet" },
    ]);
  });

  it("sends what no route takes to the default list", async () => {
    await authorize(w, w.harness.demo.groups.web, tcpFrom(8080, "10.0.0.0/8")); // web* but medium: not edge; not critical
    await authorize(w, w.harness.demo.groups.app, tcpFrom(3389, "0.0.0.0/0")); // critical, no team route: the critical route
    w.clock.advance(5 * MIN);
    await w.poll();
    expect(deliveries(await w.newMails())).toEqual([
      { to: "ops@test.example", subject: "[sgwatch] MEDIUM web: tcp/8080 opened to 10.0.0.0/8" },
      { to: "security@test.example", subject: "[sgwatch] CRITICAL app: tcp/3389 opened to the internet" },
    ]);
  });
});
