// One-off figure (issue 12, blast radius): what DescribeNetworkInterfaces
// costs per target-cycle at the benchmark's 100,000-rule size. Two daemons
// (each its own process and database) poll the same simulated account, one
// with aws.interfacesEvery: 1 and one with 0, interleaved so machine noise
// hits both; the difference of their unchanged-cycle medians is the cost.
// Not part of `npm run bench`; run after `npm run build`:
//   node dist/bench/interfaces-figure.js [--groups 10000] [--rules 100000] [--per-group 1] [--public 0.2] [--reps 5]
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { ChildLink } from "./ipc.js";
import type { SimCommands } from "./sim-commands.js";
import type { CycleFigures, DaemonCommands } from "./daemon-process.js";
import { fmtMs, median } from "./stats.js";

const ACCOUNT = "123456789012";
const REGION = "us-east-1";
const KEY = "AKIABENCHIFACES00001";

const { values } = parseArgs({
  options: { groups: { type: "string" }, rules: { type: "string" }, "per-group": { type: "string" }, public: { type: "string" }, reps: { type: "string" } },
});
const groups = Number(values.groups ?? 10_000);
const rules = Number(values.rules ?? 100_000);
const perGroup = Number(values["per-group"] ?? 1);
const publicShare = Number(values.public ?? 0.2);
const reps = Number(values.reps ?? 5);

const work = mkdtempSync(path.join(os.tmpdir(), "sgwatch-ifaces-"));
const approvals = path.join(work, "approvals");
mkdirSync(approvals);
const here = import.meta.url;
const sim = ChildLink.start<SimCommands>("sim", new URL("./sim-process.js", here));
const withIfaces = ChildLink.start<DaemonCommands>("daemon-1", new URL("./daemon-process.js", here), ["--expose-gc"]);
const without = ChildLink.start<DaemonCommands>("daemon-0", new URL("./daemon-process.js", here), ["--expose-gc"]);
try {
  const gen = await sim.call("generateAccount", { account: ACCOUNT, region: REGION, groups, rules, seed: 1 });
  const ifaces = await sim.call("addInterfaces", { account: ACCOUNT, region: REGION, perGroup, publicShare, seed: 2 });
  const endpoint = await sim.call("endpoint", {});
  const config = (db: string, every: number): unknown => ({
    database: path.join(work, db),
    concurrency: 1,
    targets: [{ account: ACCOUNT, regions: [REGION], endpoint }],
    approvals: { dir: approvals },
    aws: { interfacesEvery: every },
  });
  await withIfaces.call("open", { config: config("with.db", 1), accessKey: KEY });
  await without.call("open", { config: config("without.db", 0), accessKey: KEY });
  const ok = (c: CycleFigures): CycleFigures => {
    if (c.failed > 0) throw new Error(`cycle failed: ${c.errors.join(", ")}`);
    return c;
  };
  // Baselines (and JIT warm-up) first; they do not count.
  ok(await withIfaces.call("cycle", {}));
  ok(await without.call("cycle", {}));
  const a: CycleFigures[] = [];
  const b: CycleFigures[] = [];
  for (let i = 0; i < reps; i++) {
    a.push(ok(await withIfaces.call("cycle", {})));
    b.push(ok(await without.call("cycle", {})));
  }
  const ms = (l: CycleFigures[]): number => median(l.map((c) => c.ms));
  const cpu = (l: CycleFigures[]): number => median(l.map((c) => c.cpuMs));
  console.log(`${gen.groups} groups, ${gen.rules} rules, ${ifaces.interfaces} network interfaces (${Math.round(publicShare * 100)}% public), ${reps} unchanged cycles each`);
  console.log(`unchanged cycle with interfaces:    ${fmtMs(ms(a))} wall, ${fmtMs(cpu(a))} CPU (daemon)`);
  console.log(`unchanged cycle without interfaces: ${fmtMs(ms(b))} wall, ${fmtMs(cpu(b))} CPU (daemon)`);
  console.log(`DescribeNetworkInterfaces per target-cycle: +${fmtMs(ms(a) - ms(b))} wall, +${fmtMs(cpu(a) - cpu(b))} CPU`);
} finally {
  await Promise.allSettled([sim.stop(), withIfaces.stop(), without.stop()]);
  rmSync(work, { recursive: true, force: true });
}
