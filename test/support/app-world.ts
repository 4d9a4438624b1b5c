// One self-contained sgwatch world for a scenario: the simulator over HTTP
// (seeded demo account), the SMTP mail sink, a fake clock, a config and
// approvals directory in a temp dir, App in-process, and a read-only
// connection to its SQLite file. `poll()` is one cycle plus delivery, as the
// daemon's tick does it; `newMails()` returns what arrived since last asked.
import BetterSqlite3, { type Database } from "better-sqlite3";
import type { ParsedMail } from "mailparser";
import { App } from "../../src/daemon/app.js";
import type { CycleResult } from "../../src/daemon/cycle.js";
import { startMailSink, type MailSink } from "../../src/demo/mail-sink.js";
import { makeTempDir, type TempDir } from "./temp-dir.js";
import { startSimHarness, MONITOR, type SimHarness } from "./sim-harness.js";
import { writeTestConfig, loadTestConfig, type TestConfigFiles } from "./config-file.js";
import { captureLog, type CapturedLog } from "./log-capture.js";
import { fakeClock, REFERENCE_INSTANT, type FakeClock } from "./fake-clock.js";
import { parseMessages } from "./mailbox.js";
import type { ApprovalViewRow, ChangeViewRow } from "../../src/store/view-rows.js";
export type { ApprovalViewRow, ChangeViewRow };



/** A running world. */
export interface AppWorld {
  readonly tmp: TempDir;
  readonly harness: SimHarness;
  readonly sink: MailSink;
  readonly log: CapturedLog;
  readonly clock: FakeClock;
  readonly files: TestConfigFiles;
  readonly app: App;
  /** Read-only connection to the App's database. */
  readonly reader: Database;
  /** One cycle, then deliver what it queued. */
  poll(): Promise<CycleResult>;
  /** Every row of the `changes` view, by id. */
  changes(): ChangeViewRow[];
  /** One row of the `changes` view. */
  change(id: number): ChangeViewRow;
  /** Every row of the `approvals` view, by id. */
  approvals(): ApprovalViewRow[];
  /** Messages received since the last call (or since start), parsed. */
  newMails(): Promise<ParsedMail[]>;
  close(): Promise<void>;
}

/** Options of startAppWorld. */
export interface AppWorldOptions {
  /** Top-level config keys merged over the test defaults (see writeTestConfig). */
  extra?: Record<string, unknown>;
  /** Called with the approvals dir before App starts (to write records for the baseline cycle). */
  beforeStart?(approvalsDir: string): void;
  /** The target's label (shown in alert headers); none when unset. */
  label?: string;
  /** Seed of the simulator's ids, for output that must be the same on every run; random when unset. */
  simSeed?: number;
  /** Run the simulator on the world's fake clock, so CloudTrail event times and poll times share one time line. */
  simOnClock?: boolean;
}

export async function startAppWorld(opts: AppWorldOptions = {}): Promise<AppWorld> {
  const tmp = makeTempDir();
  const clock = fakeClock(REFERENCE_INSTANT); // 2026-03-02 10:00 UTC
  const harness = await startSimHarness({ ...(opts.simSeed === undefined ? {} : { seed: opts.simSeed }), ...(opts.simOnClock ? { clock: clock.clock } : {}) });
  const sink = await startMailSink();
  const log = captureLog();
  const files = writeTestConfig({ dir: tmp.path, endpoint: harness.endpoint, smtpPort: sink.port, ...(opts.extra ? { extra: opts.extra } : {}), ...(opts.label === undefined ? {} : { label: opts.label }) });
  opts.beforeStart?.(files.approvalsDir);
  const app = new App({ config: loadTestConfig(files), logger: log.logger, env: {}, clock: clock.clock, credentials: MONITOR });
  const reader = new BetterSqlite3(files.databasePath, { readonly: true });
  let seen = 0;
  const changes = (): ChangeViewRow[] => reader.prepare("SELECT * FROM changes ORDER BY id").all() as ChangeViewRow[];
  return {
    tmp,
    harness,
    sink,
    log,
    clock,
    files,
    app,
    reader,
    async poll() {
      const result = await app.cycle();
      await app.dispatch();
      return result;
    },
    changes,
    change(id) {
      const row = reader.prepare("SELECT * FROM changes WHERE id = ?").get(id) as ChangeViewRow | undefined;
      if (!row) throw new Error(`no change ${id} in the changes view`);
      return row;
    },
    approvals: () => reader.prepare("SELECT * FROM approvals ORDER BY id").all() as ApprovalViewRow[],
    async newMails() {
      const all = await parseMessages(sink);
      const fresh = all.slice(seen);
      seen = all.length;
      return fresh;
    },
    async close() {
      reader.close();
      await app.close();
      await sink.close();
      await harness.close();
      tmp.remove();
    },
  };
}
