// Writes a sgwatch YAML config for a test: the simulator as the target
// endpoint, a database and an approvals directory in the test's temp dir, and
// optionally the mail sink as the email channel.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import { loadConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/schema.js";

/** The demo account the simulator seeds. */
export const TEST_ACCOUNT = "123456789012";

/** What to put in the config. */
export interface TestConfigOptions {
  /** Directory for config.yaml, the database (data/sgwatch.db) and approvals/. */
  dir: string;
  /** Simulator endpoint for the (single) target. */
  endpoint: string;
  /** Regions of the target; default us-east-1. */
  regions?: string[];
  /** Target label. */
  label?: string;
  /** Enable the email channel to 127.0.0.1:smtpPort. */
  smtpPort?: number;
  /** Top-level keys merged over the defaults (objects are merged one level deep). */
  extra?: Record<string, unknown>;
}

/** Where the written files are. */
export interface TestConfigFiles {
  configPath: string;
  databasePath: string;
  approvalsDir: string;
  /** The object that was written, for tests that rewrite it. */
  raw: Record<string, unknown>;
}

export function testConfigObject(opts: TestConfigOptions): Record<string, unknown> {
  const databasePath = path.join(opts.dir, "data", "sgwatch.db");
  const approvalsDir = path.join(opts.dir, "approvals");
  const raw: Record<string, unknown> = {
    database: databasePath,
    schedule: "*/5 * * * *",
    targets: [
      {
        ...(opts.label !== undefined ? { label: opts.label } : {}),
        account: TEST_ACCOUNT,
        regions: opts.regions ?? ["us-east-1"],
        endpoint: opts.endpoint,
      },
    ],
    approvals: { dir: approvalsDir },
    alerts: {
      log: { minSeverity: "low" },
      // The demo account is already exposed (web tier open to the world on a public load balancer), so a
      // baseline would send a posture mail; tests of changes start from a quiet baseline, posture tests turn it on.
      baselinePosture: false,
      ...(opts.smtpPort !== undefined
        ? { email: { host: "127.0.0.1", port: opts.smtpPort, from: "sgwatch@test.example", to: ["ops@test.example"], minSeverity: "low" } }
        : {}),
    },
    aws: { maxAttempts: 1, timeout: "5s" },
  };
  for (const [k, v] of Object.entries(opts.extra ?? {})) {
    const base = raw[k];
    raw[k] = isPlainObject(base) && isPlainObject(v) ? { ...base, ...v } : v;
  }
  return raw;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Write config.yaml (and create the approvals dir); returns the paths. */
export function writeTestConfig(opts: TestConfigOptions): TestConfigFiles {
  const raw = testConfigObject(opts);
  const configPath = path.join(opts.dir, "config.yaml");
  const approvalsDir = (raw.approvals as { dir: string }).dir;
  mkdirSync(approvalsDir, { recursive: true });
  writeFileSync(configPath, stringify(raw));
  return { configPath, databasePath: raw.database as string, approvalsDir, raw };
}

/** Load a written config through sgwatch's own loader (with an empty environment). */
export function loadTestConfig(files: TestConfigFiles): Config {
  return loadConfig(files.configPath, {});
}
