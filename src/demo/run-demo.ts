// `sgwatch demo`: the whole product on one machine, with no AWS account, no
// network and no mail server. It starts the EC2 simulator with a small
// realistic account, runs the real daemon against it on a short schedule,
// makes scripted drift between cycles through the real AWS SDK, delivers the
// alert emails to an embedded SMTP server that saves them as .eml files, and
// stops by itself.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import {
  EC2Client,
  AuthorizeSecurityGroupIngressCommand,
  RevokeSecurityGroupIngressCommand,
  UpdateSecurityGroupRuleDescriptionsIngressCommand,
} from "@aws-sdk/client-ec2";
import { startSimulator } from "../sim/server.js";
import { seedDemoAccount, type DemoAccount } from "../sim/seed-demo.js";
import { startMailSink } from "./mail-sink.js";
import { loadConfig } from "../config/load.js";
import { runDaemon } from "../daemon/daemon.js";
import { createLogger } from "../logging/logger.js";
import { openDatabase } from "../store/open.js";
import { formatTable } from "../cli/table.js";
import type { ChangeViewRow } from "../store/view-rows.js";

/** Where the demo writes, relative to the working directory. */
export interface DemoPaths {
  dataDir: string;
  database: string;
  mailDir: string;
  configFile: string;
  approvalsDir: string;
}

export function demoPaths(cwd: string): DemoPaths {
  const dataDir = path.resolve(cwd, "data");
  return {
    dataDir,
    database: path.join(dataDir, "demo.db"),
    mailDir: path.join(dataDir, "demo-mail"),
    configFile: path.join(dataDir, "demo", "config.yaml"),
    approvalsDir: path.join(dataDir, "demo", "approvals"),
  };
}

// The demo's two people: an engineer working a ticket, and a stolen key.
const ENGINEER = { accessKeyId: "AKIADEMOENGINEER0001", secretAccessKey: "demo-engineer-secret" };
const INTRUDER = { accessKeyId: "AKIADEMOSTOLENKEY999", secretAccessKey: "demo-stolen-secret" };
const MONITOR = { accessKeyId: "AKIADEMOSGWATCH00001", secretAccessKey: "demo-sgwatch-secret" };

function writeDemoFiles(p: DemoPaths, endpoint: string, smtpPort: number, now: Date): void {
  mkdirSync(p.approvalsDir, { recursive: true });
  writeFileSync(
    p.configFile,
    [
      "# Written by `sgwatch demo`: the daemon's config for this run.",
      `database: ${p.database}`,
      'schedule: "*/2 * * * * *"   # every 2 seconds, for the demo only',
      "targets:",
      "  - label: demo-prod",
      '    account: "123456789012"',
      "    regions: [us-east-1]",
      `    endpoint: ${endpoint}`,
      "    attribution: cloudtrail   # who made each change, from (simulated) CloudTrail",
      "approvals:",
      `  dir: ${p.approvalsDir}`,
      "alerts:",
      "  log:",
      "    minSeverity: low",
      "  email:",
      "    host: 127.0.0.1",
      `    port: ${smtpPort}`,
      "    from: sgwatch@demo.example",
      "    to: [ops@demo.example]",
      "    minSeverity: low",
      "  retry:",
      "    baseDelay: 1s",
      "",
    ].join("\n"),
  );
  const from = new Date(now.getTime() - 3_600_000).toISOString();
  const until = new Date(now.getTime() + 8 * 3_600_000).toISOString();
  writeFileSync(
    path.join(p.approvalsDir, "CHG-1042.yaml"),
    [
      "# An approved change record: the app tier gets HTTPS from the internal network.",
      "id: CHG-1042",
      "reason: Internal load balancer health checks on 443",
      "approvedBy: alice",
      `window: { from: "${from}", until: "${until}" }`,
      "groupName: app",
      "changes:",
      "  - action: add",
      "    direction: ingress",
      "    protocol: tcp",
      "    ports: 443",
      "    source: 10.0.0.0/8",
      "---",
      "# Approves 8443 from one /16 only: opening it to all of 10.0.0.0/8 is wider than approved.",
      "id: CHG-1043",
      "reason: Admin console for the platform team",
      "approvedBy: carol",
      `window: { from: "${from}", until: "${until}" }`,
      "groupName: app",
      "changes:",
      "  - action: add",
      "    protocol: tcp",
      "    ports: 8443",
      "    source: 10.20.0.0/16",
      "",
    ].join("\n"),
  );
}

type Say = (line: string) => void;

async function scriptedDrift(cycle: number, client: (who: typeof ENGINEER) => EC2Client, demo: DemoAccount, say: Say): Promise<void> {
  const g = demo.groups;
  if (cycle === 1) {
    say("\n== drift: a stolen key opens tcp/22 on the bastion to 0.0.0.0/0 (no ticket)");
    await client(INTRUDER).send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: g.bastion,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0", Description: "temp" }] }],
      }),
    );
    say("== drift: an engineer opens tcp/443 on app from 10.0.0.0/8 under ticket CHG-1042");
    await client(ENGINEER).send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: g.app,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: "10.0.0.0/8", Description: "internal ALB" }] }],
      }),
    );
    say("== drift: tcp/8443 on app opened to 10.0.0.0/8, wider than ticket CHG-1043 allows (10.20.0.0/16)");
    await client(ENGINEER).send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: g.app,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 8443, ToPort: 8443, IpRanges: [{ CidrIp: "10.0.0.0/8", Description: "admin console" }] }],
      }),
    );
  } else if (cycle === 2) {
    say("\n== drift: the db's SSH-from-bastion rule is removed");
    await client(ENGINEER).send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: g.db,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, UserIdGroupPairs: [{ GroupId: g.bastion }] }],
      }),
    );
    say("== drift: the description of web's port-80 rule is edited");
    await client(ENGINEER).send(
      new UpdateSecurityGroupRuleDescriptionsIngressCommand({
        GroupId: g.web,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: "0.0.0.0/0", Description: "HTTP, redirects to HTTPS" }] }],
      }),
    );
  } else if (cycle === 3) {
    say("\n== response: on call closes the bastion's port 22 again");
    await client(ENGINEER).send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: g.bastion,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
      }),
    );
  }
}

/** After cycle 3: on call accepts the description edit with `sgwatch ack`, run as a person would. */
async function acknowledgeDescriptionEdit(p: DemoPaths, say: Say): Promise<void> {
  const db = openDatabase(p.database, { readonly: true }).db;
  const row = db.prepare("SELECT id FROM change_events WHERE kind = 'rule-description-changed' AND status = 'unapproved' ORDER BY id LIMIT 1").get() as { id: number } | undefined;
  db.close();
  if (!row) return;
  const args = ["--db", p.database, "ack", String(row.id), "--by", "bob", "--reason", "wording fix, reviewed", "--ticket", "OPS-77"];
  say(`\n== on call accepts the description edit:\n$ sgwatch ${args.slice(2).map((a) => (a.includes(" ") ? `"${a}"` : a)).join(" ")}`);
  const { main } = await import("../cli/main.js");
  await main(args, { env: {}, out: { write: (s: string) => (say(s.trimEnd()), true) } as unknown as NodeJS.WritableStream, err: process.stderr });
}

function printSummary(p: DemoPaths, mails: number, say: Say): void {
  const db = openDatabase(p.database, { readonly: true }).db;
  const rows = db.prepare("SELECT * FROM changes ORDER BY id").all() as ChangeViewRow[];
  db.close();
  say("\n== what sgwatch recorded (the `changes` view):");
  say(
    formatTable(
      ["id", "group", "kind", "rule", "severity", "status", "who"],
      rows.map((r) => [
        r.id,
        `${r.group_id} (${r.group_name})`,
        r.kind,
        r.direction ? `${r.direction} ${r.protocol} ${r.ports} ${r.source}` : "",
        r.severity,
        r.approval_id ? `${r.status} by ${r.approval_id}` : r.acked_by ? `${r.status} by ${r.acked_by}` : r.exposure ? `${r.status} (open ${r.exposure})` : r.status,
        r.who ? r.who.replace(/^arn:aws:iam::\d+:/, "") : "",
      ]),
    ).trimEnd(),
  );
  const rel = (f: string): string => path.relative(process.cwd(), f) || f;
  say(`\nEmails sent to the ops inbox: ${mails}, saved under ${rel(p.mailDir)}/`);
  say(`Database: ${rel(p.database)}   (config used: ${rel(p.configFile)})`);
  say("Try:");
  say(`  sqlite3 -header -column ${rel(p.database)} "SELECT time, group_name, kind, protocol, ports, source, severity, status FROM changes"`);
  say(`  sqlite3 -header -column ${rel(p.database)} "SELECT group_name, protocol, ports, source FROM current_rules WHERE world_open"`);
  say(`  npx sgwatch --db ${rel(p.database)} changes --since 1h`);
}

/** Run the demo; returns the exit code. */
export async function runDemo(opts: { cwd: string; out: NodeJS.WritableStream; cycles?: number }): Promise<number> {
  const say: Say = (line) => opts.out.write(line + "\n");
  const p = demoPaths(opts.cwd);
  // Each run starts clean, so what it prints is what this run did.
  rmSync(p.database, { force: true });
  rmSync(`${p.database}-wal`, { force: true });
  rmSync(`${p.database}-shm`, { force: true });
  rmSync(p.mailDir, { recursive: true, force: true });
  rmSync(path.dirname(p.configFile), { recursive: true, force: true });
  mkdirSync(p.dataDir, { recursive: true, mode: 0o700 });

  const sim = await startSimulator({ port: 0 });
  const sink = await startMailSink({ dir: p.mailDir });
  const clients: EC2Client[] = [];
  try {
    const demo = seedDemoAccount(sim.state);
    sim.cloudtrail.mapIdentity(ENGINEER.accessKeyId, { userName: "alice" });
    sim.cloudtrail.mapIdentity(INTRUDER.accessKeyId, { userName: "deploy-bot" });
    writeDemoFiles(p, sim.endpoint, sink.port, new Date());
    say(`EC2 simulator: ${sim.endpoint} (account ${demo.account}, ${demo.region}: groups web, app, db, bastion)`);
    say(`SMTP sink: 127.0.0.1:${sink.port}, saving mail to ${path.relative(opts.cwd, p.mailDir)}/`);
    say(`Approval records: ${path.relative(opts.cwd, p.approvalsDir)}/CHG-1042.yaml\n`);

    const config = loadConfig(p.configFile, {});
    const pretty = (opts.out as NodeJS.WriteStream).isTTY === true;
    const logger = createLogger({ level: "info", pretty });
    const client = (who: typeof ENGINEER): EC2Client => {
      const c = new EC2Client({ region: demo.region, endpoint: sim.endpoint, credentials: who, maxAttempts: 1 });
      clients.push(c);
      return c;
    };
    const cycles = opts.cycles ?? 4;
    const code = await runDaemon({
      config,
      logger,
      env: {},
      configPath: p.configFile,
      credentials: MONITOR,
      maxCycles: cycles,
      afterCycle: async (n) => {
        say(n === 1 ? "\n== cycle 1 done: baseline recorded (no alerts for what already existed)" : `\n== cycle ${n} done`);
        if (n === 3) await acknowledgeDescriptionEdit(p, say);
        await scriptedDrift(n, client, demo, say);
      },
    });
    // Give the pretty-printing worker a moment to flush before the summary.
    await new Promise((r) => setTimeout(r, pretty ? 300 : 50));
    printSummary(p, sink.messages.length, say);
    return code;
  } finally {
    for (const c of clients) c.destroy();
    await sink.close();
    await sim.close();
  }
}
