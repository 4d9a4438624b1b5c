// `sim --generate` specs: what a good one builds, and that every bad one is
// refused with a message naming what is wrong (never a silent default).
import { describe, expect, it } from "vitest";
import { DEFAULT_GENERATE_SEED, parseGenerateSpec } from "../../../src/sim/generate-spec.js";

describe("parseGenerateSpec", () => {
  it("reads groups, rules, seed, account and region", () => {
    expect(parseGenerateSpec("groups=2000,rules=20000")).toEqual({ groups: 2000, rules: 20000, seed: DEFAULT_GENERATE_SEED });
    expect(parseGenerateSpec(" groups = 3 , rules=9, seed=42,account=210987654321,region=eu-west-1")).toEqual({
      groups: 3,
      rules: 9,
      seed: 42,
      account: "210987654321",
      region: "eu-west-1",
    });
  });

  it("defaults rules to ten per group", () => {
    expect(parseGenerateSpec("groups=5").rules).toBe(50);
  });

  it.each([
    ["", /empty/],
    ["rules=10", /groups=N is required/],
    ["groups=0,rules=10", /groups must be a whole number from 1 to 100000, got "0"/],
    ["groups=abc", /groups must be a whole number .* got "abc"/],
    ["groups=1.5", /groups must be a whole number/],
    ["groups=-3", /groups must be a whole number/],
    ["groups=200000", /groups must be a whole number from 1 to 100000/],
    ["groups=10,rules=5", /rules \(5\) must be at least groups \(10\)/],
    ["groups=10,rules=1e6", /rules must be a whole number/],
    ["groups=10,colour=red", /unknown key "colour"/],
    ["groups=10,groups=20", /"groups" is given twice/],
    ["groups=10,,rules=20", /empty item/],
    ["groups=10;rules=20", /groups must be a whole number .* got "10;rules=20"/],
    ["groups", /"groups" is not key=value/],
    ["groups=2,account=123", /account must be 12 digits/],
    ["groups=2,region=moon", /region must look like us-east-1/],
  ])("refuses %j", (spec, message) => {
    expect(() => parseGenerateSpec(spec)).toThrow(message);
  });

  it("names every problem at once", () => {
    expect(() => parseGenerateSpec("groups=x,rules=y,size=3")).toThrow(/unknown key "size".*groups must be.*rules must be/);
  });
});
