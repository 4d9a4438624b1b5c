// Scalar parsing shared by files and the CLI.

import { describe, expect, it } from "vitest";
import { parseInstant, parsePorts, parseProtocol, parseSource } from "../../../src/approvals/fields.js";

const value = <T>(r: { ok: true; value: T } | { ok: false; message: string }) => (r.ok ? r.value : `ERR ${r.message}`);

describe("parseInstant", () => {
  it.each([
    ["2026-12-01T18:00Z", "2026-12-01T18:00:00Z"],
    ["2026-12-01T18:00:00Z", "2026-12-01T18:00:00Z"],
    ["2026-12-01T18:00:00.000Z", "2026-12-01T18:00:00Z"],
    ["2026-12-01T18:00:00.25Z", "2026-12-01T18:00:00.250Z"],
    ["2026-12-01T18:00+02:00", "2026-12-01T16:00:00Z"],
    ["2026-12-01T18:00:00-0530", "2026-12-01T23:30:00Z"],
    ["2026-12-31T23:30-01:00", "2027-01-01T00:30:00Z"],
  ])("%s → %s", (input, out) => {
    expect(value(parseInstant(input))).toBe(out);
  });
  it.each([
    ["2026-12-01T18:00", "with a zone"],
    ["2026-12-01", "with a zone"],
    ["2026-02-30T18:00Z", "not a valid date"],
    ["2026-12-01T24:00Z", "not a valid date"],
    ["tomorrow", "not an ISO-8601"],
  ])("rejects %s", (input, words) => {
    expect(value(parseInstant(input))).toContain(words);
  });
  it("rejects a non-string", () => {
    expect(value(parseInstant(20261201))).toContain("got 20261201");
  });
});

describe("parseProtocol", () => {
  it.each([
    ["tcp", "tcp"], ["TCP", "tcp"], ["udp", "udp"], ["icmp", "icmp"], ["icmpv6", "icmpv6"], ["all", "all"], ["any", "any"],
    ["6", "tcp"], [6, "tcp"], ["17", "udp"], ["1", "icmp"], ["58", "icmpv6"], ["-1", "all"], [50, "50"], ["050", "50"],
  ])("%s → %s", (input, out) => {
    expect(value(parseProtocol(input))).toBe(out);
  });
  it.each([["tcpx"], [256], ["-2"], [null]])("rejects %s", (input) => {
    expect(value(parseProtocol(input))).toMatch(/^ERR /);
  });
});

describe("parsePorts", () => {
  it.each([
    [443, { from: 443, to: 443 }], ["443", { from: 443, to: 443 }], ["8000-8080", { from: 8000, to: 8080 }],
    ["8000 - 8080", { from: 8000, to: 8080 }], ["0-65535", { from: 0, to: 65535 }], ["all", null], ["ALL", null],
  ])("%s", (input, out) => {
    expect(value(parsePorts(input))).toEqual(out);
  });
  it.each([
    [65536, "out of range 0-65535"], ["80-70000", "out of range"], ["90-80", "starts after it ends"],
    ["http", "is not a port"], [-1, "is not a port"], [true, "expected a port"],
  ])("rejects %s", (input, words) => {
    expect(value(parsePorts(input))).toContain(words);
  });
  it("applies a custom maximum (ICMP types)", () => {
    expect(value(parsePorts(256, 255))).toContain("out of range 0-255");
  });
});

describe("parseSource", () => {
  it.each([
    ["10.0.0.0/8", { kind: "ipv4", value: "10.0.0.0/8" }],
    ["10.1.2.3/8", { kind: "ipv4", value: "10.0.0.0/8" }],
    ["2001:DB8:0::/32", { kind: "ipv6", value: "2001:db8::/32" }],
    ["::/0", { kind: "ipv6", value: "::/0" }],
    ["pl-0123abcd", { kind: "prefix-list", value: "pl-0123abcd" }],
    ["sg-0ABC", { kind: "security-group", value: "sg-0abc" }],
    ["any", { kind: "any", value: "any" }],
  ])("%s", (input, out) => {
    expect(value(parseSource(input))).toEqual(out);
  });
  it.each([
    ["10.0.0.0/33", '"10.0.0.0/33" is not a valid CIDR'],
    ["10.0.0.1", '"10.0.0.1" is not a valid CIDR'],
    ["300.0.0.0/8", "not a valid CIDR"],
    ["sg-xyz", "not a valid sg- id"],
    ["pl-", "not a valid pl- id"],
  ])("rejects %s", (input, words) => {
    expect(value(parseSource(input))).toContain(words);
  });
});
