// Reminders for many open incidents at once: each is a reply in its own
// thread while few are due on a channel, and one digest for them all when
// more are due than alerts.reminderDigestAbove (a team that let dozens of
// incidents sit gets one mail a remindEvery, not dozens). The log channel
// keeps one line per incident. Real parts: the simulator over HTTP with the
// real SDK, App in-process on a fake clock, a real SQLite file and the SMTP
// sink, whose mail is parsed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthorizeSecurityGroupIngressCommand, RevokeSecurityGroupIngressCommand, type IpPermission } from "@aws-sdk/client-ec2";
import type { ParsedMail } from "mailparser";
import { startAppWorld, type AppWorld } from "../support/app-world.js";
import { INTRUDER } from "../support/sim-harness.js";

const MIN = 60_000;
const HOUR = 60 * MIN;

const worldOpen = (port: number): IpPermission => ({ IpProtocol: "tcp", FromPort: port, ToPort: port, IpRanges: [{ CidrIp: "0.0.0.0/0" }] });

describe("reminders when many incidents are open", () => {
  let w: AppWorld;
  let opened: Array<{ groupId: string; port: number }>;
  let ids: number[];
  let drift: ParsedMail[];

  const reminderRows = (channel: string, createdAt: string): Array<{ payload: string }> =>
    w.reader.prepare("SELECT payload FROM outbox WHERE kind = 'reminder' AND channel = ? AND created_at = ? ORDER BY id").all(channel, createdAt) as Array<{ payload: string }>;

  beforeAll(async () => {
    w = await startAppWorld({ extra: { alerts: { remindEvery: "1h", reminderDigestAbove: 2 } } });
    await w.poll(); // baseline, 10:00
    const g = w.harness.demo.groups;
    // Four critical incidents, each found by its own poll: four drift alerts, four threads.
    opened = [
      { groupId: g.bastion, port: 22 },
      { groupId: g.web, port: 3389 },
      { groupId: g.app, port: 22 },
      { groupId: g.db, port: 3389 },
    ];
    for (const o of opened) {
      await w.harness.client(INTRUDER).send(new AuthorizeSecurityGroupIngressCommand({ GroupId: o.groupId, IpPermissions: [worldOpen(o.port)] }));
      w.clock.advance(5 * MIN);
      await w.poll();
    }
    ids = opened.map((o) => w.changes().find((c) => c.group_id === o.groupId)!.id);
    drift = await w.newMails();
    expect(drift.map((m) => m.subject)).toEqual(opened.map(() => expect.stringMatching(/^\[sgwatch\] CRITICAL /)));
  });

  afterAll(async () => {
    await w?.close();
  });

  it("sends one digest, in no thread, when more incidents are due on the channel than reminderDigestAbove", async () => {
    w.clock.advance(HOUR); // 11:20: all four are due
    await w.poll();
    const mails = await w.newMails();
    expect(mails.map((m) => m.subject)).toEqual(["[sgwatch] REMINDER CRITICAL: 4 unapproved changes still open (not acknowledged, not reverted)"]);
    const [digest] = mails;
    expect(digest?.inReplyTo).toBeUndefined();
    const text = digest?.text ?? "";
    expect(text).toContain("4 incidents are due for a reminder on this channel, more than 2 (alerts.reminderDigestAbove), so they come in this one mail");
    for (const id of ids) expect(text).toContain(`#${id} `);
    expect(text).toContain(`sgwatch ack ${[...ids].sort((a, b) => a - b).join(" ")} `);
    // The log keeps a line per incident, each in its thread.
    const logged = reminderRows("log", w.clock.iso()).map((r) => JSON.parse(r.payload) as { thread?: { pollId: number }; digest?: unknown });
    expect(logged).toHaveLength(4);
    expect(new Set(logged.map((p) => p.thread?.pollId)).size).toBe(4);
    expect(logged.every((p) => p.digest === undefined)).toBe(true);
  });

  it("keeps the receipt of the channel's last delivered digest only", async () => {
    w.clock.advance(HOUR); // 12:20: due again
    await w.poll();
    expect((await w.newMails()).map((m) => m.subject)).toEqual(["[sgwatch] REMINDER CRITICAL: 4 unapproved changes still open (not acknowledged, not reverted)"]);
    const second = w.clock.iso();
    // Receipts are pruned at the next follow-up, once the later digest is delivered.
    w.clock.advance(5 * MIN);
    await w.poll();
    expect(await w.newMails()).toEqual([]);
    const receipts = w.reader.prepare("SELECT created_at FROM outbox WHERE kind = 'reminder' AND channel = 'email' AND status = 'sent'").all();
    expect(receipts).toEqual([{ created_at: second }]);
  });

  it("goes back to a reply in each incident's thread once no more are due than reminderDigestAbove", async () => {
    // Two incidents closed by reverting them: two remain open.
    for (const o of opened.slice(0, 2)) {
      await w.harness.client(INTRUDER).send(new RevokeSecurityGroupIngressCommand({ GroupId: o.groupId, IpPermissions: [worldOpen(o.port)] }));
    }
    w.clock.advance(HOUR - 5 * MIN); // 13:20
    await w.poll();
    const mails = await w.newMails();
    // Every mail is a reply in its incident's thread: "closed" in the first two, a reminder in the other two.
    expect(mails.map((m) => m.subject).sort()).toEqual(drift.map((m) => `Re: ${m.subject}`).sort());
    const replyTo = (m: ParsedMail): number => drift.findIndex((d) => d.messageId === m.inReplyTo);
    const reminders = mails.filter((m) => m.text?.startsWith("These unapproved changes are still in effect"));
    expect(reminders.map(replyTo).sort()).toEqual([2, 3]);
    for (const r of reminders) expect(r.text).not.toContain("alerts.reminderDigestAbove");
    expect(reminders.map((r) => (r.text ?? "").match(/#(\d+) /)?.[1]).sort()).toEqual([String(ids[2]), String(ids[3])].sort());
  });
});
