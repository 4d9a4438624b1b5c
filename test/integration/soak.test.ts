// Ground truth soak: sgwatch neither misses nor invents a change.
//
// An in-process App (fake clock: five minutes per cycle) polls the simulator
// over HTTP with the real AWS SDK for SOAK_CYCLES cycles. Before each cycle,
// seeded random drift goes through the simulator's mutation API (rules added,
// removed, re-described, modified in place, revoked and restored; groups
// created, deleted, tagged), and with probability FAULT_PROBABILITY a random
// fault is injected for that cycle (some absorbed by the SDK's retries, most
// not).
//
// Ground truth is the simulator's mutation log (sim.mutations) replayed from
// empty — the whole account, baseline included, was built with the log on. It
// is cross-checked every cycle against the simulator's live state, so the
// oracle itself is proven before it judges sgwatch.
//
// Checked:
// - after every successful poll, the stored current state equals the truth;
// - after every failed poll, nothing moved: no change_events, same state;
// - at the end, for every successful poll P, the history valid at P's time
//   (group_history's valid_from <= T < valid_until) equals the truth at P —
//   net per poll interval: every rule that existed at P is there, nothing else;
// - replaying every change_event over the baseline (src/model/apply.ts) gives
//   the final truth.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import BetterSqlite3, { type Database } from "better-sqlite3";
import { App } from "../../src/daemon/app.js";
import { startSimulator, type Simulator } from "../../src/sim/server.js";
import { SimState } from "../../src/sim/state.js";
import { generateAccount } from "../../src/sim/generate.js";
import { createPrng } from "../../src/sim/prng.js";
import { FAULT_KINDS, type FaultSpec } from "../../src/sim/faults.js";
import { applyChanges } from "../../src/model/apply.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { MONITOR } from "../support/sim-harness.js";
import { writeTestConfig, loadTestConfig, TEST_ACCOUNT } from "../support/config-file.js";
import { captureLog } from "../support/log-capture.js";
import { fakeClock, type FakeClock } from "../support/fake-clock.js";
import { RandomDrift } from "../support/random-drift.js";
import {
  MutationReplay,
  baselineGroups,
  changesFromDb,
  simGroups,
  storedGroups,
  storedGroupsAt,
  withoutImmutables,
  type TruthGroup,
} from "../support/ground-truth.js";

const SEED = 0x5eed_2026;
const SOAK_CYCLES = 500;
const FAULT_PROBABILITY = 0.2;
const REGION = "us-east-1";
const FIVE_MIN = 5 * 60_000;
const DSG = "DescribeSecurityGroups";

/** One successful poll and the truth it must have stored. */
interface Snapshot {
  pollId: number;
  at: string;
  truth: string;
}

describe("soak: stored history equals the simulator's ground truth", { timeout: 240_000 }, () => {
  let tmp: TempDir;
  let sim: Simulator;
  let clock: FakeClock;
  let app: App;
  let db: Database;

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    tmp = makeTempDir();
    const state = new SimState({ seed: SEED });
    generateAccount(state, { seed: SEED, groups: 30, rules: 200, account: TEST_ACCOUNT, region: REGION, logMutations: true });
    sim = await startSimulator({ state, faultSeed: SEED });
    clock = fakeClock();
    // maxAttempts 2: a fault on one call is absorbed, a longer one fails the poll.
    const files = writeTestConfig({ dir: tmp.path, endpoint: sim.endpoint, extra: { aws: { maxAttempts: 2, timeout: "2s" }, monitoring: { blindAfterFailures: 3 } } });
    app = new App({ config: loadTestConfig(files), logger: captureLog("fatal").logger, env: {}, clock: clock.clock, credentials: MONITOR });
    db = new BetterSqlite3(files.databasePath, { readonly: true });
  });

  afterAll(async () => {
    db?.close();
    await app?.close();
    await sim?.close();
    tmp?.remove();
  });

  it(`${SOAK_CYCLES} cycles with random drift and random faults: 0 mismatches`, async ({ annotate }) => {
    const prng = createPrng(SEED);
    const region = sim.state.account(TEST_ACCOUNT).region(REGION);
    const drift = new RandomDrift(region, prng);
    const replay = new MutationReplay(TEST_ACCOUNT, REGION);
    const snapshots: Snapshot[] = [];
    const mismatches: string[] = [];
    const faultsByKind: Record<string, number> = {};
    const failedByCode: Record<string, number> = {};
    let faults = 0;
    let okPolls = 0;
    let failedPolls = 0;
    let changes = 0;
    let lastTruth: TruthGroup[] = [];
    let targetId = 0;

    for (let cycle = 1; cycle <= SOAK_CYCLES; cycle++) {
      if (cycle > 1) drift.step(prng.int(0, 4));
      if (cycle > 1 && prng.next() < FAULT_PROBABILITY) {
        const spec = randomFault(prng);
        sim.faults.add(spec);
        faults++;
        faultsByKind[spec.kind] = (faultsByKind[spec.kind] ?? 0) + 1;
      }
      replay.advance(sim.mutations);
      const truth = replay.state();
      // The oracle first: the replayed log must equal the simulator's live state.
      expect(truth, `cycle ${cycle}: mutation log replay vs live simulator state`).toEqual(simGroups(sim.state, TEST_ACCOUNT, REGION));

      clock.advance(FIVE_MIN);
      const changesBefore = count(db, "SELECT count(*) AS n FROM change_events");
      let r;
      try {
        r = await app.cycle();
      } finally {
        sim.faults.clear();
      }
      const t = r.targets[0];
      if (!t) throw new Error("no target polled");
      targetId ||= (db.prepare("SELECT id FROM targets").get() as { id: number }).id;
      const poll = db.prepare("SELECT id, status, finished_at FROM polls ORDER BY id DESC LIMIT 1").get() as { id: number; status: string; finished_at: string };
      if (t.ok) {
        okPolls++;
        changes += t.judged.length;
        const stored = storedGroups(db, targetId);
        if (JSON.stringify(stored) !== JSON.stringify(truth)) mismatches.push(`cycle ${cycle} (poll ${poll.id}): stored current state differs from the truth`);
        snapshots.push({ pollId: poll.id, at: poll.finished_at, truth: JSON.stringify(truth) });
        lastTruth = truth;
      } else {
        failedPolls++;
        const code = t.error?.code ?? "?";
        failedByCode[code] = (failedByCode[code] ?? 0) + 1;
        if (poll.status !== "failed") mismatches.push(`cycle ${cycle}: failed poll recorded as ${poll.status}`);
        if (count(db, "SELECT count(*) AS n FROM change_events") !== changesBefore) mismatches.push(`cycle ${cycle}: a failed poll wrote change events`);
        if (JSON.stringify(storedGroups(db, targetId)) !== JSON.stringify(lastTruth)) mismatches.push(`cycle ${cycle}: a failed poll moved the stored state`);
      }
    }

    // History, net per poll interval: what was valid at each successful poll's time.
    for (const s of snapshots) {
      if (JSON.stringify(storedGroupsAt(db, targetId, s.at)) !== s.truth) mismatches.push(`history at poll ${s.pollId} (${s.at}) differs from the truth then`);
    }
    // The group_history view (what a person queries) agrees on the rule count at each poll.
    const viewCount = db.prepare("SELECT count(*) AS n FROM group_history WHERE valid_from <= ? AND (valid_until IS NULL OR valid_until > ?)");
    for (const s of snapshots) {
      const expected = (JSON.parse(s.truth) as TruthGroup[]).reduce((n, g) => n + g.rules.length, 0);
      if ((viewCount.get(s.at, s.at) as { n: number }).n !== expected) mismatches.push(`group_history rule count at poll ${s.pollId}`);
    }
    // Every change event, replayed over the baseline, gives the final truth.
    const replayed = applyChanges(baselineGroups(db, targetId), changesFromDb(db, targetId));
    expect(withoutImmutables(replayed)).toEqual(withoutImmutables(lastTruth));
    expect(count(db, "SELECT count(*) AS n FROM change_events")).toBe(changes);

    const figures = {
      cycles: SOAK_CYCLES,
      okPolls,
      failedPolls,
      changes,
      mutations: sim.mutations.length,
      driftOps: drift.counts,
      faultsInjected: faults,
      faultsByKind,
      failedByCode,
      historyChecks: snapshots.length,
      mismatches: mismatches.length,
    };
    await annotate(JSON.stringify(figures));
    expect(mismatches).toEqual([]);
    // The soak must have exercised what it claims to.
    expect(faults).toBeGreaterThan(SOAK_CYCLES * FAULT_PROBABILITY * 0.6);
    expect(failedPolls).toBeGreaterThan(0);
    expect(changes).toBeGreaterThan(SOAK_CYCLES);
    expect(new Set(Object.keys(faultsByKind))).toEqual(new Set(FAULT_KINDS));
  });
});

function count(db: Database, sql: string): number {
  return (db.prepare(sql).get() as { n: number }).n;
}

/**
 * A fault for one cycle. Transient kinds get a count of 1 or 2 calls (with
 * maxAttempts 2, one is absorbed by a retry, two fail the poll); the rest last
 * the cycle. Latency stays below aws.timeout (the matrix covers timeouts) so
 * the soak stays fast.
 */
function randomFault(prng: ReturnType<typeof createPrng>): FaultSpec {
  const kind = prng.pick(FAULT_KINDS);
  switch (kind) {
    case "throttle":
    case "internal-error":
    case "connection-reset":
      return { kind, action: DSG, count: prng.int(1, 2) };
    case "latency":
      return { kind, action: DSG, latencyMs: prng.int(5, 100) };
    case "repeat-next-token":
      // Once: the listing restarts (duplicate pages, deduplicated); forever: a loop.
      return prng.next() < 0.5 ? { kind, action: DSG, count: 1 } : { kind, action: DSG };
    default:
      return { kind, action: DSG };
  }
}
