// Proves alert routes end to end: changes made through the real AWS SDK on the
// simulator over HTTP, a daemon cycle, delivery through a real SMTP server,
// and the parsed mails' recipients and headers. A change on a group tagged
// team=payments reaches payments' address and the catch-all route, and nobody
// else; with `routing: first` a change stops at the first matching route, and
// what no route takes goes to the default list (alerts.email.to). A
// routing bug that sends a team's changes to everyone, or nowhere, fails here.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthorizeSecurityGroupIngressCommand, CreateTagsCommand, RevokeSecurityGroupIngressCommand, type IpPermission } from "@aws-sdk/client-ec2";
import type { AddressObject, ParsedMail } from "mailparser";
import { startAppWorld, type AppWorld } from "../support/app-world.js";
import { ENGINEER, INTRUDER } from "../support/sim-harness.js";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.js";

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

describe("a route with a batch window", () => {
  let w: AppWorld;

  beforeAll(async () => {
    w = await startAppWorld({
      extra: { alerts: { routes: [{ name: "payments", match: { tags: { team: "payments" } }, email: ["payments@test.example"], batch: "2m" }] } },
    });
    await tagDbForPayments(w);
    await w.poll(); // baseline, 10:00
  });

  afterAll(async () => {
    await w?.close();
  });

  it("collects the route's alerts of several polls into one mail at the end of the window; other routes are not held", async () => {
    const g = w.harness.demo.groups;
    await authorize(w, g.db, tcpFrom(5432, "0.0.0.0/0"));
    await authorize(w, g.web, tcpFrom(8080, "10.0.0.0/8")); // no route: the default, at once
    w.clock.advance(MIN); // 10:01
    await w.poll();
    expect(deliveries(await w.newMails())).toEqual([{ to: "ops@test.example", subject: "[sgwatch] MEDIUM web: tcp/8080 opened to 10.0.0.0/8" }]);

    await authorize(w, g.db, tcpFrom(6432, "10.0.0.0/8"));
    w.clock.advance(MIN); // 10:02: inside the window opened at 10:01
    await w.poll();
    expect(await w.newMails()).toEqual([]);

    w.clock.advance(MIN); // 10:03: the window has ended
    await w.poll();
    const mails = await w.newMails();
    expect(deliveries(mails)).toEqual([{ to: "payments@test.example", subject: "[sgwatch] unapproved security-group changes batched for route payments from 2026-03-02 10:01:00 UTC" }]);
    const text = mails[0]?.text ?? "";
    expect(text).toMatch(/^2 unapproved changes from 2 polls, collected by route payments\./);
    expect(text).toContain("added TCP 5432 from 0.0.0.0/0");
    expect(text).toContain("added TCP 6432 from 10.0.0.0/8");
    expect(text).not.toContain("8080");
    const raw = Object.fromEntries((mails[0]?.headerLines ?? []).map((h) => [h.key, h.line]));
    expect(raw.importance).toBe("Importance: High"); // it holds a critical change
  });

  it("replies to the digest's thread when a batched change is undone", async () => {
    const [digest] = await parseAll(w);
    await w.harness.client(INTRUDER).send(new RevokeSecurityGroupIngressCommand({ GroupId: w.harness.demo.groups.db, IpPermissions: [tcpFrom(5432, "0.0.0.0/0")] }));
    w.clock.advance(5 * MIN);
    await w.poll();
    const mails = await w.newMails();
    expect(deliveries(mails)).toEqual([{ to: "payments@test.example", subject: `Re: ${digest?.subject}` }]);
    expect(mails[0]?.inReplyTo).toBe(digest?.messageId);
    expect(mails[0]?.text).toMatch(/^Closed after 7 min:/) // seen 10:01, undone by 10:08;
  });
});

/** Every mail the world's sink holds, to payments, oldest first. */
async function parseAll(w: AppWorld): Promise<ParsedMail[]> {
  const { parseMessages } = await import("../support/mailbox.js");
  return (await parseMessages(w.sink)).filter((m) => deliveries([m]).some((d) => d.to === "payments@test.example"));
}

describe("a route with its own webhook", () => {
  let w: AppWorld;
  let hook: WebhookReceiver;

  beforeAll(async () => {
    hook = await startWebhookReceiver();
    w = await startAppWorld({
      extra: { alerts: { routes: [{ name: "payments", match: { tags: { team: "payments" } }, webhook: { url: `${hook.url}/payments-hook` } }] } },
    });
    await tagDbForPayments(w);
    await w.poll(); // baseline, 10:00
  });

  afterAll(async () => {
    await w?.close();
    await hook?.close();
  });

  it("posts the route's changes to the route's URL only, and the rest to the default list", async () => {
    await authorize(w, w.harness.demo.groups.db, tcpFrom(5432, "0.0.0.0/0"));
    await authorize(w, w.harness.demo.groups.web, tcpFrom(8080, "10.0.0.0/8"));
    w.clock.advance(5 * MIN);
    await w.poll();
    expect(hook.requests.map((r) => r.path)).toEqual(["/payments-hook"]);
    const body = JSON.parse(hook.requests[0]!.body) as { type: string; severity: string; payload: { changes: Array<{ groupName: string }> } };
    expect(body).toMatchObject({ type: "drift", severity: "critical" });
    expect(body.payload.changes.map((c) => c.groupName)).toEqual(["db"]);
    expect(deliveries(await w.newMails())).toEqual([{ to: "ops@test.example", subject: "[sgwatch] MEDIUM web: tcp/8080 opened to 10.0.0.0/8" }]);
  });
});
