// Proves what the built CLI (a child process) does with a database it cannot
// use: exit 2, a message naming the path, and the file left alone.
// - A database with corrupted pages (bytes overwritten in the middle of a
//   multi-page file): `status` and `poll` exit 2 naming the file and
//   "quick_check", and the file's bytes are the same afterwards.
// - A database directory that does not exist: `poll` exits 2 naming it and
//   creates nothing.
// - A database directory the user cannot write: `poll` and `run` exit 2
//   naming it. Root ignores permission bits, so when the tests run as root
//   the CLI is run as `nobody` through setpriv (util-linux); without setpriv
//   or a nobody user the case is skipped (migrations.test.ts covers the
//   store's message as non-root).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, statSync, writeSync } from "node:fs";
import { createHash } from "node:crypto";
import path from "node:path";
import { openDatabase } from "../../src/store/open.js";
import { migrate, readMigrations } from "../../src/store/migrate.js";
import BetterSqlite3 from "better-sqlite3";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { writeTestConfig, type TestConfigFiles } from "../support/config-file.js";
import { runCli, assertBuilt, cliEnv, CLI_BIN, REPO_ROOT, type CliResult } from "../support/cli.js";

const PAGE = 4096;
/** The target is never reached in these tests; the endpoint only has to be valid. */
const NO_ENDPOINT = "http://127.0.0.1:9";

const sha256 = (file: string): string => createHash("sha256").update(readFileSync(file)).digest("hex");

/** A migrated database of a few hundred pages, then four pages in its middle overwritten. */
function corruptDatabase(file: string): void {
  const { db } = openDatabase(file);
  db.exec("CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT)");
  const insert = db.prepare("INSERT INTO filler (body) VALUES (?)");
  db.transaction(() => {
    for (let i = 0; i < 2000; i++) insert.run(`${"x".repeat(400)}${i}`);
  })();
  db.close();
  const pages = statSync(file).size / PAGE;
  expect(pages).toBeGreaterThan(100);
  const fd = openSync(file, "r+");
  try {
    writeSync(fd, Buffer.alloc(4 * PAGE, 0xa5), 0, 4 * PAGE, Math.floor(pages / 2) * PAGE);
  } finally {
    closeSync(fd);
  }
}

describe("the CLI refuses an unusable database with exit 2", { timeout: 60_000 }, () => {
  let tmp: TempDir;
  beforeEach(() => {
    assertBuilt();
    tmp = makeTempDir();
  });
  afterEach(() => {
    tmp.remove();
  });

  it("fails PRAGMA quick_check on a database with corrupted pages, naming the file, and leaves it byte for byte", async () => {
    const files = writeTestConfig({ dir: tmp.path, endpoint: NO_ENDPOINT });
    corruptDatabase(files.databasePath);
    const before = sha256(files.databasePath);
    for (const command of ["status", "poll"]) {
      const r = await runCli(["--config", files.configPath, command]);
      expect(r.code, `${command}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(`database ${files.databasePath} failed PRAGMA quick_check`);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(sha256(files.databasePath), command).toBe(before);
    }
  });

  it("names a database directory that does not exist and creates nothing", async () => {
    const files = writeTestConfig({ dir: tmp.path, endpoint: NO_ENDPOINT, extra: { database: tmp.join("no", "such", "sgwatch.db") } });
    const r = await runCli(["--config", files.configPath, "poll"]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(tmp.join("no", "such"));
    expect(existsSync(tmp.join("no"))).toBe(false);
  });

  describe("a database directory this user cannot write", () => {
    const root = process.getuid?.() === 0;
    const setpriv = root ? spawnSync("which", ["setpriv"]).status === 0 && spawnSync("id", ["-u", "nobody"]).status === 0 : false;

    /** Run the CLI unprivileged: as is when not root, as nobody (setpriv) when root. */
    const runUnprivileged = (args: string[]): Promise<CliResult> => {
      if (!root) return runCli(args);
      const started = Date.now();
      const child = spawn("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", process.execPath, CLI_BIN, ...args], {
        cwd: REPO_ROOT,
        env: cliEnv({ HOME: "/tmp" }),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
      child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          child.kill("SIGKILL");
          reject(new Error(`sgwatch ${args.join(" ")} as nobody did not finish\n${stderr}`));
        }, 30_000);
        child.on("error", reject);
        child.on("close", (code, signal) => {
          clearTimeout(timer);
          resolve({ code, signal, stdout, stderr, durationMs: Date.now() - started });
        });
      });
    };

    it.runIf(!root || setpriv)("poll and run exit 2 naming the directory (as nobody when root)", async () => {
      let files: TestConfigFiles;
      const dir = tmp.join("ro");
      if (root) {
        // nobody must reach the config; the directory stays root's and 0755: readable, not writable.
        chmodSync(tmp.path, 0o755);
        mkdirSync(dir, { mode: 0o755 });
        files = writeTestConfig({ dir: tmp.path, endpoint: NO_ENDPOINT, extra: { database: path.join(dir, "sgwatch.db") } });
        chmodSync(files.configPath, 0o644);
      } else {
        mkdirSync(dir, { mode: 0o500 });
        files = writeTestConfig({ dir: tmp.path, endpoint: NO_ENDPOINT, extra: { database: path.join(dir, "sgwatch.db") } });
      }
      try {
        for (const command of ["poll", "run"]) {
          const r = await runUnprivileged(["--config", files.configPath, command]);
          // (A different failure here may mean nobody cannot read the repository or node: see stderr.)
          expect(r.stderr, command).toContain(`database directory ${dir} is not writable`);
          expect(r.code, `${command}: ${r.stderr}`).toBe(2);
          expect(readdirSync(dir)).toEqual([]);
        }
      } finally {
        chmodSync(dir, 0o700);
      }
    });
  });

  it("an empty (0-byte) file: reads exit 2 saying it is empty, migrate initialises it owner-only", async () => {
    const files = writeTestConfig({ dir: tmp.path, endpoint: NO_ENDPOINT });
    mkdirSync(path.dirname(files.databasePath), { recursive: true });
    closeSync(openSync(files.databasePath, "w"));
    chmodSync(files.databasePath, 0o644);
    for (const command of ["status", "changes"]) {
      const r = await runCli(["--config", files.configPath, command]);
      expect(r.code, `${command}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(`database ${files.databasePath} is empty`);
      expect(r.stderr).not.toContain("internal error");
      expect(statSync(files.databasePath).size).toBe(0);
    }
    const m = await runCli(["--config", files.configPath, "migrate"]);
    expect(m.code, m.stderr).toBe(0);
    expect((statSync(files.databasePath).mode & 0o777).toString(8)).toBe("600");
    const s = await runCli(["--config", files.configPath, "status"]);
    expect(s.code, s.stderr).not.toBe(70);
    expect(s.stderr).not.toContain("internal error");
  });

  it("another program's SQLite file is refused (exit 2) and left byte for byte", async () => {
    const files = writeTestConfig({ dir: tmp.path, endpoint: NO_ENDPOINT });
    mkdirSync(path.dirname(files.databasePath), { recursive: true });
    const other = new BetterSqlite3(files.databasePath);
    other.exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices (total) VALUES (12.5)");
    other.close();
    const before = sha256(files.databasePath);
    for (const command of ["status", "poll", "migrate"]) {
      const r = await runCli(["--config", files.configPath, command]);
      expect(r.code, `${command}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(`${files.databasePath} is not an sgwatch database`);
      expect(sha256(files.databasePath), command).toBe(before);
    }
  });

  it("a database with migrations still to apply: reads exit 2 and say to run migrate", async () => {
    const files = writeTestConfig({ dir: tmp.path, endpoint: NO_ENDPOINT });
    const { db } = openDatabase(files.databasePath, { skipMigrate: true });
    migrate(db, readMigrations(path.join(REPO_ROOT, "migrations")).slice(0, 1), () => "2026-03-02T10:00:00.000Z");
    db.close();
    const r = await runCli(["--config", files.configPath, "status"]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/has schema version 1, this sgwatch needs \d+; run `sgwatch migrate`/);
  });

  it("tightens a pre-existing 0644 database and its -wal/-shm files to 0600", async () => {
    const files = writeTestConfig({ dir: tmp.path, endpoint: NO_ENDPOINT });
    // A reader holding the database open keeps its -wal and -shm files in place.
    openDatabase(files.databasePath).db.close();
    const holder = new BetterSqlite3(files.databasePath);
    try {
      holder.prepare("SELECT count(*) FROM targets").get();
      const all = [files.databasePath, `${files.databasePath}-wal`, `${files.databasePath}-shm`];
      for (const f of all) chmodSync(f, 0o644);
      const r = await runCli(["--config", files.configPath, "migrate"]);
      expect(r.code, r.stderr).toBe(0);
      for (const f of all) expect((statSync(f).mode & 0o777).toString(8), f).toBe("600");
    } finally {
      holder.close();
    }
  });
});
