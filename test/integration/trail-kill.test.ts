// The sweep's cursor survives SIGKILL: the daemon (`sgwatch run`, a child
// process) sweeps a burst larger than its page bound across cycles; it is
// killed with SIGKILL while part of the burst is stored, started again, and
// left to catch up. Every event CloudTrail has is then stored exactly once:
// nothing lost at the kill, nothing doubled by the restart (the events and
// the cursor move in one transaction; events are keyed by eventId).
// Real parts: the simulator over HTTP, the daemon as a child process, a
// SQLite file. The test waits for conditions, never for durations.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import BetterSqlite3 from "better-sqlite3";
import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { startSimulator, type Simulator } from "../../src/sim/server.js";
import { seedDemoAccount } from "../../src/sim/seed-demo.js";
import { isSecurityGroupEvent } from "../../src/trail/collect.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { writeTestConfig, TEST_ACCOUNT, type TestConfigFiles } from "../support/config-file.js";
import { MONITOR } from "../support/sim-harness.js";
import { startCli, type CliProcess } from "../support/cli.js";

const REGION = "us-east-1";
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(pred: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

describe("the sweep's cursor across SIGKILL", { timeout: 120_000 }, () => {
  let tmp: TempDir;
  let sim: Simulator;
  let files: TestConfigFiles;
  let proc: CliProcess | undefined;

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    tmp = makeTempDir();
    // The simulator's clock runs behind while the burst is made, one second
    // per pair of calls ten minutes ago: made in a tight loop, the 600 calls
    // shared a second, which the daemon's first sweep read whole past its page
    // bound when it started within that second (CI saw it once), so it met
    // the wall below before its first cycle ended instead of part-way
    // through a backlog.
    let offsetMs = 0;
    sim = await startSimulator({ clock: () => new Date(Date.now() + offsetMs) });
    sim.cloudtrail.lookupRateLimit = 2;
    const demo = seedDemoAccount(sim.state, { region: REGION });
    const region = sim.state.account(TEST_ACCOUNT).region(REGION);
    // 600 security-group calls: 12 pages, several cycles at 2 pages each.
    for (let i = 0; i < 300; i++) {
      offsetMs = -10 * 60_000 + i * 1000;
      region.authorizeIngress(demo.groups.db, [{ ipProtocol: "tcp", fromPort: 40000 + i, toPort: 40000 + i, ipRanges: [{ cidrIp: "10.80.0.0/16" }] }]);
      region.revokeIngress(demo.groups.db, [{ ipProtocol: "tcp", fromPort: 40000 + i, toPort: 40000 + i, ipRanges: [{ cidrIp: "10.80.0.0/16" }] }]);
    }
    offsetMs = 0;
    files = writeTestConfig({
      dir: tmp.path,
      endpoint: sim.endpoint,
      extra: { schedule: "* * * * * *", cloudtrail: { enabled: true, maxPagesPerCycle: 2 }, aws: { maxAttempts: 3, timeout: "5s" } },
    });
  });

  afterAll(async () => {
    if (proc && proc.child.exitCode === null && proc.child.signalCode === null) {
      proc.child.kill("SIGKILL");
      await proc.exited.catch(() => undefined);
    }
    await sim?.close();
    tmp?.remove();
  });

  const stored = (): string[] => {
    try {
      const db = new BetterSqlite3(files.databasePath, { readonly: true, fileMustExist: true });
      try {
        return (db.prepare("SELECT event_id FROM trail_events").all() as Array<{ event_id: string }>).map((r) => r.event_id);
      } finally {
        db.close();
      }
    } catch {
      return []; // not created or not migrated yet
    }
  };

  it("stores every event once after a kill -9 part-way through a backlog and a restart", async () => {
    // CloudTrail answers eight calls (at most 400 of the 600 events, at two
    // pages a sweep), then refuses: however late the kill below comes on a
    // loaded machine, the daemon cannot have stored the whole burst by then
    // (a kill that raced the daemon's progress once found all of it stored).
    // Eight, not the four that just suffice: calls lost to a slow machine
    // (a timed-out attempt is answered but stores nothing) must not leave the
    // daemon short of its first 100 events.
    sim.cloudtrail.failAfter(8);
    const first = startCli(["--config", files.configPath, "run"], { timeoutMs: 60_000 });
    proc = first;
    const reached = await until(() => stored().length >= 100, 45_000);
    expect(reached, `the first sweeps stored part of the burst (stored ${stored().length}, calls refused ${sim.cloudtrail.refusedAfterLimit}); the daemon's last warnings: ${JSON.stringify(first.json().filter((l) => l.level === "warn" || l.level === "error" || l.level === "fatal").slice(-8))}`).toBe(true);
    first.child.kill("SIGKILL");
    const killed = await first.exited;
    expect(killed.signal, killed.stderr).toBe("SIGKILL");
    const atKill = stored();
    expect(atKill.length).toBeLessThan(600);
    sim.cloudtrail.restore();

    // What CloudTrail has: every security-group event of the account-region.
    const ct = new CloudTrailClient({ region: REGION, endpoint: sim.endpoint, credentials: MONITOR, maxAttempts: 1 });
    const expected = new Set<string>();
    try {
      sim.cloudtrail.lookupRateLimit = null; // this check is not sgwatch; it must not spend sgwatch's budget
      let token: string | undefined;
      do {
        const page = await ct.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "ReadOnly", AttributeValue: "false" }], MaxResults: 50, NextToken: token }));
        for (const e of page.Events ?? []) if (isSecurityGroupEvent(e) && e.EventId !== undefined) expected.add(e.EventId);
        token = page.NextToken;
      } while (token !== undefined);
    } finally {
      sim.cloudtrail.lookupRateLimit = 2;
      ct.destroy();
    }
    expect(expected.size).toBeGreaterThanOrEqual(600);

    const second = startCli(["--config", files.configPath, "run"], { timeoutMs: 90_000 });
    proc = second;
    expect(await until(() => stored().length >= expected.size, 60_000), "the restarted daemon caught up").toBe(true);
    // One more cycle after catching up must store nothing twice.
    const cycles = second.json().filter((l) => l.event === "cycle").length;
    await until(() => second.json().filter((l) => l.event === "cycle").length > cycles + 1, 20_000);
    second.child.kill("SIGTERM");
    const stopped = await second.exited;
    expect(stopped.code, stopped.stderr).toBe(0);

    const ids = stored();
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(expected);
    for (const id of atKill) expect(ids).toContain(id);
  });
});
