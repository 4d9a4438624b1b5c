// `sgwatch demo`: the whole product on one machine, with no AWS account, no
// network and no mail server. It starts the EC2 simulator with a small
// realistic account, runs the real daemon against it on a short schedule,
// makes scripted drift between cycles through the real AWS SDK (scenes.ts),
// delivers the alert emails to an embedded SMTP server that saves them as
// .eml files, and stops by itself.
//
// The terminal gets the story, one short screen per cycle, told from the
// database (cycle-story.ts); the daemon's full JSON log goes to
// data/demo.log, where every detail is.
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import pino from "pino";
import { EC2Client } from "@aws-sdk/client-ec2";
import { startSimulator } from "../sim/server.js";
import { seedDemoAccount } from "../sim/seed-demo.js";
import { startMailSink, type SinkMessage } from "./mail-sink.js";
import { demoPaths, writeDemoFiles, type DemoPaths } from "./demo-files.js";
import { DEMO_MIN_CYCLES, ENGINEER, ENGINEER_ADDRESS, INTRUDER, INTRUDER_ADDRESS, MONITOR, playScene, type DemoKey } from "./scenes.js";
import { groupHeadline, readCycleFacts, tellCycle, type StoryCursor } from "./cycle-story.js";
import { loadConfig } from "../config/load.js";
import { runDaemon } from "../daemon/daemon.js";
import { createLogger } from "../logging/logger.js";
import { openDatabase } from "../store/open.js";
import { formatTable } from "../cli/table.js";
import { oneLine } from "../alerts/render/sanitize.js";
import type { ChangeViewRow } from "../store/view-rows.js";
import { realSleep } from "../util/sleep.js";

export { demoPaths, type DemoPaths } from "./demo-files.js";
export { DEMO_MIN_CYCLES } from "./scenes.js";

type Say = (line: string) => void;

/** After cycle 3: on call accepts the description edit with `sgwatch ack`, run as a person would. */
async function acknowledgeDescriptionEdit(p: DemoPaths, say: Say): Promise<void> {
  const db = openDatabase(p.database, { readonly: true }).db;
  const row = db.prepare("SELECT id FROM change_events WHERE kind = 'rule-description-changed' AND status = 'unapproved' ORDER BY id LIMIT 1").get() as { id: number } | undefined;
  db.close();
  if (!row) return;
  const args = ["--db", p.database, "ack", String(row.id), "--by", "bob", "--reason", "wording fix, reviewed", "--ticket", "OPS-77"];
  say(`\nOn call accepts the description edit:\n   $ sgwatch ${args.slice(2).map((a) => (a.includes(" ") ? `"${a}"` : a)).join(" ")}`);
  const { main } = await import("../cli/main.js");
  await main(args, { env: {}, out: { write: (s: string) => (say(`   ${s.trimEnd()}`), true) } as unknown as NodeJS.WritableStream, err: process.stderr });
}

function tellCycleFromDb(p: DemoPaths, n: number, cursor: StoryCursor, say: Say): void {
  const db = openDatabase(p.database, { readonly: true }).db;
  try {
    say("");
    for (const line of tellCycle(n, readCycleFacts(db, cursor))) say(line);
  } finally {
    db.close();
  }
}

function printSummary(p: DemoPaths, mails: readonly SinkMessage[], say: Say): void {
  const db = openDatabase(p.database, { readonly: true }).db;
  const rows = db.prepare("SELECT * FROM changes ORDER BY id").all() as ChangeViewRow[];
  db.close();
  say("\nWhat sgwatch recorded (the `changes` view, as it stands now):");
  say(
    formatTable(
      ["id", "group", "kind", "rule", "severity", "status", "who"],
      rows.map((r) => [
        r.id,
        groupHeadline(r.group_name, r.group_id),
        r.kind,
        r.direction ? `${r.direction} ${r.protocol} ${r.ports} ${oneLine(r.source ?? "", 80)}` : "",
        r.severity,
        r.approval_id ? `${r.status} by ${r.approval_id}` : r.acked_by ? `${r.status} by ${oneLine(r.acked_by, 40)}` : r.exposure ? `${r.status} (open ${r.exposure})` : r.status,
        r.who ? oneLine(r.who.replace(/^arn:aws:iam::\d+:/, ""), 60) : "",
      ]),
    ).trimEnd(),
  );
  const rel = (f: string): string => path.relative(process.cwd(), f) || f;
  // Routes send some mail elsewhere than ops: count each inbox.
  const perInbox = new Map<string, number>();
  for (const m of mails) for (const r of m.to) perInbox.set(r, (perInbox.get(r) ?? 0) + 1);
  const inboxes = [...perInbox].map(([r, n]) => `${n} to ${oneLine(r, 80)}`).join(", ");
  say(`\nEmails sent: ${mails.length} (${inboxes}), saved under ${rel(p.mailDir)}/`);
  say(`Full daemon log: ${rel(p.logFile)}   Database: ${rel(p.database)}   Config: ${rel(p.configFile)}`);
  say("Try:");
  say(`  sqlite3 -header -column ${rel(p.database)} "SELECT time, group_name, kind, protocol, ports, source, severity, status FROM changes"`);
  say(`  sqlite3 -header -column ${rel(p.database)} "SELECT group_name, protocol, ports, source FROM current_rules WHERE world_open AND direction = 'ingress'"`);
  say(`  npx sgwatch --db ${rel(p.database)} changes --since 1h`);
  say("  and the queries in the README's \"Querying history with sqlite3\"");
}

/** Run the demo; returns the exit code. */
export async function runDemo(opts: { cwd: string; out: NodeJS.WritableStream; cycles?: number }): Promise<number> {
  const say: Say = (line) => opts.out.write(line + "\n");
  const p = demoPaths(opts.cwd);
  // Each run starts clean, so what it prints is what this run did.
  for (const f of [p.database, `${p.database}-wal`, `${p.database}-shm`, p.logFile]) rmSync(f, { force: true });
  rmSync(p.mailDir, { recursive: true, force: true });
  rmSync(path.dirname(p.configFile), { recursive: true, force: true });
  mkdirSync(p.dataDir, { recursive: true, mode: 0o700 });

  const sim = await startSimulator({ port: 0 });
  const sink = await startMailSink({ dir: p.mailDir });
  // Synchronous writes: the file is complete when the demo says where it is.
  const logDestination = pino.destination({ dest: p.logFile, sync: true, mode: 0o600 });
  const clients: EC2Client[] = [];
  try {
    const demo = seedDemoAccount(sim.state);
    sim.cloudtrail.mapIdentity(ENGINEER.accessKeyId, { userName: "alice" });
    sim.cloudtrail.mapIdentity(INTRUDER.accessKeyId, { userName: "deploy-bot" });
    sim.cloudtrail.keys.setNetwork(INTRUDER.accessKeyId, { sourceIp: INTRUDER_ADDRESS });
    sim.cloudtrail.keys.setNetwork(ENGINEER.accessKeyId, { sourceIp: ENGINEER_ADDRESS });
    // CloudTrail delivers in minutes on AWS; the demo's cycles are 2 s apart, so
    // its simulated trail delivers at once and the denied tries show next cycle.
    sim.cloudtrail.delayMs = 0;
    writeDemoFiles(p, sim.endpoint, sink.port, new Date());
    const rel = (f: string): string => path.relative(opts.cwd, f) || f;
    say("sgwatch demo: the real daemon polls a simulated AWS account every 2 s while people change it.");
    say(`   account ${demo.account}, ${demo.region}: groups web, app, db, bastion   (EC2 simulator at ${sim.endpoint})`);
    say(`   approval records: ${rel(p.approvalsDir)}/   emails: ${rel(p.mailDir)}/   full log: ${rel(p.logFile)}`);

    const config = loadConfig(p.configFile, {});
    const logger = createLogger({ level: "info", destination: logDestination });
    const client = (who: DemoKey): EC2Client => {
      const c = new EC2Client({ region: demo.region, endpoint: sim.endpoint, credentials: who, maxAttempts: 1 });
      clients.push(c);
      return c;
    };
    const cursor: StoryCursor = { pollId: 0, finishedAt: "", outboxId: 0 };
    const cycles = Math.max(opts.cycles ?? DEMO_MIN_CYCLES, DEMO_MIN_CYCLES);
    const code = await runDaemon({
      config,
      logger,
      env: {},
      configPath: p.configFile,
      credentials: MONITOR,
      maxCycles: cycles,
      afterCycle: async (n) => {
        tellCycleFromDb(p, n, cursor, say);
        say(`== cycle ${n} done`);
        if (n === 3) await acknowledgeDescriptionEdit(p, say);
        await playScene(n, { sim, demo, client, say, wait: (ms) => realSleep(ms) });
      },
    });
    printSummary(p, sink.messages, say);
    return code;
  } finally {
    for (const c of clients) c.destroy();
    await sink.close();
    await sim.close();
    logDestination.flushSync();
    logDestination.end();
  }
}
