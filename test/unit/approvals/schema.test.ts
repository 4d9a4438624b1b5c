// The record schema through parseApprovalRecord (the CLI path): normal form,
// defaults, and one row per validation rule with the message it must give.

import { describe, expect, it } from "vitest";
import { parseApprovalRecord } from "../../../src/approvals/load.js";
import { DEFAULT_MAX_WINDOW_MS } from "../../../src/approvals/schema.js";
import { rawRecord } from "./builders.js";

const opts = { maxWindowMs: DEFAULT_MAX_WINDOW_MS };
const CONTROL = (ch: string): string => `contains the control character ${ch}; control characters, line breaks and bidi overrides are not allowed`;
const errors = (over: Record<string, unknown>) => {
  const r = parseApprovalRecord(rawRecord(over), { kind: "cli" }, opts);
  return r.ok ? [] : r.errors;
};

describe("normal form", () => {
  it("normalises times, ports, sources and fills defaults", () => {
    const r = parseApprovalRecord(
      rawRecord({
        window: { from: "2026-12-01T19:00+01:00", until: "2026-12-01T20:00Z" },
        target: { region: "eu-west-1" },
        changes: [{ action: "add", protocol: "6", ports: "8000-8080", source: "10.0.9.0/16" }, { action: "create-group" }],
      }),
      { kind: "cli" },
      opts,
    );
    expect(r).toEqual({
      ok: true,
      record: {
        id: "CHG-7",
        reason: "open HTTPS from the office",
        approvedBy: "alice",
        window: { from: "2026-12-01T18:00:00Z", until: "2026-12-01T20:00:00Z" },
        target: { account: null, region: "eu-west-1" },
        selector: { kind: "groupId", groupId: "sg-0a" },
        standing: false,
        changes: [
          { action: "add", direction: "ingress", protocol: "tcp", ports: { from: 8000, to: 8080 }, source: { kind: "ipv4", value: "10.0.0.0/16" } },
          { action: "create-group" },
        ],
        origin: { kind: "cli" },
      },
    });
  });

  it.each([
    [{ groupId: undefined, groupName: "web" }, { kind: "groupName", groupName: "web" }],
    [{ groupId: undefined, tags: { env: "prod" } }, { kind: "tags", tags: { env: "prod" } }],
  ])("selector %j", (over, selector) => {
    const r = parseApprovalRecord(rawRecord(over), { kind: "cli" }, opts);
    expect(r.ok && r.record.selector).toEqual(selector);
  });

  it("accepts a long window when standing", () => {
    const r = parseApprovalRecord(rawRecord({ standing: true, window: { from: "2026-01-01T00:00Z", until: "2027-01-01T00:00Z" } }), { kind: "cli" }, opts);
    expect(r.ok && r.record.standing).toBe(true);
  });

  it("accepts a window exactly as long as the maximum, and a zero-length one", () => {
    expect(errors({ window: { from: "2026-12-01T00:00Z", until: "2026-12-08T00:00Z" } })).toEqual([]);
    expect(errors({ window: { from: "2026-12-01T00:00Z", until: "2026-12-01T00:00Z" } })).toEqual([]);
  });
});

describe("validation messages", () => {
  const entry = (e: Record<string, unknown>) => ({ changes: [{ action: "add", protocol: "tcp", ports: 443, source: "any", ...e }] });
  it.each([
    ["invalid CIDR", entry({ source: "10.0.0.0/33" }), 'changes[0].source: "10.0.0.0/33" is not a valid CIDR'],
    ["window backwards", { window: { from: "2026-12-02T00:00Z", until: "2026-12-01T00:00Z" } }, "window.until: 2026-12-01T00:00:00Z is before window.from 2026-12-02T00:00:00Z"],
    ["window too long", { window: { from: "2026-12-01T00:00Z", until: "2026-12-08T00:01Z" } }, "window.until: makes the window 10081 minutes long, more than the maximum 7 days; shorten it or mark the record standing: true"],
    ["standing must be a boolean", { standing: "yes", window: { from: "2026-12-01T00:00Z", until: "2026-12-01T01:00Z" } }, 'standing: expected true or false, got "yes"'],
    ["port out of range", entry({ ports: 65536 }), "changes[0].ports: 65536 is out of range 0-65535"],
    ["port from > to", entry({ ports: "90-80" }), 'changes[0].ports: "90-80" starts after it ends'],
    ["tcp without ports", entry({ ports: undefined }), 'changes[0].ports: is required for tcp (a port, a range such as "8000-8080", or all)'],
    ["udp without ports", entry({ protocol: "udp", ports: undefined }), 'changes[0].ports: is required for udp (a port, a range such as "8000-8080", or all)'],
    ["ports on protocol all", entry({ protocol: "all", ports: 22 }), "changes[0].ports: protocol all has no ports; omit ports or use all"],
    ["ICMP type over 255", entry({ protocol: "icmp", ports: 256 }), "changes[0].ports: 256 is out of range 0-255"],
    ["missing protocol", entry({ protocol: undefined }), "changes[0].protocol: is required (tcp, udp, icmp, icmpv6, all, any or a number)"],
    ["missing source", entry({ source: undefined }), "changes[0].source: is required (a CIDR, pl-…, sg-… or any)"],
    ["bad direction", entry({ direction: "inbound" }), 'changes[0].direction: "inbound" is not one of ingress, egress'],
    ["bad action", entry({ action: "open" }), 'changes[0].action: "open" is not one of add, remove, modify-description, any, create-group, delete-group, modify-tags'],
    ["group action with a source", { changes: [{ action: "delete-group", source: "any" }] }, "changes[0].source: does not apply to action delete-group"],
    ["unknown field in an entry", entry({ port: 22 }), "changes[0].port: unknown field"],
    ["unknown top-level field", { ticket: "x" }, "ticket: unknown field"],
    ["unknown field in window", { window: { from: "2026-12-01T18:00Z", until: "2026-12-01T19:00Z", tz: "UTC" } }, "window.tz: unknown field"],
    ["empty changes", { changes: [] }, "changes: must list at least one change"],
    ["changes not a list", { changes: { action: "add" } }, "changes: expected a list, got {\"action\":\"add\"}"],
    ["missing changes", { changes: undefined }, "changes: is required"],
    ["missing id", { id: undefined }, "id: is required (a ticket id)"],
    ["empty reason", { reason: "  " }, 'reason: expected a reason (a non-empty string), got "  "'],
    ["no selector", { groupId: undefined }, "needs a group selector: exactly one of groupId, groupName or tags"],
    ["two selectors", { groupName: "web" }, "groupName: give exactly one of groupId, groupName or tags, not groupId and groupName"],
    ["bad group id", { groupId: "web" }, 'groupId: expected a security group id (sg-…), got "web"'],
    ["empty tags", { groupId: undefined, tags: {} }, "tags: must name at least one tag"],
    ["numeric tag value", { groupId: undefined, tags: { cost: 1234 } }, "tags.cost: expected a string (quote it), got 1234"],
    ["unquoted account", { target: { account: 111111111111 } }, "target.account: expected a 12-digit account id as a quoted string, got 111111111111"],
    ["unknown target field", { target: { acount: "111111111111" } }, "target.acount: unknown field"],
    ["time without zone", { window: { from: "2026-12-01T18:00", until: "2026-12-01T19:00Z" } }, 'window.from: "2026-12-01T18:00" is not an ISO-8601 time with a zone, such as "2026-12-01T18:00Z"'],
    ["ESC in the id", { id: "CHG-\u001b[31m7" }, `id: ${CONTROL("\\x1b")}`],
    ["line break in the reason", { reason: "ok\r\nForged: yes" }, `reason: ${CONTROL("\\r")}`],
    ["BEL in approvedBy", { approvedBy: "alice\u0007" }, `approvedBy: ${CONTROL("\\x07")}`],
    ["bidi override in a group name", { groupId: undefined, groupName: "web\u202etxt.exe" }, `groupName: ${CONTROL("\\u202e")}`],
    ["C1 control in a region", { target: { region: "eu-west-1\u009b" } }, `target.region: ${CONTROL("\\u009b")}`],
    ["isolate in a tag value", { groupId: undefined, tags: { env: "prod\u2066" } }, `tags.env: ${CONTROL("\\u2066")}`],
  ])("%s", (_name, over, message) => {
    expect(errors(over)).toEqual([message]);
  });

  it("reports every problem of a record at once, cross-field ones included", () => {
    const errs = errors({ groupName: "web", reason: "", changes: [{ action: "add", protocol: "tcp", source: "10.0.0.0/33" }] });
    expect(errs).toEqual(
      expect.arrayContaining([
        'reason: expected a reason (a non-empty string), got ""',
        'changes[0].source: "10.0.0.0/33" is not a valid CIDR',
        'changes[0].ports: is required for tcp (a port, a range such as "8000-8080", or all)',
        "groupName: give exactly one of groupId, groupName or tags, not groupId and groupName",
      ]),
    );
    expect(errs).toHaveLength(4);
  });

  it("rejects a record that is not a mapping", () => {
    expect(parseApprovalRecord(["x"], { kind: "cli" }, opts)).toEqual({ ok: false, errors: ['expected a record (a mapping with id, window, changes…), got ["x"]'] });
  });

  it("uses the maximum it is given", () => {
    const r = parseApprovalRecord(rawRecord(), { kind: "cli" }, { maxWindowMs: 3600_000 });
    expect(r.ok ? [] : r.errors).toEqual(["window.until: makes the window 2 hours long, more than the maximum 1 hour; shorten it or mark the record standing: true"]);
  });
});
