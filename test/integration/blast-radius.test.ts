// Blast radius end to end, with real parts: the simulator over HTTP, the real
// SDK, App's cycle writing a real SQLite file, and a real SMTP server taking
// the mail. Run on both fetch paths (main thread, and aws.fetchThreads worker
// threads, which run dist/: `npm run build` first). It proves:
// - every poll reads DescribeNetworkInterfaces, and its attachments are
//   intervals ("what did this group expose at T" is one query);
// - a world-open sensitive port on a group with a public interface is
//   critical and the mail names the interface; on a group attached to
//   nothing it is high and the mail says "not reachable now";
// - a world-open group that a public interface starts using is an
//   exposure-added change, stored, judged and mailed;
// - current_groups counts interfaces; current_exposure lists the pairs; the
//   changes view and `sgwatch changes` name the interface of an
//   exposure-added change;
// - a broad source (0.0.0.0/1, a /6) counts like the world: not reachable on
//   an unattached group, an exposure when it goes public, listed by
//   current_exposure as broad, and said "broad" in the alert;
// - a failed or partial interface read fails the whole poll and changes
//   nothing, with the missing permission named;
// - a reminder of an exposure-added change still names the interface;
// - aws.interfacesEvery reads every Nth poll (0 never), and an alert judged on
//   an older read says when it was read;
// - the Slack webhook says it, and the generic payload carries it as data.
import { AuthorizeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import { existsSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startAppWorld, type AppWorld } from "../support/app-world.js";
import { INTRUDER } from "../support/sim-harness.js";
import { DEMO_BASTION_PUBLIC_IP } from "../../src/sim/seed-demo.js";
import { createInterface } from "../../src/sim/network-interfaces.js";
import { defaultWorkerUrl } from "../../src/aws/fetch-pool.js";
import { startWebhookReceiver } from "../support/webhook-receiver.js";
import { runCli } from "../support/cli.js";
import type { GenericWebhookBody, SlackBody } from "../../src/alerts/channels/webhook.js";

const FIVE_MIN = 5 * 60_000;
const ssh = { IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] };

describe.each([
  ["main thread", 0],
  ["fetch workers", 1],
])("blast radius (%s)", { timeout: 60_000 }, (_name, fetchThreads) => {
  let w: AppWorld;
  beforeEach(async () => {
    if (fetchThreads > 0) expect(existsSync(new URL(defaultWorkerUrl())), "dist/ is missing: run `npm run build` first").toBe(true);
    w = await startAppWorld({ extra: { aws: { maxAttempts: 1, timeout: "5s", fetchThreads } } });
  });
  afterEach(async () => {
    await w?.close();
  });

  const poll = async (): Promise<void> => {
    w.clock.advance(FIVE_MIN);
    const r = await w.poll();
    expect(r.targets.map((t) => t.error)).toEqual([null]);
  };
  const admin = async (body: unknown): Promise<string> => {
    const res = await fetch(`${w.harness.endpoint}/__sim/network-interfaces`, { method: "POST", body: JSON.stringify(body) });
    expect(res.status).toBe(201);
    return ((await res.json()) as { interfaceId: string }).interfaceId;
  };

  it("says what each exposed group is attached to, ranks by it, and alerts when a public interface starts using a world-open group", async () => {
    const d = w.harness.demo;
    await poll(); // baseline
    const groups = w.reader.prepare("SELECT name, interfaces, public_interfaces FROM current_groups ORDER BY name").all();
    expect(groups).toEqual([
      { name: "app", interfaces: 1, public_interfaces: 0 },
      { name: "bastion", interfaces: 1, public_interfaces: 1 },
      { name: "db", interfaces: 1, public_interfaces: 0 },
      { name: "default", interfaces: 0, public_interfaces: 0 },
      { name: "web", interfaces: 1, public_interfaces: 1 },
    ]);
    await w.newMails();

    // A stolen key opens SSH to the world on the public bastion, on db (a private RDS interface) and on default, which nothing uses.
    const intruder = w.harness.client(INTRUDER);
    await intruder.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: d.groups.bastion, IpPermissions: [ssh] }));
    await intruder.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: d.groups.db, IpPermissions: [ssh] }));
    await intruder.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: d.groups.default, IpPermissions: [ssh] }));
    await poll();
    const opened = w.changes().filter((c) => c.kind === "rule-added");
    expect(opened.map((c) => [c.group_name, c.severity])).toEqual(
      expect.arrayContaining([
        ["bastion", "critical"],
        ["db", "critical"],
        ["default", "high"],
      ]),
    );
    const [mail] = await w.newMails();
    const text = mail?.text ?? "";
    expect(text).toContain(`bastion (${d.groups.bastion}) is attached to 1 network interface, 1 with a public IP (${d.interfaces.bastionInstance}, ${DEMO_BASTION_PUBLIC_IP})`);
    expect(text).toContain(`db (${d.groups.db}) is attached to 1 network interface, none with a public IP`);
    expect(text).toContain(`default (${d.groups.default}) is attached to nothing — not reachable now`);
    expect(mail?.html).toContain(`${d.interfaces.bastionInstance}, ${DEMO_BASTION_PUBLIC_IP}`);
    const logged = w.log.lines().filter((l) => l.event === "drift" && l.groupId === d.groups.default);
    expect(logged[0]).toMatchObject({ interfaces: 0, notReachable: true, blastRadius: `default (${d.groups.default}) is attached to nothing — not reachable now` });

    // default now goes on an instance with a public address: nothing about its rules changed, but it is reachable.
    const before = w.clock.now().toISOString();
    const eni = await admin({ kind: "instance", groupIds: [d.groups.default], instanceId: "i-0db0000000000beef", publicIp: "198.51.100.50" });
    await poll();
    const exposure = w.reader.prepare("SELECT kind, group_name, severity, status, interface_id, instance_id, public_ip, from_port, source FROM change_events WHERE kind = 'exposure-added'").all();
    expect(exposure).toEqual([
      { kind: "exposure-added", group_name: "default", severity: "critical", status: "unapproved", interface_id: eni, instance_id: "i-0db0000000000beef", public_ip: "198.51.100.50", from_port: 22, source: "0.0.0.0/0" },
    ]);
    // The changes view shows what got exposed: which interface, its kind, instance and public address.
    const viewRow = w.reader.prepare("SELECT ports, source, interface_id, interface_kind, instance_id, public_ip FROM changes WHERE kind = 'exposure-added'").get();
    expect(viewRow).toEqual({ ports: "22", source: "0.0.0.0/0", interface_id: eni, interface_kind: "instance", instance_id: "i-0db0000000000beef", public_ip: "198.51.100.50" });
    // `sgwatch changes` (the CLI, a child process) says it in the rule column.
    const cli = await runCli(["--config", w.files.configPath, "changes", "--since", "2026-03-01T00:00:00Z", "--group", "default"]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toContain(`ingress tcp 22 from 0.0.0.0/0 via i-0db0000000000beef, ${eni} (instance), 198.51.100.50`);
    const [exposed] = await w.newMails();
    expect(exposed?.subject).toBe("[sgwatch] CRITICAL default: tcp/22 from the internet now reachable on a public interface");
    expect(exposed?.text).toContain("now reachable from the internet through i-0db0000000000beef, 198.51.100.50: TCP 22 from 0.0.0.0/0 — anyone on the internet");
    expect(exposed?.text).toContain(`default (${d.groups.default}) is attached to 1 network interface, 1 with a public IP (i-0db0000000000beef, 198.51.100.50)`);

    expect(w.reader.prepare("SELECT group_name, ports, source, interface_id, public_ip FROM current_exposure ORDER BY group_name, source, ports").all()).toEqual([
      { group_name: "bastion", ports: "22", source: "0.0.0.0/0", interface_id: d.interfaces.bastion, public_ip: DEMO_BASTION_PUBLIC_IP },
      { group_name: "default", ports: "22", source: "0.0.0.0/0", interface_id: eni, public_ip: "198.51.100.50" },
      { group_name: "web", ports: "443", source: "0.0.0.0/0", interface_id: d.interfaces.web, public_ip: "198.51.100.20" },
      { group_name: "web", ports: "80", source: "0.0.0.0/0", interface_id: d.interfaces.web, public_ip: "198.51.100.20" },
      { group_name: "web", ports: "type 3/code 4", source: "0.0.0.0/0", interface_id: d.interfaces.web, public_ip: "198.51.100.20" },
      { group_name: "web", ports: "443", source: "::/0", interface_id: d.interfaces.web, public_ip: "198.51.100.20" },
    ]);

    // History: before the instance existed, default exposed nothing; the documented query answers it.
    const at = (t: string) =>
      w.reader
        .prepare(
          `SELECT i.interface_id, i.public_ip FROM interface_versions i
            WHERE i.group_id = ? AND i.added_at <= ? AND (i.removed_at IS NULL OR i.removed_at > ?)`,
        )
        .all(d.groups.default, t, t);
    expect(at(before)).toEqual([]);
    expect(at(w.clock.now().toISOString())).toEqual([{ interface_id: eni, public_ip: "198.51.100.50" }]);

    // A day later nobody acknowledged it: the reminder, built from the stored row, still names the interface.
    await w.newMails();
    w.clock.advance(24 * 60 * 60_000);
    await poll();
    // Reminders are replies in the incident's thread ("Re: …"); their text says what they are.
    const reminders = (await w.newMails()).filter((m) => (m.text ?? "").startsWith("These unapproved changes are still in effect"));
    expect(reminders.map((m) => m.text ?? "").join("\n")).toContain("now reachable from the internet through i-0db0000000000beef, 198.51.100.50");
  });

  it("counts a broad source like the world: lower when nothing is attached, an exposure when it goes public, broad in current_exposure and in the words", async () => {
    const d = w.harness.demo;
    await poll(); // baseline
    await w.newMails();
    const intruder = w.harness.client(INTRUDER);
    const from = (cidr: string, port: number) => ({ IpProtocol: "tcp", FromPort: port, ToPort: port, IpRanges: [{ CidrIp: cidr }] });
    // Half the internet on SSH where nothing is attached; RDP from a /6 on the public bastion; SSH from a /8 (not broad by default) on the bastion.
    await intruder.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: d.groups.default, IpPermissions: [from("0.0.0.0/1", 22)] }));
    await intruder.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: d.groups.bastion, IpPermissions: [from("4.0.0.0/6", 3389), from("10.0.0.0/8", 22)] }));
    await poll();
    const added = w.changes().filter((c) => c.kind === "rule-added");
    expect(added.map((c) => [c.group_name, c.source, c.severity]).sort()).toEqual([
      ["bastion", "10.0.0.0/8", "medium"],
      ["bastion", "4.0.0.0/6", "critical"],
      ["default", "0.0.0.0/1", "high"],
    ]);
    const [mail] = await w.newMails();
    expect(mail?.text).toContain(`default (${d.groups.default}) is attached to nothing — not reachable now`);
    expect(mail?.text).toContain("TCP 22 from 0.0.0.0/1 — a broad range, ranked like the internet");
    // The /8 is not broad by default: the bastion's only exposure is the /6; web's world-open rules stay world.
    expect(w.reader.prepare("SELECT group_name, ports, source, breadth FROM current_exposure WHERE group_name = 'bastion'").all()).toEqual([
      { group_name: "bastion", ports: "3389", source: "4.0.0.0/6", breadth: "broad" },
    ]);
    expect(w.reader.prepare("SELECT DISTINCT breadth FROM current_exposure WHERE group_name = 'web'").all()).toEqual([{ breadth: "world" }]);

    // default goes on a public instance: its half-the-internet SSH is reachable now.
    const eni = await admin({ kind: "instance", groupIds: [d.groups.default], instanceId: "i-0db0000000000beef", publicIp: "198.51.100.50" });
    await poll();
    expect(w.reader.prepare("SELECT source, severity, interface_id FROM changes WHERE kind = 'exposure-added'").all()).toEqual([{ source: "0.0.0.0/1", severity: "critical", interface_id: eni }]);
    const [exposed] = await w.newMails();
    expect(exposed?.subject).toBe("[sgwatch] CRITICAL default: tcp/22 from broad range 0.0.0.0/1 now reachable on a public interface");
    expect(exposed?.text).toContain("now reachable from a broad range through i-0db0000000000beef, 198.51.100.50: TCP 22 from 0.0.0.0/1 — a broad range, ranked like the internet");
    expect(w.reader.prepare("SELECT source, breadth FROM current_exposure WHERE group_name = 'default'").all()).toEqual([{ source: "0.0.0.0/1", breadth: "broad" }]);
  });

  it("fails the whole poll when DescribeNetworkInterfaces is denied or breaks on a later page, and changes nothing", async () => {
    const d = w.harness.demo;
    await poll();
    const rows = (): unknown[] => w.reader.prepare("SELECT * FROM interface_versions ORDER BY id").all();
    const stored = rows();

    w.harness.sim.faults.add({ kind: "unauthorized", action: "DescribeNetworkInterfaces", count: 1 });
    w.clock.advance(FIVE_MIN);
    const denied = await w.poll();
    expect(denied.targets[0]?.ok).toBe(false);
    expect(denied.targets[0]?.error?.message).toContain("ec2:DescribeNetworkInterfaces");

    // Two pages; the second fails: a half-read list must not read as "attached to nothing".
    const region = w.harness.sim.state.account(d.account).region(d.region);
    for (let i = 0; i < 1000; i++) createInterface(region, { kind: "lambda", groupIds: [d.groups.app] }, (p) => region.newId(p));
    w.harness.sim.faults.add({ kind: "internal-error", action: "DescribeNetworkInterfaces", page: 2 });
    w.clock.advance(FIVE_MIN);
    const partial = await w.poll();
    expect(partial.targets[0]?.ok).toBe(false);
    expect(rows()).toEqual(stored);
    expect(w.reader.prepare("SELECT count(*) AS n FROM change_events").get()).toEqual({ n: 0 });
  });
});

describe("severity.broadSources in current_exposure", { timeout: 60_000 }, () => {
  it("a configured threshold (IPv4 shorter than /9) makes a /8 on the public bastion broad in the view as in the alert", async () => {
    const w = await startAppWorld({ extra: { severity: { broadSources: { ipv4ShorterThan: 9 } } } });
    try {
      await w.poll(); // baseline
      const from8 = { IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "10.0.0.0/8" }] };
      await w.harness.client(INTRUDER).send(new AuthorizeSecurityGroupIngressCommand({ GroupId: w.harness.demo.groups.bastion, IpPermissions: [from8] }));
      w.clock.advance(FIVE_MIN);
      await w.poll();
      expect(w.changes().map((c) => [c.source, c.severity])).toEqual([["10.0.0.0/8", "critical"]]);
      expect(w.reader.prepare("SELECT * FROM broad_sources").get()).toEqual({ id: 1, ipv4_shorter_than: 9, ipv6_shorter_than: 32 });
      expect(w.reader.prepare("SELECT source, breadth FROM current_exposure WHERE group_name = 'bastion'").all()).toEqual([{ source: "10.0.0.0/8", breadth: "broad" }]);
    } finally {
      await w.close();
    }
  });
});

describe("aws.interfacesEvery", { timeout: 60_000 }, () => {
  let w: AppWorld | undefined;
  afterEach(async () => {
    await w?.close();
    w = undefined;
  });
  const dniCalls = (x: AppWorld): number => x.harness.sim.requests.filter((r) => r.action === "DescribeNetworkInterfaces").length;
  const pollN = async (x: AppWorld, n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      x.clock.advance(FIVE_MIN);
      const r = await x.poll();
      expect(r.targets[0]?.ok).toBe(true);
    }
  };

  it("3: reads interfaces on the first poll and then on every third after (polls 1, 4, 7); alerts in between use what was last read", async () => {
    w = await startAppWorld({ extra: { aws: { maxAttempts: 1, timeout: "5s", interfacesEvery: 3 } } });
    await pollN(w, 1);
    expect(dniCalls(w)).toBe(1);
    await w.harness.client(INTRUDER).send(new AuthorizeSecurityGroupIngressCommand({ GroupId: w.harness.demo.groups.default, IpPermissions: [ssh] }));
    await pollN(w, 1);
    expect(dniCalls(w)).toBe(1);
    const [mail] = (await w.newMails()).slice(-1);
    // Read at the first poll, not this one: the alert says when, and does not claim "now".
    const firstPoll = w.reader.prepare("SELECT finished_at FROM polls ORDER BY id LIMIT 1").get() as { finished_at: string };
    expect(mail?.text).toContain(`default (${w.harness.demo.groups.default}) is attached to nothing — not reachable then (interfaces as read at ${firstPoll.finished_at})`);
    await pollN(w, 1);
    expect(dniCalls(w)).toBe(1);
    await pollN(w, 1);
    expect(dniCalls(w)).toBe(2);
    await pollN(w, 3);
    expect(dniCalls(w)).toBe(3);
    // Rows, not polls: baseline (read), the change (not), run 3-4 ending in a read, run 5-7 ending in a read (poll-runs.ts).
    expect(w.reader.prepare("SELECT poll_count, interfaces_read FROM polls ORDER BY id").all().map((r) => Object.values(r as object))).toEqual([[1, 1], [1, 0], [2, 1], [3, 1]]);
  });

  it("0: never reads them; severity stays as without blast radius and alerts say nothing about attachments", async () => {
    w = await startAppWorld({ extra: { aws: { maxAttempts: 1, timeout: "5s", interfacesEvery: 0 } } });
    await pollN(w, 1);
    await w.harness.client(INTRUDER).send(new AuthorizeSecurityGroupIngressCommand({ GroupId: w.harness.demo.groups.default, IpPermissions: [ssh] }));
    await pollN(w, 1);
    expect(dniCalls(w)).toBe(0);
    expect(w.changes().map((c) => [c.group_name, c.severity])).toEqual([["default", "critical"]]);
    const [mail] = (await w.newMails()).slice(-1);
    expect(mail?.text).not.toContain("attached to");
  });
});

describe("blast radius in webhooks", { timeout: 60_000 }, () => {
  it("Slack's text says what the group is attached to; the generic payload carries it as data", async () => {
    const slack = await startWebhookReceiver();
    const w = await startAppWorld({
      extra: {
        alerts: {
          webhook: { enabled: true, url: `${slack.url}/hook`, format: "slack", minSeverity: "low" },
        },
      },
    });
    try {
      w.clock.advance(FIVE_MIN);
      await w.poll();
      await w.harness.client(INTRUDER).send(new AuthorizeSecurityGroupIngressCommand({ GroupId: w.harness.demo.groups.bastion, IpPermissions: [ssh] }));
      w.clock.advance(FIVE_MIN);
      await w.poll();
      const body = JSON.parse(slack.requests.at(-1)?.body ?? "{}") as SlackBody;
      const text = body.blocks.map((b) => ("text" in b && typeof b.text === "object" ? b.text.text : "")).join("\n");
      expect(text).toContain(`bastion (${w.harness.demo.groups.bastion}) is attached to 1 network interface, 1 with a public IP (${w.harness.demo.interfaces.bastionInstance}, ${DEMO_BASTION_PUBLIC_IP})`);
      // The stored alert is what the generic format posts as `payload` (src/alerts/channels/webhook.ts genericBody).
      const row = w.reader.prepare("SELECT payload FROM outbox WHERE channel = 'webhook' ORDER BY id DESC LIMIT 1").get() as { payload: string };
      const payload = JSON.parse(row.payload) as GenericWebhookBody["payload"];
      expect(payload.type === "drift" ? payload.changes[0]?.exposure : null).toMatchObject({ interfaces: 1, publicInterfaces: 1, publicExamples: [{ publicIp: DEMO_BASTION_PUBLIC_IP }] });
    } finally {
      await w.close();
      await slack.close();
    }
  });
});
