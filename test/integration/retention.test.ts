// Retention (history.keep) with real parts: the simulator over HTTP (on the
// world's fake clock, so CloudTrail event times and polls share one time
// line), App's cycle writing a real SQLite file, compaction as the daemon
// runs it (RetentionSchedule), and the CLI as a child process. It proves:
// - closed rule, group-less and interface intervals, changes, polls and
//   CloudTrail events older than the cutoff are dropped; current state (open
//   intervals, whatever their age) and everything younger are kept;
// - an acknowledged change keeps its row and its ack; an open incident
//   (unapproved critical, not reverted) is kept; a reverted one and its
//   revert go; an approved change goes, and its record still counts it
//   (approvals.changes_covered, approval_uses_compacted);
// - nothing goes silently: retention_runs and the info log line say what was
//   dropped; the dry run counts exactly that and changes nothing;
// - a poll is recorded between two batches of a running compaction;
// - a run stopped between batches has said what it dropped (finished_at
//   NULL, shown by status) and the database is consistent;
// - the daemon (runDaemon, fake clock) compacts after a cycle, at most once a
//   day by retention_runs;
// - the database passes integrity_check and foreign_key_check, and the
//   README's queries still run;
// - `sgwatch compact` and `sgwatch status` (text and --json) say the same
//   counts; a bad or too short history.keep exits 2 naming the key and line.
import { writeFileSync } from "node:fs";
import { AuthorizeSecurityGroupIngressCommand, RevokeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { startAppWorld, type AppWorld } from "../support/app-world.js";
import BetterSqlite3 from "better-sqlite3";
import { ENGINEER, INTRUDER, MONITOR, startSimHarness } from "../support/sim-harness.js";
import { writeTestConfig, loadTestConfig } from "../support/config-file.js";
import { makeTempDir } from "../support/temp-dir.js";
import { captureLog } from "../support/log-capture.js";
import { runDaemon } from "../../src/daemon/daemon.js";
import { writeApproval } from "../support/approval-file.js";
import { readmeQueries } from "../support/readme-queries.js";
import { assertBuilt, runCli } from "../support/cli.js";
import { REFERENCE_INSTANT, fakeClock } from "../support/fake-clock.js";
import { acknowledge } from "../../src/store/acks-repo.js";
import { RetentionSchedule } from "../../src/daemon/retention-schedule.js";
import { createMetrics } from "../../src/daemon/metrics.js";
import { compact, previewCompaction, cutoffFor, lastRetentionRun, runCounts, type RetentionCounts } from "../../src/store/retention.js";

const FIVE_MIN = 5 * 60_000;
const DAY = 86_400_000;
const ssh = { IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] };
const alt = { IpProtocol: "tcp", FromPort: 8443, ToPort: 8443, IpRanges: [{ CidrIp: "10.0.0.0/8" }] };
const rdp = { IpProtocol: "tcp", FromPort: 3389, ToPort: 3389, IpRanges: [{ CidrIp: "10.1.0.0/16" }] };
const telnet = { IpProtocol: "tcp", FromPort: 23, ToPort: 23, IpRanges: [{ CidrIp: "0.0.0.0/0" }] };
const late = { IpProtocol: "tcp", FromPort: 9000, ToPort: 9000, IpRanges: [{ CidrIp: "10.2.0.0/16" }] };

interface Story {
  /** The unapproved ssh opening, revoked later: reverted, so it goes. */
  opened: number;
  /** Its revoke: a revert, not an incident of its own, so it goes. */
  closed: number;
  /** An unapproved critical opening nobody resolved: an open incident, so it stays. */
  incident: number;
  /** The approved 8443 opening and its approved removal: both go. */
  approved: number[];
  /** The unapproved rdp opening, acknowledged, then revoked: stays (ack). */
  acked: number;
}

describe("retention (history.keep)", { timeout: 120_000 }, () => {
  let w: AppWorld;
  afterEach(async () => {
    // Each test that starts a world closes it once; the daemon test starts none.
    const open = w as AppWorld | undefined;
    w = undefined as unknown as AppWorld;
    await open?.close();
  });

  beforeAll(() => assertBuilt());

  async function poll(): Promise<void> {
    w.clock.advance(FIVE_MIN);
    const r = await w.poll();
    expect(r.targets.map((t) => t.error)).toEqual([null]);
  }
  const changeIds = (): number[] => w.reader.prepare("SELECT id FROM change_events ORDER BY id").pluck().all() as number[];
  const newest = (): number => Math.max(...changeIds());

  /** A baseline, then changes of every fate, an interface gone, CloudTrail events stored. */
  async function tellStory(): Promise<Story> {
    const d = w.harness.demo;
    await poll(); // baseline
    await w.harness.client(INTRUDER).send(new AuthorizeSecurityGroupIngressCommand({ GroupId: d.groups.default, IpPermissions: [ssh] }));
    await poll();
    const opened = newest();
    await w.harness.client(INTRUDER).send(new RevokeSecurityGroupIngressCommand({ GroupId: d.groups.default, IpPermissions: [ssh] }));
    await poll();
    const closed = newest();
    await w.harness.client(ENGINEER).send(new AuthorizeSecurityGroupIngressCommand({ GroupId: d.groups.web, IpPermissions: [alt] }));
    await poll();
    const approvedAdd = newest();
    await w.harness.client(ENGINEER).send(new RevokeSecurityGroupIngressCommand({ GroupId: d.groups.web, IpPermissions: [alt] }));
    await poll();
    const approvedRemove = newest();
    await w.harness.client(INTRUDER).send(new AuthorizeSecurityGroupIngressCommand({ GroupId: d.groups.app, IpPermissions: [rdp] }));
    await poll();
    const acked = newest();
    expect(acknowledge(w.app.db, { changeId: acked, by: "carol", reason: "vendor test", ticket: "OPS-9", at: w.clock.iso() })).toBeNull();
    await w.harness.client(INTRUDER).send(new RevokeSecurityGroupIngressCommand({ GroupId: d.groups.app, IpPermissions: [rdp] }));
    await poll();
    await w.harness.client(INTRUDER).send(new AuthorizeSecurityGroupIngressCommand({ GroupId: d.groups.db, IpPermissions: [telnet] }));
    await poll();
    const incident = newest();
    const del = await fetch(`${w.harness.endpoint}/__sim/network-interfaces/${d.interfaces.app}`, { method: "DELETE" });
    expect(del.status).toBe(200);
    await poll();
    await poll();
    // The story's facts, as stored: what each change became.
    const status = (id: number): string => w.reader.prepare("SELECT status FROM change_events WHERE id = ?").pluck().get(id) as string;
    expect([status(opened), status(closed), status(approvedAdd), status(approvedRemove), status(acked)]).toEqual(["unapproved", "unapproved", "approved", "approved", "unapproved"]);
    expect(w.reader.prepare("SELECT reverted_at IS NOT NULL FROM change_events WHERE id = ?").pluck().get(opened)).toBe(1);
    expect(w.reader.prepare("SELECT severity FROM change_events WHERE id = ?").pluck().get(incident)).toBe("critical");
    return { opened, closed, incident, approved: [approvedAdd, approvedRemove], acked };
  }

  const startWorld = (): Promise<AppWorld> =>
    startAppWorld({
      simOnClock: true,
      extra: { cloudtrail: { enabled: true }, history: { keep: "10d" } },
      beforeStart: (dir) =>
        writeApproval(dir, {
          id: "CHG-8443",
          groupName: "web",
          from: REFERENCE_INSTANT,
          until: new Date(Date.parse(REFERENCE_INSTANT) + DAY).toISOString(),
          changes: [
            { action: "add", direction: "ingress", protocol: "tcp", ports: 8443, source: "10.0.0.0/8" },
            { action: "remove", direction: "ingress", protocol: "tcp", ports: 8443, source: "10.0.0.0/8" },
          ],
        }),
    });

  const integrity = (): void => {
    expect(w.reader.pragma("integrity_check", { simple: true })).toBe("ok");
    expect(w.reader.pragma("foreign_key_check")).toEqual([]);
  };

  it("drops old closed history in batches beside polling, keeps current state and the audit, and says what it dropped", async () => {
    w = await startWorld();
    const story = await tellStory();
    const storyEnd = w.clock.iso();
    expect(w.reader.prepare("SELECT count(*) FROM trail_events").pluck().get()).toBeGreaterThan(0);
    const currentBefore = w.reader.prepare("SELECT * FROM current_rules ORDER BY group_id, direction, protocol, ports, source").all();
    expect(w.reader.prepare("SELECT count(*) FROM interface_versions WHERE removed_at IS NOT NULL").pluck().get()).toBe(1);

    // Eleven days later: the story is older than history.keep (10 d); a new change is not.
    w.clock.advance(11 * DAY);
    await poll();
    await w.harness.client(INTRUDER).send(new AuthorizeSecurityGroupIngressCommand({ GroupId: w.harness.demo.groups.db, IpPermissions: [late] }));
    await poll();
    const recent = newest();

    const cutoff = cutoffFor(w.clock.now(), 10 * DAY);
    expect(cutoff > storyEnd).toBe(true);
    const preview = previewCompaction(w.app.db, cutoff);
    expect(preview).toMatchObject({ changes: 4, approvalLinks: 2, attributions: 4, ruleIntervals: 3, interfaceIntervals: 1, alertThreads: expect.any(Number) });
    expect(preview.trailEvents).toBeGreaterThan(0);
    expect(preview.pollRows).toBeGreaterThan(0);

    // Compaction as the daemon runs it, two rows a transaction; at its first
    // pause a change is made and a poll recorded, between two batches.
    const order: string[] = [];
    let midRun: { finished_at: string | null; changes: number } | undefined;
    const retention = new RetentionSchedule({
      db: w.app.db,
      clock: w.clock.clock,
      keep: 10 * DAY,
      logger: w.log.logger,
      batchSize: 2,
      pause: async () => {
        order.push("batch");
        if (order.includes("poll")) return;
        order.push("poll");
        await w.harness.client(INTRUDER).send(new RevokeSecurityGroupIngressCommand({ GroupId: w.harness.demo.groups.db, IpPermissions: [late] }));
        await poll();
        midRun = w.reader.prepare("SELECT finished_at, changes FROM retention_runs").get() as typeof midRun;
      },
    });
    const run = retention.afterCycle();
    expect(run).not.toBeNull();
    await run;
    expect(order.slice(0, 2)).toEqual(["batch", "poll"]);
    expect(order.filter((o) => o === "batch").length).toBeGreaterThan(3);
    expect(midRun).toEqual({ finished_at: null, changes: 2 }); // the first batch was in, the run not done
    const during = newest();
    expect(during).toBeGreaterThan(recent);

    const row = lastRetentionRun(w.reader);
    expect(row?.finished_at).not.toBeNull();
    const dropped: RetentionCounts = runCounts(row!);
    expect(dropped).toEqual(preview);
    expect(w.log.events("compacted")).toEqual([expect.objectContaining({ level: "info", dropped: preview })]);
    expect(w.log.events("compacted")[0]?.msg).toContain(`dropped 4 changes (2 approval links, 4 attributions), 3 rule intervals`);

    // /metrics says it too (read at scrape from retention_runs).
    const scraped = await createMetrics(w.app.db, { processMetrics: false }).render();
    expect(scraped).toContain('sgwatch_retention_last_run_dropped{kind="changes"} 4');
    expect(scraped).toContain(`sgwatch_retention_last_run_dropped{kind="trailEvents"} ${preview.trailEvents}`);

    // What stayed: the acknowledged change with its ack (and its revert, which
    // it names), the open incident, everything recent.
    expect(changeIds()).toEqual([story.acked, story.acked + 1, story.incident, recent, during]);
    expect(w.reader.prepare("SELECT acked_by, ticket FROM acknowledgements WHERE change_id = ?").get(story.acked)).toEqual({ acked_by: "carol", ticket: "OPS-9" });
    // The approval record still counts the changes it covered.
    expect(w.approvals().find((a) => a.id === "CHG-8443")).toMatchObject({ changes_covered: 2 });
    expect(w.reader.prepare("SELECT approval_id, changes FROM approval_uses_compacted").all()).toEqual([{ approval_id: "CHG-8443", changes: 2 }]);
    // Current state is never dropped, whatever its age: the baseline's rules still read "since" the baseline.
    expect(w.reader.prepare("SELECT * FROM current_rules WHERE since < ? ORDER BY group_id, direction, protocol, ports, source").all(cutoff)).toEqual(currentBefore);
    expect(w.reader.prepare("SELECT count(*) FROM rule_versions WHERE removed_at < ?").pluck().get(cutoff)).toBe(0);
    expect(w.reader.prepare("SELECT count(*) FROM interface_versions WHERE removed_at < ?").pluck().get(cutoff)).toBe(0);
    expect(w.reader.prepare("SELECT count(*) FROM trail_events WHERE event_time < ?").pluck().get(cutoff)).toBe(0);
    // The baseline poll stays: open intervals point at it.
    expect(w.reader.prepare("SELECT count(*) FROM polls WHERE baseline = 1").pluck().get()).toBe(1);
    integrity();
    for (const q of readmeQueries()) expect(() => w.reader.prepare(q).all(), q).not.toThrow();

    // At most once a day.
    w.clock.advance(FIVE_MIN);
    expect(retention.afterCycle()).toBeNull();
    w.clock.advance(DAY);
    await retention.afterCycle();
    expect(runCounts(lastRetentionRun(w.reader)!).changes).toBe(0);
  });

  it("sgwatch compact --dry-run changes nothing; compact drops exactly that; status says so", async () => {
    w = await startWorld();
    await tellStory();
    // The CLI runs on the wall clock: the whole story (on the fake clock, in March 2026) is older than 10 days.
    const config = ["--config", w.files.configPath];
    const tableCounts = (): unknown =>
      ["change_events", "rule_versions", "group_versions", "interface_versions", "polls", "trail_events", "acknowledgements", "retention_runs"].map((t) => w.reader.prepare(`SELECT count(*) FROM ${t}`).pluck().get());
    const before = tableCounts();
    const dry = await runCli([...config, "compact", "--dry-run", "--json"]);
    expect(dry.stderr).toBe("");
    expect(dry.code).toBe(0);
    const would = JSON.parse(dry.stdout) as { wouldDrop: RetentionCounts };
    expect(would.wouldDrop).toMatchObject({ changes: 4, approvalLinks: 2, attributions: 4, ruleIntervals: 3, interfaceIntervals: 1 });
    expect(tableCounts()).toEqual(before);
    const text = await runCli([...config, "compact", "--dry-run"]);
    expect(text.stdout).toMatch(/^dry run, history kept for 10 d: would drop 4 changes \(2 approval links, 4 attributions\), 3 rule intervals, 0 group intervals, 1 interface interval, /);

    const real = await runCli([...config, "compact", "--json"]);
    expect(real.code).toBe(0);
    expect((JSON.parse(real.stdout) as { dropped: RetentionCounts }).dropped).toEqual(would.wouldDrop);
    const status = await runCli([...config, "status", "--json"]);
    const s = JSON.parse(status.stdout) as { retention: { keep: string; lastRun: { dropped: RetentionCounts; finishedAt: string | null } } };
    expect(s.retention.keep).toBe("10 d");
    expect(s.retention.lastRun.dropped).toEqual(would.wouldDrop);
    expect(s.retention.lastRun.finishedAt).not.toBeNull();
    const statusText = await runCli([...config, "status"]);
    expect(statusText.stdout).toMatch(/history kept for 10 d; last compaction \S+: dropped 4 changes \(2 approval links, 4 attributions\), 3 rule intervals, .* older than \S+\n/);
    integrity();
  });

  it("a run stopped between batches (shutdown) has recorded what it dropped and leaves a consistent database", async () => {
    w = await startWorld();
    await tellStory();
    w.clock.advance(11 * DAY);
    let batches = 0;
    const r = await compact(w.app.db, { clock: w.clock.clock, keepMs: 10 * DAY, keepText: "10 d", batchSize: 1, pause: async () => void batches++, stopRequested: () => batches >= 2 });
    expect(r.finished).toBe(false);
    expect(w.reader.prepare("SELECT finished_at, changes FROM retention_runs").get()).toEqual({ finished_at: null, changes: 2 });
    expect(w.reader.prepare("SELECT count(*) FROM change_events WHERE detected_at < ?").pluck().get(r.cutoff)).toBe(5); // 7 old, 2 gone
    integrity();
    const status = await runCli(["--config", w.files.configPath, "status"]);
    expect(status.stdout).toMatch(/last compaction \S+ \(stopped before the end\): dropped 2 changes/);
  });

  it("the daemon compacts after a cycle, at most once a day, and logs what it dropped", async () => {
    const harness = await startSimHarness();
    const tmp = makeTempDir();
    try {
      const files = writeTestConfig({ dir: tmp.path, endpoint: harness.endpoint, extra: { schedule: "* * * * * *", history: { keep: "10d" } } });
      const clock = fakeClock();
      const log = captureLog();
      const d = harness.demo;
      // Each cycle's hook: open ssh, close it, then eleven days pass.
      const steps: Array<() => Promise<unknown>> = [
        () => harness.client(INTRUDER).send(new AuthorizeSecurityGroupIngressCommand({ GroupId: d.groups.default, IpPermissions: [ssh] })),
        () => harness.client(INTRUDER).send(new RevokeSecurityGroupIngressCommand({ GroupId: d.groups.default, IpPermissions: [ssh] })),
        async () => clock.advance(11 * DAY),
      ];
      const code = await runDaemon({
        config: loadTestConfig(files),
        logger: log.logger,
        env: {},
        configPath: files.configPath,
        credentials: MONITOR,
        clock: clock.clock,
        maxCycles: 4,
        afterCycle: async (n) => {
          clock.advance(FIVE_MIN);
          await steps[n - 1]?.();
        },
      });
      expect(code).toBe(0);
      // The first cycle's run found nothing old; the next was due only after a day: the fourth cycle's.
      const runs = log.events("compacted");
      expect(runs.map((r) => (r.dropped as RetentionCounts).ruleIntervals)).toEqual([0, 1]);
      expect(runs[1]?.msg).toMatch(/^history compacted: dropped 2 changes \(0 approval links, 0 attributions\), 1 rule interval, /);
      const db = new BetterSqlite3(files.databasePath, { readonly: true });
      try {
        expect(db.prepare("SELECT count(*) FROM retention_runs WHERE finished_at IS NOT NULL").pluck().get()).toBe(2);
        expect(db.prepare("SELECT count(*) FROM change_events").pluck().get()).toBe(0);
      } finally {
        db.close();
      }
    } finally {
      await harness.close();
      tmp.remove();
    }
  });

  it("refuses a bad or too short history.keep with its key and line, exit 2", async () => {
    w = await startWorld();
    const raw = { ...w.files.raw, history: { keep: "soon" } };
    writeFileSync(w.files.configPath, stringify(raw));
    const line = stringify(raw).split("\n").findIndex((l) => l.trim().startsWith("keep:")) + 1;
    const bad = await runCli(["--config", w.files.configPath, "check-config"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr + bad.stdout).toContain(`line ${line}: history.keep: expected a duration like "400d", or "forever"`);
    writeFileSync(w.files.configPath, stringify({ ...raw, history: { keep: "3d" } }));
    const short = await runCli(["--config", w.files.configPath, "compact"]);
    expect(short.code).toBe(2);
    expect(short.stderr).toContain("history.keep: 3 d is shorter than cloudtrail.joinHorizon (7 d)");
    writeFileSync(w.files.configPath, stringify({ ...raw, history: { keep: "forever" } }));
    const forever = await runCli(["--config", w.files.configPath, "compact"]);
    expect(forever.code).toBe(2);
    expect(forever.stderr).toContain('history.keep is "forever"');
  });
});
