// The one parser of times people type (util/time.ts): every calendar field is
// range-checked (Date would roll 2026-02-30 into March), a time without a zone
// is UTC or rejected as the caller asks, and never the process's local zone.
// The local-zone half is proven where it bites, in a child process with
// TZ=Asia/Kolkata (test/integration/time-args-cli.test.ts).
import { describe, expect, it } from "vitest";
import { parseIsoTime, parseTimeArg, type ParsedTime } from "../../../src/util/time.js";

const NOW = new Date("2026-03-02T10:00:00.000Z"); // the fixed reference instant

const text = (r: ParsedTime): string => (r.ok ? new Date(r.ms).toISOString() : `ERR ${r.problem}`);

describe("parseIsoTime", () => {
  it.each([
    ["2026-11-29T11:36:00Z", "2026-11-29T11:36:00.000Z"],
    ["2026-11-29T11:36Z", "2026-11-29T11:36:00.000Z"],
    ["2026-11-29T11:36:00.25Z", "2026-11-29T11:36:00.250Z"],
    ["2026-11-29T11:36:00+05:30", "2026-11-29T06:06:00.000Z"],
    ["2026-11-29T11:36:00+0530", "2026-11-29T06:06:00.000Z"],
    ["2026-11-29T11:36-03", "2026-11-29T14:36:00.000Z"],
    ["2026-11-29 11:36:00Z", "2026-11-29T11:36:00.000Z"],
    ["2028-02-29T00:00Z", "2028-02-29T00:00:00.000Z"],
    ["2000-02-29T00:00Z", "2000-02-29T00:00:00.000Z"],
    ["0099-12-31T23:59:59Z", "0099-12-31T23:59:59.000Z"],
  ])("%s → %s", (input, out) => {
    expect(text(parseIsoTime(input, "reject"))).toBe(out);
  });

  it.each([
    ["2026-11-29T11:36:00", "2026-11-29T11:36:00.000Z"],
    ["2026-11-29 11:36:00", "2026-11-29T11:36:00.000Z"],
    ["2026-11-29 11:36", "2026-11-29T11:36:00.000Z"],
    ["2026-11-29", "2026-11-29T00:00:00.000Z"],
  ])("without a zone, read as UTC when asked: %s → %s", (input, out) => {
    expect(text(parseIsoTime(input, "utc"))).toBe(out);
    expect(text(parseIsoTime(input, "reject"))).toBe("ERR zone");
  });

  it.each([
    "2026-02-30T00:00Z",
    "2026-02-29",
    "1900-02-29",
    "2026-11-31T00:00Z",
    "2026-04-31",
    "2026-13-01",
    "2026-00-10",
    "2026-01-00",
    "2026-12-01T24:00Z",
    "2026-12-01T23:60Z",
    "2026-12-01T23:59:60Z",
    "2026-12-01T10:00+24:00",
    "2026-12-01T10:00+05:60",
  ])("rejects the impossible %s", (input) => {
    expect(text(parseIsoTime(input, "utc"))).toBe("ERR impossible");
  });

  it.each(["tomorrow", "13:00", "2026-1-1", "2026-12-01Z", "2026-12-01T10", "2026-12-01T10:00 +05:00x", ""])("rejects the malformed %j", (input) => {
    expect(text(parseIsoTime(input, "utc"))).toBe("ERR format");
  });
});

describe("parseTimeArg", () => {
  it("reads a duration as that long before now", () => {
    expect(text(parseTimeArg("2h", NOW))).toBe("2026-03-02T08:00:00.000Z");
    expect(text(parseTimeArg("1d12h", NOW))).toBe("2026-02-28T22:00:00.000Z");
  });

  it("reads ISO-8601 without a zone as UTC, and rejects impossible dates", () => {
    expect(text(parseTimeArg("2026-11-29 11:36:00", NOW))).toBe("2026-11-29T11:36:00.000Z");
    expect(text(parseTimeArg("2026-02-30T00:00Z", NOW))).toBe("ERR impossible");
  });
});
