// The zero-groups verdict as a table: an empty poll after a poll that saw at
// least `threshold` groups is held, and recorded only when the next poll
// (whose predecessor was held) agrees.
import { describe, expect, it } from "vitest";
import { ZERO_GROUPS_UNCONFIRMED, zeroGroupsVerdict, type ZeroGroupsInput, type ZeroGroupsVerdict } from "../../../src/model/zero-groups.js";

const cases: Array<[string, ZeroGroupsInput, ZeroGroupsVerdict]> = [
  ["groups seen", { observed: 3, previous: 40, lastPollCode: null, threshold: 1 }, "record"],
  ["baseline: nothing before", { observed: 0, previous: null, lastPollCode: null, threshold: 1 }, "record"],
  ["empty after many", { observed: 0, previous: 40, lastPollCode: null, threshold: 1 }, "hold"],
  ["empty after many, the last poll failed otherwise", { observed: 0, previous: 40, lastPollCode: "Throttling", threshold: 1 }, "hold"],
  ["empty again after a held poll", { observed: 0, previous: 40, lastPollCode: ZERO_GROUPS_UNCONFIRMED, threshold: 1 }, "confirmed"],
  ["previous below the threshold", { observed: 0, previous: 4, lastPollCode: null, threshold: 5 }, "record"],
  ["previous at the threshold", { observed: 0, previous: 5, lastPollCode: null, threshold: 5 }, "hold"],
  ["check turned off", { observed: 0, previous: 40, lastPollCode: null, threshold: 0 }, "record"],
  ["empty before too", { observed: 0, previous: 0, lastPollCode: null, threshold: 1 }, "record"],
];

describe("zeroGroupsVerdict", () => {
  it.each(cases)("%s", (_, input, verdict) => {
    expect(zeroGroupsVerdict(input)).toBe(verdict);
  });
});
