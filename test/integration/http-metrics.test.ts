// Proves the HTTP listener's two endpoints against a real SQLite database
// whose state was written by the store's own code (ensureTarget,
// recordSuccessfulPoll, recordFailedPoll, the outbox repo), scraped over real
// HTTP and parsed as a Prometheus server would:
// - counters and the cycle histogram count what observeCycle was given;
// - the alert queue, last successful poll, groups, rules and blindness are
//   read from the database at scrape time (a change in the database shows in
//   the next scrape with no call into metrics);
// - /healthz is 503 naming the blind target, since when and its last error,
//   200 once it recovers, 503 "scheduler not running" when stopped;
// - unknown paths are 404, other methods 405, and the default bind is loopback.
// A mismatch between what the store writes and what the scrape-time queries
// read fails here.
import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "better-sqlite3";
import { openDatabase } from "../../src/store/open.js";
import { ensureTarget, type TargetRow } from "../../src/store/targets-repo.js";
import { recordFailedPoll, recordSuccessfulPoll, type RecordDeps, type SuccessOutcome } from "../../src/store/record-poll.js";
import { listOutbox, markDead, markSent } from "../../src/store/outbox-repo.js";
import { routeAlert } from "../../src/alerts/route.js";
import { compareRules } from "../../src/model/rule-key.js";
import type { GroupState, Rule } from "../../src/model/types.js";
import type { CycleResult, TargetResult } from "../../src/daemon/cycle.js";
import { createMetrics, type Metrics } from "../../src/daemon/metrics.js";
import { healthReport, type TargetKey } from "../../src/daemon/health.js";
import { startHttpServer, type HttpServer } from "../../src/daemon/http-server.js";
import { parsePromText, type PromScrape } from "../support/prom-text.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { REFERENCE_INSTANT } from "../support/fake-clock.js";

/** REFERENCE_INSTANT (2026-03-02 10:00:00 UTC) plus `minutes` and `seconds`. */
const at = (minutes: number, seconds = 0): string => new Date(Date.parse(REFERENCE_INSTANT) + minutes * 60_000 + seconds * 1000).toISOString();
const unix = (isoText: string): number => Date.parse(isoText) / 1000;

const A = { account: "111111111111", region: "eu-west-1", label: "prod" };
const B = { account: "222222222222", region: "us-east-1", label: null };
const C = { account: "333333333333", region: "eu-central-1", label: null };
const B_ERROR = "AWS denied ec2:DescribeSecurityGroups (UnauthorizedOperation)";

function rule(over: Partial<Rule>): Rule {
  return { direction: "ingress", protocol: "tcp", fromPort: 443, toPort: 443, sourceKind: "ipv4", source: "10.0.0.0/8", sourceAccount: null, peeringId: null, description: null, ...over };
}

function group(groupId: string, owner: string, rules: Rule[]): GroupState {
  return { groupId, name: `name-${groupId}`, description: "d", vpcId: "vpc-1", ownerId: owner, tags: {}, rules: [...rules].sort(compareRules) };
}

/** World-open is critical, anything else low; port 443 is approved. Enough to fill every label. */
const deps: RecordDeps = {
  judge: (changes) =>
    changes.map((change) => {
      const approved = change.rule?.fromPort === 443;
      return {
        change,
        judgement: {
          severity: change.rule?.source === "0.0.0.0/0" ? "critical" : "low",
          status: approved ? "approved" : "unapproved",
          approvalId: approved ? "CHG-1" : null,
          approvalIds: approved ? ["CHG-1"] : [],
          approvalNote: null,
        },
      };
    }),
  route: (payload) =>
    routeAlert(
      [
        { channel: "log", minSeverity: "low" },
        { channel: "webhook", minSeverity: "high" },
      ],
      payload,
    ),
  blindAfterFailures: 3,
};

function targetResult(t: typeof A | typeof B, ok: boolean, outcome?: SuccessOutcome): TargetResult {
  return {
    account: t.account,
    region: t.region,
    label: t.label,
    ok,
    baseline: outcome?.baseline ?? false,
    pages: 1,
    groups: 0,
    rules: 0,
    judged: outcome?.judged ?? [],
    changeIds: outcome?.changeIds ?? [],
    error: ok ? null : { code: "UnauthorizedOperation", message: B_ERROR } as TargetResult["error"],
    durationMs: 0,
  };
}

function cycle(startedAt: string, finishedAt: string, targets: TargetResult[]): CycleResult {
  return { startedAt, finishedAt, targets, approvalProblems: [], approvalRecords: 0 };
}

describe("HTTP listener: /metrics and /healthz over a real database", () => {
  let tmp: TempDir;
  let db: Database;
  let metrics: Metrics;
  let server: HttpServer;
  let base: string;
  let schedulerActive = true;
  let configured: TargetKey[] | undefined;
  let rowB: TargetRow;

  beforeAll(async () => {
    tmp = makeTempDir();
    db = openDatabase(tmp.join("sgwatch.db"), { now: () => REFERENCE_INSTANT }).db;
    metrics = createMetrics(db, { processMetrics: false });
    const rowA = ensureTarget(db, A.account, A.region, A.label, at(0));
    rowB = ensureTarget(db, B.account, B.region, B.label, at(0));
    const rowC = ensureTarget(db, C.account, C.region, C.label, at(0));
    const fail = (row: TargetRow, minute: number) =>
      recordFailedPoll(db, row.id, { startedAt: at(minute), finishedAt: at(minute, 1), errorCode: "UnauthorizedOperation", error: B_ERROR }, deps);

    // Cycle 1 (2 s): A and B baselines, C fails once.
    const a1 = [group("sg-a1", A.account, [rule({ fromPort: 80, toPort: 80 }), rule({ fromPort: 8080, toPort: 8080 })]), group("sg-a2", A.account, [rule({ fromPort: 5432, toPort: 5432 })])];
    const a1out = recordSuccessfulPoll(db, rowA.id, { groups: a1, pages: 1, startedAt: at(0), finishedAt: at(0, 1) }, deps);
    const b1out = recordSuccessfulPoll(db, rowB.id, { groups: [group("sg-b1", B.account, [rule({})])], pages: 1, startedAt: at(0), finishedAt: at(0, 2) }, deps);
    fail(rowC, 0);
    metrics.observeCycle(cycle(at(0), at(0, 2), [targetResult(A, true, a1out), targetResult(B, true, b1out), targetResult(C, false)]));

    // Cycle 2 (3 s): A gets SSH from anywhere (critical, unapproved) and 443 (low, approved); B fails.
    const a2 = [
      group("sg-a1", A.account, [...(a1[0] as GroupState).rules, rule({ fromPort: 22, toPort: 22, source: "0.0.0.0/0" })]),
      group("sg-a2", A.account, [...(a1[1] as GroupState).rules, rule({})]),
    ];
    const a2out = recordSuccessfulPoll(db, rowA.id, { groups: a2, pages: 1, startedAt: at(5), finishedAt: at(5, 3) }, deps);
    fail(rowB, 5);
    metrics.observeCycle(cycle(at(5), at(5, 3), [targetResult(A, true, a2out), targetResult(B, false)]));

    // Cycles 3 and 4 (1 s each): B fails again and turns blind on the third failure.
    fail(rowB, 10);
    metrics.observeCycle(cycle(at(10), at(10, 1), [targetResult(B, false)]));
    fail(rowB, 15);
    metrics.observeCycle(cycle(at(15), at(15, 1), [targetResult(B, false)]));

    // Outbox now: drift (log, webhook) and blind (log, webhook). Deliver one, kill one.
    const rows = listOutbox(db, null).reverse();
    expect(rows.map((r) => `${r.kind}/${r.channel}`)).toEqual(["drift/log", "drift/webhook", "monitoring-blind/log", "monitoring-blind/webhook"]);
    markSent(db, (rows[0] as { id: number }).id, at(6));
    markDead(db, (rows[3] as { id: number }).id, "HTTP 500");

    server = await startHttpServer({ port: 0, health: () => healthReport(db, schedulerActive, configured), metrics });
    base = `http://127.0.0.1:${server.port}`;
  });

  afterAll(async () => {
    await server?.close();
    db?.close();
    tmp?.remove();
  });

  async function scrape(): Promise<PromScrape> {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    return parsePromText(await res.text());
  }

  it("counts polls and failures by target", async () => {
    const m = await scrape();
    expect(m.families.get("sgwatch_polls_total")?.type).toBe("counter");
    expect(m.value("sgwatch_polls_total", { account: A.account, region: A.region })).toBe(2);
    expect(m.value("sgwatch_polls_total", { account: B.account, region: B.region })).toBe(4);
    expect(m.value("sgwatch_polls_total", { account: C.account, region: C.region })).toBe(1);
    expect(m.value("sgwatch_poll_failures_total", { account: A.account, region: A.region })).toBe(0);
    expect(m.value("sgwatch_poll_failures_total", { account: B.account, region: B.region })).toBe(3);
    expect(m.value("sgwatch_poll_failures_total", { account: C.account, region: C.region })).toBe(1);
  });

  it("histograms cycle durations", async () => {
    const m = await scrape();
    expect(m.families.get("sgwatch_cycle_duration_seconds")?.type).toBe("histogram");
    expect(m.value("sgwatch_cycle_duration_seconds_count")).toBe(4);
    expect(m.value("sgwatch_cycle_duration_seconds_sum")).toBe(7);
    expect(m.value("sgwatch_cycle_duration_seconds_bucket", { le: "0.5" })).toBe(0);
    expect(m.value("sgwatch_cycle_duration_seconds_bucket", { le: "1" })).toBe(2);
    expect(m.value("sgwatch_cycle_duration_seconds_bucket", { le: "2" })).toBe(3);
    expect(m.value("sgwatch_cycle_duration_seconds_bucket", { le: "5" })).toBe(4);
    expect(m.value("sgwatch_cycle_duration_seconds_bucket", { le: "+Inf" })).toBe(4);
  });

  it("counts changes by severity and status, with zero series for the rest", async () => {
    const m = await scrape();
    expect(m.value("sgwatch_changes_total", { severity: "critical", status: "unapproved" })).toBe(1);
    expect(m.value("sgwatch_changes_total", { severity: "low", status: "approved" })).toBe(1);
    expect(m.value("sgwatch_changes_total", { severity: "high", status: "unapproved" })).toBe(0);
    expect(m.value("sgwatch_changes_total", { severity: "critical", status: "revert" })).toBe(0);
    // Four severities × approved, unapproved and revert (a change that undid an unapproved one).
    expect(m.all("sgwatch_changes_total")).toHaveLength(12);
  });

  it("reads the alert queue by channel and status from the outbox at scrape time", async () => {
    let m = await scrape();
    expect(m.families.get("sgwatch_alerts")?.type).toBe("gauge");
    const queue = (s: PromScrape) => Object.fromEntries(s.all("sgwatch_alerts").map((x) => [`${x.labels.channel}/${x.labels.status}`, x.value]));
    expect(queue(m)).toEqual({ "log/pending": 1, "log/sent": 1, "log/dead": 0, "webhook/pending": 1, "webhook/sent": 0, "webhook/dead": 1 });
    // Written behind the metrics' back: the next scrape shows it.
    const pendingWebhook = listOutbox(db, "pending").find((r) => r.channel === "webhook");
    markSent(db, (pendingWebhook as { id: number }).id, at(20));
    m = await scrape();
    expect(queue(m)).toMatchObject({ "webhook/pending": 0, "webhook/sent": 1 });
  });

  it("reads last successful poll, groups, rules and blindness per target from the database", async () => {
    const m = await scrape();
    expect(m.value("sgwatch_last_successful_poll_timestamp_seconds", { account: A.account, region: A.region })).toBe(unix(at(5, 3)));
    expect(m.value("sgwatch_last_successful_poll_timestamp_seconds", { account: B.account, region: B.region })).toBe(unix(at(0, 2)));
    // Never polled successfully: no series, rather than a 1970 timestamp.
    expect(m.value("sgwatch_last_successful_poll_timestamp_seconds", { account: C.account, region: C.region })).toBeUndefined();
    expect(m.value("sgwatch_groups", { account: A.account, region: A.region })).toBe(2);
    expect(m.value("sgwatch_rules", { account: A.account, region: A.region })).toBe(5);
    expect(m.value("sgwatch_groups", { account: B.account, region: B.region })).toBe(1);
    expect(m.value("sgwatch_rules", { account: B.account, region: B.region })).toBe(1);
    expect(m.value("sgwatch_groups", { account: C.account })).toBeUndefined();
    expect(m.value("sgwatch_target_blind", { account: B.account })).toBe(1);
    expect(m.value("sgwatch_target_blind", { account: A.account })).toBe(0);
    expect(m.value("sgwatch_target_blind", { account: C.account })).toBe(0);
  });

  it("leaves out targets removed from the config when told which are configured", async () => {
    const limited = createMetrics(db, { processMetrics: false, targets: () => [A] });
    const m = parsePromText(await limited.render());
    expect(m.all("sgwatch_groups").map((s) => s.labels.account)).toEqual([A.account]);
    expect(m.all("sgwatch_target_blind").map((s) => s.labels.account)).toEqual([A.account]);
  });

  it("/healthz is 503 naming the blind target, since when, and its last error", async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await res.json()) as Record<string, unknown> & { blind: Array<Record<string, unknown>>; reasons: string[] };
    expect(body.status).toBe("unhealthy");
    expect(body.schedulerRunning).toBe(true);
    expect(body.blind).toEqual([
      {
        account: B.account,
        region: B.region,
        label: null,
        blindSince: at(5), // the first failed poll of the run of failures
        consecutiveFailures: 3,
        lastError: B_ERROR,
        lastSuccessAt: at(0, 2),
      },
    ]);
    expect(body.reasons).toHaveLength(1);
    expect(body.reasons[0]).toContain(`${B.account}/${B.region} is blind since ${at(5)}`);
    expect(body.reasons[0]).toContain(B_ERROR);
  });

  it("/healthz ignores a blind target that is no longer configured", async () => {
    configured = [A, C];
    try {
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    } finally {
      configured = undefined;
    }
  });

  it("/healthz is 200 once the blind target is polled again, 503 when the scheduler stops", async () => {
    recordSuccessfulPoll(db, rowB.id, { groups: [group("sg-b1", B.account, [rule({})])], pages: 1, startedAt: at(20), finishedAt: at(20, 1) }, deps);
    let res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", healthy: true, reasons: [], blind: [], targets: 3 });
    expect((await scrape()).value("sgwatch_target_blind", { account: B.account })).toBe(0);

    schedulerActive = false;
    try {
      res = await fetch(`${base}/healthz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ status: "unhealthy", schedulerRunning: false, reasons: ["scheduler not running"] });
    } finally {
      schedulerActive = true;
    }
  });

  it("answers 404 for other paths and 405 for other methods", async () => {
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/metrics/extra`)).status).toBe(404);
    const post = await fetch(`${base}/metrics`, { method: "POST", body: "x" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    const head = await fetch(`${base}/healthz`, { method: "HEAD" });
    expect(head.status).toBe(200);
  });

  // Proving "loopback only" needs an address of this host that is not loopback.
  const external = Object.values(os.networkInterfaces())
    .flat()
    .find((i) => i && i.family === "IPv4" && !i.internal)?.address;
  it.skipIf(!external)("binds 127.0.0.1 by default: another address of this host is refused", async () => {
    await expect(fetch(`http://${external}:${server.port}/healthz`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
  });

  it("rejects an address in use, naming the config keys", async () => {
    await expect(startHttpServer({ port: server.port, health: () => healthReport(db, true), metrics })).rejects.toThrow(/http\.host\/http\.port.*EADDRINUSE/);
  });
});
