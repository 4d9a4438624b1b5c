// Crash safety, proven: `sgwatch run` (the built daemon, a child process) is
// killed with SIGKILL KILLS times at seeded random moments — during start-up,
// polling, recording, and dispatch (the SMTP sink is slow for some rounds so a
// message is mid-delivery, failing for others so alerts wait in the outbox) —
// and restarted each time, while random drift is made in the simulator (in
// this process) between and during cycles. At the end it runs clean until the
// outbox is empty and stops with SIGTERM. Then:
// - the database passes PRAGMA integrity_check;
// - no change recorded twice: no duplicate (poll, target, group, rule_key,
//   kind) in change_events, no two open intervals for one rule or group, and
//   at most one drift alert per poll and channel;
// - no change lost: each target's stored current state equals the simulator's
//   (normalised), and replaying its change_events over its baseline
//   (src/model/apply.ts, strict) gives that same state;
// - every unapproved change's alert was delivered at least once: its email
//   outbox row is sent and the sink accepted a message carrying its
//   X-Sgwatch-Alert-Id; a resent alert keeps its Message-ID; no alert is
//   pending or dead at the end.
// (SIGTERM during a slow cycle is proven in daemon-signals.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import BetterSqlite3 from "better-sqlite3";
import { startSimulator, type Simulator } from "../../src/sim/server.js";
import { SimState } from "../../src/sim/state.js";
import { generateAccount } from "../../src/sim/generate.js";
import { createPrng, type Prng } from "../../src/sim/prng.js";
import { applyChanges } from "../../src/model/apply.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { writeTestConfig, TEST_ACCOUNT, type TestConfigFiles } from "../support/config-file.js";
import { startCli, type CliProcess } from "../support/cli.js";
import { expectStoppedBeforeDeadline } from "../support/shutdown.js";
import { startSmtpSink, type SmtpSink } from "../support/smtp-sink.js";
import { RandomDrift } from "../support/random-drift.js";
import { baselineGroups, changesFromDb, simGroups, storedGroups, withoutImmutables } from "../support/ground-truth.js";

const SEED = 0xc4a5_0030;
const KILLS = 30;
const REGIONS = ["us-east-1", "eu-west-1"];
const EVERY_SECOND = "* * * * * *";

type KillPlan = "start-up" | "random" | "after-poll" | "mid-delivery";
type Phase = "start-up" | "cycle" | "dispatch";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Wait until `pred` holds or `ms` passed; true when it held. */
async function until(pred: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

function withDb<T>(file: string, fn: (db: BetterSqlite3.Database) => T): T {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

describe("crash safety: SIGKILL at random points of cycles and dispatch", { timeout: 240_000 }, () => {
  let tmp: TempDir;
  let sim: Simulator;
  let sink: SmtpSink;
  let files: TestConfigFiles;
  let proc: CliProcess | undefined;
  const prng: Prng = createPrng(SEED);
  const drifts = new Map<string, RandomDrift>();

  beforeAll(async () => {
    tmp = makeTempDir();
    const state = new SimState({ seed: SEED });
    for (const [i, region] of REGIONS.entries()) {
      generateAccount(state, { seed: SEED + i, groups: 15, rules: 80, account: TEST_ACCOUNT, region });
      drifts.set(region, new RandomDrift(state.account(TEST_ACCOUNT).region(region), prng));
    }
    sim = await startSimulator({ state });
    sink = await startSmtpSink();
    files = writeTestConfig({
      dir: tmp.path,
      endpoint: sim.endpoint,
      regions: REGIONS,
      smtpPort: sink.port,
      extra: {
        schedule: EVERY_SECOND,
        log: { level: "debug" },
        // Retries come round within the test's time; nothing goes dead.
        alerts: { retry: { baseDelay: "500ms", maxDelay: "2s", maxAge: "24h" } },
        aws: { maxAttempts: 2, timeout: "5s" },
      },
    });
  });

  afterAll(async () => {
    if (proc && proc.child.exitCode === null && proc.child.signalCode === null) {
      proc.child.kill("SIGKILL");
      await proc.exited.catch(() => undefined);
    }
    await sink?.close();
    await sim?.close();
    tmp?.remove();
  });

  const driftStep = (): void => {
    for (const d of drifts.values()) d.step(prng.int(0, 2));
  };

  it(`survives ${KILLS} SIGKILLs, then proves nothing was lost, doubled or left undelivered`, async ({ annotate }) => {
    const phases: Record<Phase, number> = { "start-up": 0, cycle: 0, dispatch: 0 };
    const plans: Record<KillPlan, number> = { "start-up": 0, random: 0, "after-poll": 0, "mid-delivery": 0 };
    const startUpMs: number[] = [];
    let cyclesSeen = 0;

    for (let round = 1; round <= KILLS; round++) {
      const plan: KillPlan = prng.pick(["start-up", "random", "random", "random", "after-poll", "after-poll", "mid-delivery", "mid-delivery"] as const);
      plans[plan]++;
      const r = prng.next();
      sink.mode = plan === "mid-delivery" || r < 0.35 ? { kind: "slow", delayMs: prng.int(150, 600) } : r < 0.6 ? { kind: "failing" } : { kind: "ok" };
      driftStep();
      const spawned = Date.now();
      const child = startCli(["--config", files.configPath, "run"], { timeoutMs: 60_000 });
      proc = child;
      const drifting = setInterval(driftStep, prng.int(150, 400));
      const started = (): boolean => child.json().some((l) => l.event === "start");
      try {
        if (plan === "start-up") {
          // Opening the database, migrating, the first poll: node start-up takes most of it.
          await sleep(prng.int(100, 1_500));
        } else if (plan === "random") {
          if (await until(started, 10_000)) startUpMs.push(Date.now() - spawned);
          await sleep(prng.int(0, 2_000));
        } else if (plan === "after-poll") {
          const k = prng.int(1, 4);
          await until(() => child.json().filter((l) => l.event === "poll-ok").length >= k, 8_000);
          await sleep(prng.int(0, 15));
        } else {
          await until(() => sink.inFlight > 0, 8_000);
          await sleep(prng.int(0, 100));
        }
      } finally {
        clearInterval(drifting);
      }
      const lines = child.json();
      const last = lines.at(-1)?.event;
      const phase: Phase = !lines.some((l) => l.event === "start")
        ? "start-up"
        : sink.inFlight > 0 || ["cycle", "alert-sent", "alert-retry", "drift", "alert-dead"].includes(String(last))
          ? "dispatch"
          : "cycle";
      phases[phase]++;
      child.child.kill("SIGKILL");
      const exit = await child.exited;
      expect(exit.signal, exit.stderr).toBe("SIGKILL");
      cyclesSeen += lines.filter((l) => l.event === "cycle").length;
    }

    // The clean run: no more drift, SMTP healthy, until every alert is out and
    // a poll of every target has seen the final state.
    sink.mode = { kind: "ok" };
    const finalMutations = sim.mutations.length;
    const clean = startCli(["--config", files.configPath, "run"], { timeoutMs: 90_000 });
    proc = clean;
    await clean.waitForJson((l) => l.event === "cycle" && Number(l.cycle) >= 2, 30_000);
    const drained = await until(() => withDb(files.databasePath, (db) => (db.prepare("SELECT count(*) AS n FROM outbox WHERE status != 'sent'").get() as { n: number }).n) === 0, 30_000);
    const cyclesBefore = clean.json().filter((l) => l.event === "cycle").length;
    await until(() => clean.json().filter((l) => l.event === "cycle").length > cyclesBefore, 10_000);
    clean.child.kill("SIGTERM");
    const stopped = await clean.exited;
    expectStoppedBeforeDeadline(clean.json(), stopped, "SIGTERM");
    expect(drained, "outbox drained in the clean run").toBe(true);
    expect(sim.mutations.length).toBe(finalMutations);

    const db = new BetterSqlite3(files.databasePath);
    try {
      expect(db.pragma("integrity_check", { simple: true })).toBe("ok");

      // Nothing recorded twice.
      expect(db.prepare("SELECT poll_id, target_id, group_id, rule_key, kind, count(*) AS n FROM change_events GROUP BY 1, 2, 3, 4, 5 HAVING n > 1").all()).toEqual([]);
      expect(db.prepare("SELECT target_id, group_id, rule_key, count(*) AS n FROM rule_versions WHERE removed_poll_id IS NULL GROUP BY 1, 2, 3 HAVING n > 1").all()).toEqual([]);
      expect(db.prepare("SELECT target_id, group_id, count(*) AS n FROM group_versions WHERE removed_poll_id IS NULL GROUP BY 1, 2 HAVING n > 1").all()).toEqual([]);
      expect(
        db.prepare("SELECT channel, json_extract(payload, '$.pollId') AS poll, count(*) AS n FROM outbox WHERE kind = 'drift' GROUP BY 1, 2 HAVING n > 1").all(),
      ).toEqual([]);

      // Nothing lost: stored state = simulator state, and the change log rebuilds it from the baseline.
      const targets = db.prepare("SELECT id, region FROM targets ORDER BY id").all() as Array<{ id: number; region: string }>;
      expect(targets.map((t) => t.region).sort()).toEqual([...REGIONS].sort());
      for (const t of targets) {
        const truth = simGroups(sim.state, TEST_ACCOUNT, t.region);
        expect(storedGroups(db, t.id), `current state of ${t.region}`).toEqual(truth);
        const replayed = applyChanges(baselineGroups(db, t.id), changesFromDb(db, t.id));
        expect(withoutImmutables(replayed), `change_events replayed over the baseline of ${t.region}`).toEqual(withoutImmutables(truth));
      }

      // Every unapproved change alerted and delivered at least once.
      const outbox = db.prepare("SELECT id, channel, kind, status, payload FROM outbox").all() as Array<{ id: number; channel: string; kind: string; status: string; payload: string }>;
      expect(outbox.filter((o) => o.status !== "sent")).toEqual([]);
      const emailFor = new Map<number, number>();
      for (const o of outbox) {
        if (o.channel !== "email") continue;
        if (o.kind === "drift") for (const c of (JSON.parse(o.payload) as { changes: Array<{ changeId: number }> }).changes) emailFor.set(c.changeId, o.id);
        // A change that undid an unapproved one is reported in the "closed" reply of that incident.
        if (o.kind === "closed") for (const i of (JSON.parse(o.payload) as { items: Array<{ byChangeId: number }> }).items) emailFor.set(i.byChangeId, o.id);
      }
      const received = new Set(sink.accepted.map((m) => m.alertId));
      const unapproved = (db.prepare("SELECT id FROM change_events WHERE status = 'unapproved' ORDER BY id").all() as Array<{ id: number }>).map((r) => r.id);
      const undelivered = unapproved.filter((id) => {
        const alertId = emailFor.get(id);
        return alertId === undefined || !received.has(alertId);
      });
      expect(undelivered, "unapproved changes whose alert never reached the sink").toEqual([]);
      // A resend after a crash is the same message: one Message-ID per alert.
      const idsByAlert = new Map<number | null, Set<string | null>>();
      for (const m of sink.accepted) idsByAlert.set(m.alertId, (idsByAlert.get(m.alertId) ?? new Set()).add(m.messageId));
      expect([...idsByAlert.values()].filter((s) => s.size !== 1)).toEqual([]);

      const count = (sql: string): number => (db.prepare(sql).get() as { n: number }).n;
      const figures = {
        kills: KILLS,
        plans,
        phases,
        cyclesLoggedBeforeKills: cyclesSeen,
        startUpMsMedian: startUpMs.sort((a, b) => a - b)[Math.floor(startUpMs.length / 2)] ?? null,
        polls: count("SELECT count(*) AS n FROM polls"),
        changes: count("SELECT count(*) AS n FROM change_events"),
        unapproved: unapproved.length,
        emailAlerts: outbox.filter((o) => o.channel === "email").length,
        messagesAccepted: sink.accepted.length,
        messagesRefused: sink.refused,
        resentAfterCrash: sink.accepted.length - new Set(sink.accepted.map((m) => m.alertId)).size,
        mutations: sim.mutations.length,
      };
      await annotate(JSON.stringify(figures));
      expect(unapproved.length, "the run produced unapproved changes to check").toBeGreaterThan(KILLS);
      expect(phases.dispatch, "some kills landed during dispatch").toBeGreaterThan(0);
      expect(phases.cycle, "some kills landed during cycles").toBeGreaterThan(0);
    } finally {
      db.close();
    }
  });
});
