import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { applyRandomDrift, generateAccount } from "../../../src/sim/generate.js";
import { FaultInjector } from "../../../src/sim/faults.js";
import { seedDemoAccount } from "../../../src/sim/seed-demo.js";
import { loadStateFile, saveStateFile, SimState } from "../../../src/sim/state.js";

describe("JSON save/load", () => {
  it("round-trips accounts, regions, groups, rules, tags and key mappings", async () => {
    const state = new SimState({ seed: 3 });
    seedDemoAccount(state);
    seedDemoAccount(state, { account: "210987654321", region: "eu-west-1" });
    state.accessKeys.set("AKIADEMO", "210987654321");
    const dir = await mkdtemp(join(tmpdir(), "sgwatch-sim-"));
    try {
      const file = join(dir, "state.json");
      await saveStateFile(state, file);
      const loaded = await loadStateFile(file);
      expect(loaded.toJSON()).toEqual(state.toJSON());
      expect(loaded.accountForKey("AKIADEMO")).toBe("210987654321");
      // Loaded state is live: its indexes work for further mutations.
      const r = loaded.account("123456789012").region("us-east-1");
      const db = [...r.groups.values()].find((g) => g.groupName === "db");
      const ruleId = db?.rules[0]?.ruleId as string;
      expect(r.findRule(ruleId)?.group.groupId).toBe(db?.groupId);
      r.revokeRuleIds(db?.groupId as string, db?.rules[0]?.isEgress ?? false, [ruleId]);
      expect(loaded.mutations).toHaveLength(1);

      await writeFile(join(dir, "bad.json"), JSON.stringify({ version: 1, accounts: { a: { r: { groups: [{}] } } } }));
      await expect(loadStateFile(join(dir, "bad.json"))).rejects.toThrow(/malformed/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("generateAccount", () => {
  // Speed is the benchmark's business (npm run bench), not a unit test's.
  it("builds 10,000 groups and 100,000 rules with the requested mix", () => {
    const state = new SimState({ seed: 11 });
    const out = generateAccount(state, { seed: 11, groups: 10_000, rules: 100_000 });
    expect(out.groupIds).toHaveLength(10_000);
    expect(out.ruleCount).toBe(100_000);
    expect(state.mutations).toHaveLength(0);
    const rules = [...state.account("123456789012").region("us-east-1").groups.values()].flatMap((g) => g.rules);
    const kinds = new Set(rules.map((r) => (r.peer.kind === "security-group" && r.peer.userId !== "123456789012" ? "foreign" : r.peer.kind)));
    expect(kinds).toEqual(new Set(["ipv4", "ipv6", "prefix-list", "security-group", "foreign"]));
    const protocols = new Set(rules.map((r) => r.protocol));
    expect(protocols).toEqual(new Set(["tcp", "udp", "icmp", "-1"]));
  });

  it("is deterministic for a seed", () => {
    const a = new SimState({ seed: 5 });
    const b = new SimState({ seed: 5 });
    generateAccount(a, { seed: 9, groups: 50, rules: 400 });
    generateAccount(b, { seed: 9, groups: 50, rules: 400 });
    expect(a.toJSON()).toEqual(b.toJSON());
  });

  it("drift goes through the mutation API and is logged", () => {
    const state = new SimState({ seed: 2 });
    const gen = generateAccount(state, { seed: 2, groups: 20, rules: 200 });
    const region = state.account(gen.account).region(gen.region);
    const changes = applyRandomDrift(region, {
      seed: 4,
      count: 30,
      caller: { accessKeyId: "AKIADRIFT", sourceIp: "203.0.113.9", userAgent: "drift" },
    });
    expect(changes.length).toBeGreaterThan(20);
    expect(new Set(changes.map((c) => c.kind))).toEqual(new Set(["add", "remove", "describe"]));
    expect(state.mutations.length).toBe(changes.length);
    expect(state.mutations.every((m) => m.accessKeyId === "AKIADRIFT")).toBe(true);
  });
});

describe("FaultInjector", () => {
  const ctx = { action: "DescribeSecurityGroups", account: "1", region: "r", page: 1 };

  it("counts down and expires; latency stacks with the deciding fault", () => {
    const f = new FaultInjector(1);
    f.add({ kind: "latency", latencyMs: 10, count: 1 });
    f.add({ kind: "throttle", count: 1 });
    f.add({ kind: "internal-error", count: 1 });
    const d1 = f.decide(ctx);
    expect(d1.latencyMs).toBe(10);
    expect(d1.fault?.kind).toBe("throttle");
    expect(f.decide(ctx).fault?.kind).toBe("internal-error");
    expect(f.decide(ctx).fault).toBeUndefined();
    expect(f.list()).toEqual([]);
  });

  it("matches scope and page without consuming non-matching faults", () => {
    const f = new FaultInjector(1);
    f.add({ kind: "internal-error", page: 3, count: 1 });
    expect(f.decide(ctx).fault).toBeUndefined();
    expect(f.decide({ ...ctx, page: 3 }).fault?.kind).toBe("internal-error");
  });

  it("refuses malformed specs with every problem", () => {
    expect(() => new FaultInjector().add({ kind: "latency", count: 0 } as never)).toThrow(/count.*latencyMs|latencyMs.*count/s);
  });
});
