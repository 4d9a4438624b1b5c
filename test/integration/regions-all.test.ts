// Proves `regions: all`: the cycle asks DescribeRegions which regions the
// account has enabled and polls each of them; when DescribeRegions fails
// (e.g. the permission is missing) the regions known before are still polled
// and the failure is logged naming the permission, so no region drops out
// of monitoring unseen.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { App } from "../../src/daemon/app.js";
import { startSimulator, type Simulator } from "../../src/sim/server.js";
import { seedDemoAccount } from "../../src/sim/seed-demo.js";
import { MONITOR } from "../support/sim-harness.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { loadTestConfig, writeTestConfig } from "../support/config-file.js";
import { captureLog, type CapturedLog } from "../support/log-capture.js";

const REGIONS = ["eu-west-1", "us-east-1", "us-west-2"];

describe("regions: all", () => {
  let tmp: TempDir;
  let sim: Simulator;
  let app: App;
  let log: CapturedLog;

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    tmp = makeTempDir();
    sim = await startSimulator({ regions: REGIONS });
    for (const region of ["us-east-1", "eu-west-1"]) seedDemoAccount(sim.state, { region });
    const files = writeTestConfig({ dir: tmp.path, endpoint: sim.endpoint, extra: {} });
    const raw = files.raw as { targets: Array<Record<string, unknown>> };
    (raw.targets[0] as Record<string, unknown>).regions = "all";
    const { writeFileSync } = await import("node:fs");
    const { stringify } = await import("yaml");
    writeFileSync(files.configPath, stringify(raw));
    log = captureLog();
    app = new App({ config: loadTestConfig(files), logger: log.logger, env: {}, credentials: MONITOR });
  });

  afterAll(async () => {
    await app?.close();
    await sim?.close();
    tmp?.remove();
  });

  it("polls every region DescribeRegions reports", async () => {
    const r = await app.cycle();
    expect(r.targets.map((t) => `${t.region}:${t.ok}:${t.groups}`).sort()).toEqual(["eu-west-1:true:5", "us-east-1:true:5", "us-west-2:true:0"]);
    expect(sim.requests.filter((q) => q.action === "DescribeRegions").length).toBe(1);
  });

  it("keeps polling the known regions when DescribeRegions is refused, and says which permission is missing", async () => {
    sim.faults.add({ kind: "unauthorized", action: "DescribeRegions" });
    const r = await app.cycle();
    expect(r.targets.map((t) => t.region).sort()).toEqual(REGIONS);
    expect(r.targets.every((t) => t.ok)).toBe(true);
    const failed = log.events("region-discovery-failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]?.msg).toMatch(/grant ec2:DescribeRegions/);
  });
});
