// Proves `sgwatch alerts` as an operator runs it (the built CLI as a child
// process) on an outbox written through src/store/outbox-repo.ts:
// - `alerts --pending` and `alerts --dead` list exactly the rows of that
//   status, newest first; plain `alerts` lists every row;
// - `alerts retry ID` puts a dead alert back to pending, due now, with its
//   maxAge clock restarted (queued_at), and the next dispatch delivers it;
// - retrying a sent alert or an unknown id, and `--pending --dead` together,
//   exit 2 with a message naming the problem and change nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import BetterSqlite3 from "better-sqlite3";
import { openDatabase } from "../../src/store/open.js";
import { enqueueAlert, markDead, markRetry, markSent, type OutboxRow } from "../../src/store/outbox-repo.js";
import type { AlertPayload } from "../../src/model/alert-payload.js";
import { App } from "../../src/daemon/app.js";
import { startMailSink, type MailSink } from "../../src/demo/mail-sink.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { writeTestConfig, loadTestConfig, TEST_ACCOUNT, type TestConfigFiles } from "../support/config-file.js";
import { runCli, assertBuilt, type CliResult } from "../support/cli.js";
import { captureLog } from "../support/log-capture.js";
import { MONITOR } from "../support/sim-harness.js";
import { parseMessages } from "../support/mailbox.js";

const QUEUED = "2026-03-01T10:00:00.000Z";

function blind(region: string): AlertPayload {
  return {
    type: "monitoring-blind",
    target: { account: TEST_ACCOUNT, region, label: null },
    failures: 3,
    since: QUEUED,
    lastSuccessAt: null,
    lastError: `AuthFailure in ${region}`,
  };
}

describe("sgwatch alerts", { timeout: 60_000 }, () => {
  let tmp: TempDir;
  let sink: MailSink;
  let files: TestConfigFiles;
  const ids = { pending: 0, deadOld: 0, sent: 0, deadNew: 0 };

  beforeAll(async () => {
    assertBuilt();
    tmp = makeTempDir();
    sink = await startMailSink();
    // The target is never polled here; the endpoint only has to be valid.
    files = writeTestConfig({ dir: tmp.path, endpoint: "http://127.0.0.1:9", smtpPort: sink.port });
    const { db } = openDatabase(files.databasePath, { now: () => QUEUED });
    try {
      ids.pending = enqueueAlert(db, "email", "high", blind("us-east-1"), QUEUED);
      markRetry(db, ids.pending, "451 try later", "2026-03-01T10:05:00.000Z");
      ids.deadOld = enqueueAlert(db, "email", "high", blind("us-west-2"), QUEUED);
      markDead(db, ids.deadOld, "connect ECONNREFUSED 127.0.0.1:1");
      ids.sent = enqueueAlert(db, "email", "high", blind("eu-west-1"), QUEUED);
      markSent(db, ids.sent, QUEUED);
      ids.deadNew = enqueueAlert(db, "log", "high", blind("eu-central-1"), QUEUED);
      markDead(db, ids.deadNew, "log channel broken");
    } finally {
      db.close();
    }
  });

  afterAll(async () => {
    await sink?.close();
    tmp?.remove();
  });

  const cli = (...args: string[]): Promise<CliResult> => runCli(["--config", files.configPath, "alerts", ...args]);
  const listed = async (...args: string[]): Promise<Array<Pick<OutboxRow, "id" | "status">>> => {
    const r = await cli(...args, "--json");
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as OutboxRow[]).map((row) => ({ id: row.id, status: row.status }));
  };
  const row = (id: number): OutboxRow => {
    const db = new BetterSqlite3(files.databasePath, { readonly: true });
    try {
      return db.prepare("SELECT * FROM outbox WHERE id = ?").get(id) as OutboxRow;
    } finally {
      db.close();
    }
  };

  it("lists pending, dead and all alerts, newest first", async () => {
    // Side by side: each CLI start costs most of a second.
    const [pending, all, table] = await Promise.all([listed("--pending"), listed(), cli("--dead")]);
    expect(pending).toEqual([{ id: ids.pending, status: "pending" }]);
    expect(all).toEqual([
      { id: ids.deadNew, status: "dead" },
      { id: ids.sent, status: "sent" },
      { id: ids.deadOld, status: "dead" },
      { id: ids.pending, status: "pending" },
    ]);

    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trim().split("\n");
    expect(lines).toHaveLength(4); // header, rule, two rows
    expect(lines.slice(2).map((l) => Number(l.split(/\s+/)[0]))).toEqual([ids.deadNew, ids.deadOld]);
    expect(table.stdout).toContain("ECONNREFUSED");
    expect(table.stdout).toContain(`${TEST_ACCOUNT}/us-west-2`);
    expect(table.stdout).not.toContain("eu-west-1");
  });

  it("re-queues a dead alert, which the next dispatch delivers", async () => {
    const before = row(ids.deadOld);
    const t0 = Date.now();
    const r = await cli("retry", String(ids.deadOld));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`re-queued ${ids.deadOld}`);
    const after = row(ids.deadOld);
    expect(after).toMatchObject({ status: "pending", attempts: before.attempts, created_at: QUEUED, sent_at: null });
    expect(Date.parse(after.next_attempt_at)).toBeGreaterThanOrEqual(t0 - 1000);
    expect(after.queued_at).toBe(after.next_attempt_at);
    expect(await listed("--dead")).toEqual([{ id: ids.deadNew, status: "dead" }]);

    // Delivered by the daemon's dispatch (real clock: it is due now, and its maxAge restarted).
    const app = new App({ config: loadTestConfig(files), logger: captureLog("warn").logger, env: {}, credentials: MONITOR });
    try {
      const d = await app.dispatch();
      expect(d.sent).toBeGreaterThanOrEqual(1);
    } finally {
      await app.close();
    }
    expect(row(ids.deadOld)).toMatchObject({ status: "sent" });
    const subjects = (await parseMessages(sink)).map((m) => m.subject);
    expect(subjects).toContain(`[sgwatch] HIGH: monitoring blind for ${TEST_ACCOUNT} us-west-2 (3 failed polls)`);
  });

  it("refuses to retry a sent alert or an unknown id (exit 2) and changes nothing", async () => {
    const sentBefore = row(ids.sent);
    const [sent, unknown] = await Promise.all([cli("retry", String(ids.sent)), cli("retry", "9999")]);
    expect(sent.code).toBe(2);
    expect(sent.stderr).toMatch(new RegExp(`not re-queued \\(no such alert, or already sent\\): ${ids.sent}\\b`));
    expect(sent.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(row(ids.sent)).toEqual(sentBefore);

    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/not re-queued \(no such alert, or already sent\): 9999\b/);
  });

  it("refuses --pending and --dead together (exit 2)", async () => {
    const r = await cli("--pending", "--dead");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/choose one of --pending and --dead/);
    expect(r.stdout).toBe("");
  });
});
