// The simulator in its own process, so its XML rendering neither shares the
// daemon's event loop nor inflates the daemon's RSS. Driven over IPC by
// bench/main (see sim-commands.ts for what it can be asked).
import { startSimulator } from "../src/sim/server.js";
import { SimState } from "../src/sim/state.js";
import { generateAccount, applyRandomDrift } from "../src/sim/generate.js";
import { createInterface } from "../src/sim/network-interfaces.js";
import { createPrng } from "../src/sim/prng.js";
import { serve } from "./ipc.js";
import type { SimCommands } from "./sim-commands.js";

// A fixed id seed: the same flags build the same estate, run after run.
const state = new SimState({ seed: 20261128 });
// The mutation log is ground truth for tests; here it would only grow with every drift.
state.logMutations = false;
const sim = await startSimulator({ state, faultSeed: 1 });
let latencyFault: string | null = null;
let throttleFault: string | null = null;
let cpuMark = process.cpuUsage();

serve<SimCommands>(
  {
    endpoint: () => sim.endpoint,
    generateAccount: (a) => {
      const g = generateAccount(sim.state, { seed: a.seed, groups: a.groups, rules: a.rules, account: a.account, region: a.region });
      return { groups: g.groupIds.length, rules: g.ruleCount };
    },
    generateFleet: (a) => {
      let rules = 0;
      let targets = 0;
      a.accounts.forEach((account, ai) => {
        sim.mapAccessKey(`${a.accessKeyPrefix}${account}`, account);
        a.regions.forEach((region, ri) => {
          const g = generateAccount(sim.state, { seed: a.seed + ai * 1000 + ri, groups: a.groupsPerTarget, rules: a.rulesPerTarget, account, region, vpcs: 1 });
          rules += g.ruleCount;
          targets++;
        });
      });
      return { targets, rules };
    },
    addInterfaces: (a) => {
      const region = sim.state.account(a.account).region(a.region);
      const prng = createPrng(a.seed);
      const groups = [...region.groups.keys()];
      const n = Math.round(groups.length * a.perGroup);
      for (let i = 0; i < n; i++) {
        const groupId = groups[i % groups.length] as string;
        const pub = prng.next() < a.publicShare;
        createInterface(region, { kind: "instance", groupIds: [groupId], ...(pub ? { publicIp: `198.51.${(i >> 8) & 255}.${i & 255}` } : {}) }, (p) => region.newId(p));
      }
      return { interfaces: region.interfaces.size };
    },
    drift: (a) => {
      const region = sim.state.account(a.account).region(a.region);
      return { changes: applyRandomDrift(region, { seed: a.seed, count: a.count }).length };
    },
    setLatency: ({ ms }) => {
      if (latencyFault) sim.faults.remove(latencyFault);
      latencyFault = ms > 0 ? sim.faults.add({ kind: "latency", latencyMs: ms }) : null;
      return null;
    },
    setThrottle: ({ probability, seed }) => {
      if (throttleFault) sim.faults.remove(throttleFault);
      sim.faults.seed(seed);
      throttleFault = probability > 0 ? sim.faults.add({ kind: "throttle", action: "DescribeSecurityGroups", probability }) : null;
      return null;
    },
    takeRequests: () => {
      let throttled = 0;
      let otherErrors = 0;
      for (const r of sim.requests) {
        if (r.fault === "throttle") throttled++;
        else if (r.status !== 200) otherErrors++;
      }
      const cpu = process.cpuUsage(cpuMark);
      cpuMark = process.cpuUsage();
      const counts = { total: sim.requests.length, throttled, otherErrors, cpuMs: (cpu.user + cpu.system) / 1000 };
      sim.requests.length = 0;
      return counts;
    },
    setLookupRateLimit: ({ perSecond }) => {
      sim.cloudtrail.lookupRateLimit = perSecond;
      return null;
    },
    lookupStats: () => {
      const all = Object.values(sim.cloudtrail.allLookupStats());
      return {
        accountRegions: all.length,
        calls: all.reduce((n, s) => n + s.calls, 0),
        throttled: all.reduce((n, s) => n + s.throttled, 0),
        maxPerSecond: Math.max(0, ...all.map((s) => s.maxPerSecond)),
      };
    },
    maxRss: () => process.resourceUsage().maxRSS * 1024,
  },
  () => sim.close(),
);
