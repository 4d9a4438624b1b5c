// Record-level criteria (window, target, group selector), ranking of several
// covering records, and the explanation of the nearest miss. The window is
// 2026-12-01 18:00–20:00 UTC throughout (builders.ts FROM/UNTIL).

import { describe, expect, it } from "vitest";
import { matchChange } from "../../../src/approvals/match.js";
import type { Change } from "../../../src/model/types.js";
import { change, ctx, record, recordWith, rule } from "./builders.js";

const at = (hhmmss: string) => `2026-12-01T${hhmmss}Z`;

describe("window: (intervalStart, detectedAt] must meet [from, until]", () => {
  it.each([
    ["no previous poll, detected inside", null, at("19:00:00"), "approved"],
    ["no previous poll, detected exactly at from", null, at("18:00:00"), "approved"],
    ["no previous poll, detected exactly at until", null, at("20:00:00"), "approved"],
    ["no previous poll, detected a second before from", null, at("17:59:59"), "unapproved"],
    ["no previous poll, detected a second after until", null, at("20:00:01"), "unapproved"],
    ["interval ends exactly at from", at("17:00:00"), at("18:00:00"), "approved"],
    ["interval ends a minute before from", at("17:00:00"), at("17:59:00"), "unapproved"],
    ["interval straddles from", at("17:30:00"), at("18:30:00"), "approved"],
    ["interval straddles until", at("19:59:00"), at("21:00:00"), "approved"],
    ["interval contains the whole window", at("17:00:00"), at("21:00:00"), "approved"],
    // The previous poll at exactly `until` still saw the old state: the change came later.
    ["previous poll exactly at until", at("20:00:00"), at("20:05:00"), "unapproved"],
    ["interval entirely after the window", at("20:01:00"), at("20:05:00"), "unapproved"],
    ["millisecond spelling is compared as time, not text", null, "2026-12-01T20:00:00.000Z", "approved"],
    ["a millisecond past until", null, "2026-12-01T20:00:00.001Z", "unapproved"],
  ])("%s", (_name, intervalStart, detectedAt, expected) => {
    expect(matchChange(change(), ctx({ intervalStart, detectedAt }), [record()]).status).toBe(expected);
  });
});

describe("target", () => {
  it.each([
    ["no target matches anywhere", undefined, "approved"],
    ["account and region equal", { account: "111111111111", region: "eu-west-1" }, "approved"],
    ["account only", { account: "111111111111" }, "approved"],
    ["region only", { region: "eu-west-1" }, "approved"],
    ["other account", { account: "222222222222" }, "unapproved"],
    ["other region", { region: "us-east-1" }, "unapproved"],
    ["right account, other region", { account: "111111111111", region: "us-east-1" }, "unapproved"],
  ])("%s", (_name, target, expected) => {
    expect(matchChange(change(), ctx(), [record({ target })]).status).toBe(expected);
  });
});

describe("group selector", () => {
  const sel = (s: Record<string, unknown>) => record({ groupId: undefined, ...s });
  it.each([
    ["groupId equal", { groupId: "sg-0a" }, "approved"],
    ["groupId other", { groupId: "sg-0b" }, "unapproved"],
    ["groupName equal", { groupName: "web" }, "approved"],
    ["groupName other", { groupName: "db" }, "unapproved"],
    ["one tag, group has more", { tags: { env: "prod" } }, "approved"],
    ["all tags match", { tags: { env: "prod", team: "web" } }, "approved"],
    ["one of two tags differs", { tags: { env: "prod", team: "db" } }, "unapproved"],
    ["tag missing on the group", { tags: { owner: "x" } }, "unapproved"],
    ["tag values are case-sensitive", { tags: { env: "Prod" } }, "unapproved"],
    ["groupName glob", { groupName: "we*" }, "approved"],
    ["groupName glob is the whole name", { groupName: "w?" }, "unapproved"],
    ["groupName /regex/", { groupName: "/^(web|api)$/" }, "approved"],
    ["groupName /regex/ other", { groupName: "/^db-/" }, "unapproved"],
    ["tag present, any value", { tags: { team: "*" } }, "approved"],
    ["tag present required", { tags: { owner: "*" } }, "unapproved"],
  ])("%s", (_name, s, expected) => {
    expect(matchChange(change(), ctx(), [sel(s)]).status).toBe(expected);
  });
});

it("refuses a groupName that is not a valid /regular expression/, naming it", () => {
  expect(() => record({ groupId: undefined, groupName: "/([/" })).toThrow(/"\/\(\[\/" is not a valid regular expression/);
});

describe("several covering records: narrowest wins, all are listed", () => {
  const entry = (ports: unknown, source: string) => ({ action: "add", protocol: "tcp", ports, source });
  const hours = (h: number) => ({ from: "2026-12-01T18:00:00Z", until: `2026-12-01T${String(18 + h).padStart(2, "0")}:00:00Z` });
  const records = [
    recordWith(entry("400-500", "10.0.1.0/24"), { id: "W-range" }),
    recordWith(entry(443, "any"), { id: "W-any-source" }),
    recordWith(entry(443, "10.0.0.0/8"), { id: "W-slash8" }),
    recordWith(entry(443, "10.0.0.0/16"), { id: "W-4h", window: hours(4) }),
    recordWith(entry(443, "10.0.0.0/16"), { id: "W-2h-b", window: hours(2) }),
    recordWith(entry(443, "10.0.0.0/16"), { id: "W-2h-a", window: hours(2) }),
    recordWith(entry(22, "10.0.0.0/16"), { id: "W-not-covering" }),
  ];

  it("orders by ports span, then CIDR size, then window length, then id", () => {
    const r = matchChange(change(), ctx(), records);
    expect(r).toEqual({
      status: "approved",
      recordId: "W-2h-a",
      coveringIds: ["W-2h-a", "W-2h-b", "W-4h", "W-slash8", "W-any-source", "W-range"],
      nearest: null,
    });
  });

  it("does not depend on the order records are given in", () => {
    const r = matchChange(change(), ctx(), [...records].reverse());
    expect(r.recordId).toBe("W-2h-a");
    expect(r.coveringIds[5]).toBe("W-range");
  });

  it("ranks a record by its narrowest covering entry", () => {
    const wideAndNarrow = record({ id: "Z-two-entries", changes: [entry("all", "any"), entry(443, "10.0.1.0/24")] });
    const r = matchChange(change(), ctx(), [recordWith(entry(443, "10.0.0.0/16"), { id: "A-slash16" }), wideAndNarrow]);
    expect(r.coveringIds).toEqual(["Z-two-entries", "A-slash16"]);
  });
});

describe("nearest: why the closest record did not cover", () => {
  const opened8: Partial<Change> = { rule: rule({ source: "10.0.0.0/8" }) };
  it.each([
    ["wider CIDR", {}, opened8, ctx(), "CHG-7 allows 10.0.0.0/16 but 10.0.0.0/8 was opened"],
    ["wider CIDR removed", {}, { kind: "rule-removed" as const, rule: rule({ source: "10.0.0.0/8" }) }, ctx(), "CHG-7 allows add but a rule was removed; allows 10.0.0.0/16 but 10.0.0.0/8 was closed"],
    ["window over", {}, {}, ctx({ intervalStart: at("20:30:00"), detectedAt: at("20:35:00") }), "CHG-7 window ended 2026-12-01T20:00:00Z before the change"],
    ["window not started", {}, {}, ctx({ intervalStart: null, detectedAt: at("17:00:00") }), "CHG-7 window starts 2026-12-01T18:00:00Z, after the change"],
    ["ports", {}, { rule: rule({ fromPort: 8000, toPort: 8080 }) }, ctx(), "CHG-7 allows port 443 but the rule has ports 8000-8080"],
    ["all ports", {}, { rule: rule({ fromPort: null, toPort: null }) }, ctx(), "CHG-7 allows port 443 but the rule has all ports"],
    ["protocol", {}, { rule: rule({ protocol: "udp" }) }, ctx(), "CHG-7 allows tcp but the rule's protocol is udp"],
    ["direction", {}, { rule: rule({ direction: "egress" }) }, ctx(), "CHG-7 allows ingress but the rule is egress"],
    ["action", {}, { kind: "rule-removed" as const }, ctx(), "CHG-7 allows add but a rule was removed"],
    ["several faults, in order", {}, { rule: rule({ protocol: "udp", source: "10.0.0.0/8" }) }, ctx({ intervalStart: at("20:30:00"), detectedAt: at("20:35:00") }),
      "CHG-7 allows tcp but the rule's protocol is udp; allows 10.0.0.0/16 but 10.0.0.0/8 was opened; window ended 2026-12-01T20:00:00Z before the change"],
  ])("%s", (_name, recOver, changeOver, c, reason) => {
    const r = matchChange(change(changeOver), c, [record(recOver)]);
    expect(r).toEqual({ status: "unapproved", recordId: null, coveringIds: [], nearest: { recordId: "CHG-7", reason } });
  });

  // A record for another target or group is not "nearly" an approval: naming
  // an unrelated ticket in an alert would only be noise.
  it.each([
    ["group id", { groupId: "sg-0b" }],
    ["group name", { groupId: undefined, groupName: "db" }],
    ["tag value", { groupId: undefined, tags: { env: "dev" } }],
    ["tag missing", { groupId: undefined, tags: { owner: "x" } }],
    ["account", { target: { account: "222222222222" } }],
    ["region", { target: { region: "us-east-1" } }],
  ])("names no record whose %s does not match", (_name, recOver) => {
    expect(matchChange(change(), ctx(), [record(recOver)]).nearest).toBeNull();
  });

  it("ICMP types are named as types", () => {
    const r = matchChange(change({ rule: rule({ protocol: "icmp", fromPort: 3, toPort: 4 }) }), ctx(), [recordWith({ action: "add", protocol: "icmp", ports: 8, source: "any" })]);
    expect(r.nearest?.reason).toBe("CHG-7 allows ICMP type 8 but the rule has ICMP type 3");
  });

  it("names the record that matched most criteria", () => {
    const oneFault = recordWith({ action: "add", protocol: "tcp", ports: 80, source: "10.0.0.0/16" }, { id: "CHG-9" });
    const twoFaults = recordWith({ action: "add", protocol: "udp", ports: 80, source: "10.0.0.0/16" }, { id: "CHG-1" });
    const r = matchChange(change(), ctx(), [twoFaults, oneFault]);
    expect(r.nearest).toEqual({ recordId: "CHG-9", reason: "CHG-9 allows port 80 but the rule has port 443" });
  });

  it("explains a record by its closest entry", () => {
    const rec = record({ changes: [{ action: "remove", protocol: "udp", ports: 53, source: "any" }, { action: "add", protocol: "tcp", ports: 443, source: "10.0.0.0/24" }] });
    const r = matchChange(change({ rule: rule({ source: "10.0.0.0/16" }) }), ctx(), [rec]);
    expect(r.nearest?.reason).toBe("CHG-7 allows 10.0.0.0/24 but 10.0.0.0/16 was opened");
  });

  it("breaks ties by id", () => {
    const a = record({ id: "CHG-B", changes: [{ action: "remove", protocol: "tcp", ports: 443, source: "10.0.0.0/16" }] });
    const b = record({ id: "CHG-A", changes: [{ action: "remove", protocol: "tcp", ports: 443, source: "10.0.0.0/16" }] });
    expect(matchChange(change(), ctx(), [a, b]).nearest?.recordId).toBe("CHG-A");
  });

  it("is null when there are no records", () => {
    expect(matchChange(change(), ctx(), [])).toEqual({ status: "unapproved", recordId: null, coveringIds: [], nearest: null });
  });

  it("is null when the change is approved, even if other records miss", () => {
    const r = matchChange(change(), ctx(), [record({ id: "MISS", groupId: "sg-0b" }), record({ id: "HIT" })]);
    expect(r).toEqual({ status: "approved", recordId: "HIT", coveringIds: ["HIT"], nearest: null });
  });
});

describe("nearest: which record is closest", () => {
  it("prefers the record that allows the same port from a narrower source over one for another port", () => {
    // Both records miss by one criterion; the source miss is the same change made wider.
    const otherPort = recordWith({ action: "add", protocol: "tcp", ports: 8443, source: "10.0.0.0/8" }, { id: "CHG-1" });
    const narrower = recordWith({ action: "add", protocol: "tcp", ports: 443, source: "10.20.0.0/16" }, { id: "CHG-2" });
    const r = matchChange(change({ rule: rule({ source: "10.0.0.0/8" }) }), ctx(), [otherPort, narrower]);
    expect(r.nearest).toEqual({ recordId: "CHG-2", reason: "CHG-2 allows 10.20.0.0/16 but 10.0.0.0/8 was opened" });
  });
});
