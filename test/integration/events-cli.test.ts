// `sgwatch events` as people run it: the CLI as a child process over a real
// database the real sweep filled from the simulator's CloudTrail (records
// seeded in CloudTrail's JSON form, one with hostile text). Proves the
// filters (--failed, --since/--until, --group, --who), JSON output, that text
// from CloudTrail reaches the terminal sanitised, and that bad arguments exit
// 2 naming the flag.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import path from "node:path";
import { startSimulator, type Simulator } from "../../src/sim/server.js";
import { seedDemoAccount } from "../../src/sim/seed-demo.js";
import { App } from "../../src/daemon/app.js";
import { MONITOR } from "../support/sim-harness.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { writeTestConfig, loadTestConfig } from "../support/config-file.js";
import { captureLog } from "../support/log-capture.js";
import { fakeClock } from "../support/fake-clock.js";
import { runCli, type CliResult } from "../support/cli.js";

const FIXTURE = path.join(import.meta.dirname, "..", "fixtures", "cloudtrail", "captured-records.json");
const HOSTILE_AGENT = "evil\u001b[2J\r\nFAKE: all clear";

describe("sgwatch events", () => {
  let tmp: TempDir;
  let sim: Simulator;
  let dbFile: string;
  const cli = (...args: string[]): Promise<CliResult> => runCli(["--db", dbFile, "events", "--since", "2026-03-02T00:00Z", ...args]);

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    tmp = makeTempDir();
    const clock = fakeClock("2026-03-02T10:00:00.000Z");
    sim = await startSimulator({ clock: clock.clock });
    seedDemoAccount(sim.state, { region: "us-east-1" });
    const file = JSON.parse(readFileSync(FIXTURE, "utf8")) as { Records: Array<Record<string, unknown>> };
    const hostile = { ...structuredClone(file.Records[0]), eventID: "11111111-2222-4333-a444-555555555555", eventTime: "2026-03-02T09:59:30Z", userAgent: HOSTILE_AGENT, sourceIPAddress: "192.0.2.78\u0007" };
    sim.cloudtrail.seed({ Records: [...file.Records, hostile] });
    const files = writeTestConfig({ dir: tmp.path, endpoint: sim.endpoint, extra: { cloudtrail: { enabled: true } } });
    dbFile = files.databasePath;
    const app = new App({ config: loadTestConfig(files), logger: captureLog().logger, env: {}, clock: clock.clock, credentials: MONITOR, sleep: async (ms) => void clock.advance(ms) });
    try {
      await app.sweep();
    } finally {
      await app.close();
    }
  });

  afterAll(async () => {
    await sim?.close();
    tmp?.remove();
  });

  it("lists the failed calls with who, key and address, and the text from CloudTrail on one clean line each", async () => {
    const r = await cli("--failed");
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(4); // header, rule, two failed calls
    expect(r.stdout).toContain("Client.UnauthorizedOperation");
    expect(r.stdout).toContain("add ingress TCP 3389 from 0.0.0.0/0");
    expect(r.stdout).toContain("AKIAEXAMPLEMALLORY01");
    expect(r.stdout).not.toContain("RevokeSecurityGroupIngress");
    // eslint-disable-next-line no-control-regex
    expect(r.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
  });

  it("filters by --who (part of a user name, ARN or key, any case), --group and --until; prints JSON with the canonical rules", async () => {
    const who = JSON.parse((await cli("--who", "deploy-42", "--json")).stdout) as Array<Record<string, unknown>>;
    expect(who.map((e) => e.event_id)).toEqual(["7c6b5a49-3827-4165-9e0d-1c2b3a4f5e6d"]);
    expect(who[0]).toMatchObject({
      event_name: "RevokeSecurityGroupIngress",
      outcome: "ok",
      who: "arn:aws:sts::123456789012:assumed-role/deploy-web/deploy-42",
      vpc_endpoint_id: "vpce-0f1e2d3c4b5a69788",
      rulesText: "remove ingress TCP 8443 from 10.0.0.0/8",
      rules: { removed: [{ direction: "ingress", protocol: "tcp", fromPort: 8443, toPort: 8443, sourceKind: "ipv4", source: "10.0.0.0/8" }] },
    });
    const byKey = JSON.parse((await cli("--who", "AKIAEXAMPLEMALLORY01", "--json")).stdout) as unknown[];
    expect(byKey).toHaveLength(2);
    // Part of a name, in any case, is enough: a session name's tail, a role name in capitals, a key's prefix in lower case.
    const ids = async (who: string): Promise<unknown[]> => (JSON.parse((await cli("--who", who, "--json")).stdout) as Array<Record<string, unknown>>).map((e) => e.event_id);
    expect(await ids("ploy-42")).toEqual(["7c6b5a49-3827-4165-9e0d-1c2b3a4f5e6d"]);
    expect(await ids("DEPLOY-WEB")).toEqual(["7c6b5a49-3827-4165-9e0d-1c2b3a4f5e6d"]);
    expect(await ids("akiaexamplemallory")).toHaveLength(2);
    expect(await ids("nobody-at-all")).toEqual([]);
    const group = JSON.parse((await cli("--group", "sg-0123456789abcdef0", "--until", "2026-03-02T09:59:00Z", "--json")).stdout) as Array<Record<string, unknown>>;
    expect(group.map((e) => e.event_id)).toEqual(["0b5ce4e5-1a2b-4c3d-9e8f-7a6b5c4d3e2f"]);
    expect((await cli("--json")).stdout).toContain(JSON.stringify(HOSTILE_AGENT).slice(1, -1)); // JSON keeps the value, escaped
  });

  it("exits 2 naming the flag for bad arguments", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["--since", "yesterday-ish"], /--since: expected an ISO-8601 time/],
      [["--until", "2026-03-01T00:00Z"], /--since \(2026-03-02T00:00:00Z\) is after --until/],
      [["--group", "no-such-group"], /--group: no group with id or name "no-such-group"/],
      [["--limit", "0"], /--limit: expected a positive whole number/],
      [["--who", " "], /--who: give an ARN/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(...args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(message);
    }
  });

  it("says so when nothing matches", async () => {
    const r = await runCli(["--db", dbFile, "events", "--since", "2026-03-03", "--failed"]);
    expect(r).toMatchObject({ code: 0, stdout: "no failed calls match\n" });
  });
});
