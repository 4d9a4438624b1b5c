// Proves that a poll which suddenly returns no security groups where the last
// one saw many (an auth or endpoint mix-up far likelier than every group
// deleted) is held until the next poll confirms it: App in-process against
// the simulator over HTTP, whose region is emptied (as a wrong endpoint or
// account would answer) and, on the unconfirmed path, refilled.
// - unconfirmed: the empty poll is a failed poll (ZeroGroupsUnconfirmed),
//   nothing is recorded as deleted, the log says why, `sgwatch status` shows
//   UNCONFIRMED; the next poll sees the groups again and nothing changed;
// - confirmed: a second empty poll in a row records every group as deleted,
//   and the log says it was confirmed.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { startAppWorld, type AppWorld } from "../support/app-world.js";
import { TEST_ACCOUNT } from "../support/config-file.js";
import { assertBuilt, runCli } from "../support/cli.js";
import type { SimGroup } from "../../src/sim/types.js";

const FIVE_MIN = 5 * 60_000;

describe("a poll that suddenly sees no groups", { timeout: 120_000 }, () => {
  let w: AppWorld | null = null;
  beforeAll(() => assertBuilt());
  afterEach(async () => {
    await w?.close();
    w = null;
  });

  /** Take every group out of the simulator's region; returns them for putting back. */
  function empty(world: AppWorld): Map<string, SimGroup> {
    const region = world.harness.sim.state.account(TEST_ACCOUNT).region("us-east-1");
    const saved = new Map(region.groups);
    region.groups.clear();
    return saved;
  }
  const currentGroups = (world: AppWorld): number => (world.reader.prepare("SELECT count(*) AS n FROM current_groups").get() as { n: number }).n;
  async function poll(world: AppWorld) {
    world.clock.advance(FIVE_MIN);
    return world.poll();
  }

  it("holds an unconfirmed empty poll: nothing deleted, shown in the log and status", async () => {
    w = await startAppWorld();
    const baseline = await w.poll();
    const groups = baseline.targets[0]!.groups;
    expect(groups).toBeGreaterThan(1);

    const saved = empty(w);
    const held = await poll(w);
    expect(held.targets[0]).toMatchObject({ ok: false, error: { code: "ZeroGroupsUnconfirmed" } });
    expect(held.targets[0]!.judged).toEqual([]);
    expect(currentGroups(w)).toBe(groups);
    expect(w.changes()).toEqual([]);
    const line = w.log.events("poll-failed").at(-1);
    expect(line).toMatchObject({ code: "ZeroGroupsUnconfirmed" });
    expect(String(line?.msg)).toContain(`no security groups where the last successful poll saw ${groups}`);

    const text = await runCli(["--config", w.files.configPath, "status"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`${TEST_ACCOUNT}\\s+us-east-1\\s+.*UNCONFIRMED`));
    const json = await runCli(["--config", w.files.configPath, "status", "--json"]);
    expect((JSON.parse(json.stdout) as { targets: Array<{ lastPollErrorCode: string }> }).targets[0]!.lastPollErrorCode).toBe("ZeroGroupsUnconfirmed");

    // The groups are back: the empty answer was a glitch, and nothing changed.
    const region = w.harness.sim.state.account(TEST_ACCOUNT).region("us-east-1");
    for (const [id, g] of saved) region.groups.set(id, g);
    const next = await poll(w);
    expect(next.targets[0]).toMatchObject({ ok: true, groups, judged: [] });
    expect(w.changes()).toEqual([]);
  });

  it("records the deletions when the next poll confirms the empty region", async () => {
    w = await startAppWorld();
    const groups = (await w.poll()).targets[0]!.groups;
    empty(w);
    expect((await poll(w)).targets[0]?.error?.code).toBe("ZeroGroupsUnconfirmed");
    const confirmed = await poll(w);
    expect(confirmed.targets[0]?.ok).toBe(true);
    const deleted = confirmed.targets[0]!.judged.filter((j) => j.change.kind === "group-deleted");
    expect(deleted).toHaveLength(groups);
    expect(currentGroups(w)).toBe(0);
    expect(w.log.events("zero-groups-confirmed")).toEqual([expect.objectContaining({ previous: groups })]);
  });
});
