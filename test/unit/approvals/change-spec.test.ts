// The CLI's short change spelling, and that it yields exactly what the same
// entry in a YAML file would.

import { describe, expect, it } from "vitest";
import { ChangeSpecError, parseChangeSpec } from "../../../src/approvals/change-spec.js";

describe("parseChangeSpec", () => {
  it.each([
    ["add", "tcp/443 from 10.0.0.0/8", { action: "add", direction: "ingress", protocol: "tcp", ports: { from: 443, to: 443 }, source: { kind: "ipv4", value: "10.0.0.0/8" } }],
    ["remove", "udp/53-60 to sg-0abc", { action: "remove", direction: "egress", protocol: "udp", ports: { from: 53, to: 60 }, source: { kind: "security-group", value: "sg-0abc" } }],
    ["add", "all from ::/0", { action: "add", direction: "ingress", protocol: "all", ports: null, source: { kind: "ipv6", value: "::/0" } }],
    ["add", "icmp from 10.0.0.0/8", { action: "add", direction: "ingress", protocol: "icmp", ports: null, source: { kind: "ipv4", value: "10.0.0.0/8" } }],
    ["add", "icmp/8 from 10.0.0.0/8", { action: "add", direction: "ingress", protocol: "icmp", ports: { from: 8, to: 8 }, source: { kind: "ipv4", value: "10.0.0.0/8" } }],
    ["add", "tcp/all from pl-0123", { action: "add", direction: "ingress", protocol: "tcp", ports: null, source: { kind: "prefix-list", value: "pl-0123" } }],
    ["any", "any from any", { action: "any", direction: "ingress", protocol: "any", ports: null, source: { kind: "any", value: "any" } }],
    ["modify-description", "  TCP/22   FROM  10.1.2.3/16 ", { action: "modify-description", direction: "ingress", protocol: "tcp", ports: { from: 22, to: 22 }, source: { kind: "ipv4", value: "10.1.0.0/16" } }],
    ["create-group", "", { action: "create-group" }],
    ["modify-tags", "  ", { action: "modify-tags" }],
  ])("--%s %j", (action, text, expected) => {
    expect(parseChangeSpec(action, text)).toEqual(expected);
  });

  it.each([
    ["add", "tcp/443 from 10.0.0.0/33", '--add "tcp/443 from 10.0.0.0/33": source: "10.0.0.0/33" is not a valid CIDR'],
    ["add", "tcp from 10.0.0.0/8", '--add "tcp from 10.0.0.0/8": ports: is required for tcp (a port, a range such as "8000-8080", or all)'],
    ["add", "tcp/70000 from any", '--add "tcp/70000 from any": ports: "70000" is out of range 0-65535'],
    ["add", "tcp/90-80 from any", '--add "tcp/90-80 from any": ports: "90-80" starts after it ends'],
    ["add", "tcpx/443 from any", '--add "tcpx/443 from any": protocol: "tcpx" is not a protocol (tcp, udp, icmp, icmpv6, all, any or a number 0-255)'],
    ["add", "tcp/443 via any", '--add "tcp/443 via any": "via" should be "from" (ingress) or "to" (egress); expected "<protocol>[/<ports>] from|to <source>", e.g. "tcp/443 from 10.0.0.0/8"'],
    ["add", "tcp/443 from", '--add "tcp/443 from": expected "<protocol>[/<ports>] from|to <source>", e.g. "tcp/443 from 10.0.0.0/8"'],
    ["add", "tcp/443 from any and more", '--add "tcp/443 from any and more": expected "<protocol>[/<ports>] from|to <source>", e.g. "tcp/443 from 10.0.0.0/8"'],
    ["add", "", '--add: expected "<protocol>[/<ports>] from|to <source>", e.g. "tcp/443 from 10.0.0.0/8"'],
    ["create-group", "tcp/443 from any", '--create-group "tcp/443 from any": create-group takes no protocol, ports or source'],
    ["open", "tcp/443 from any", '--open "tcp/443 from any": unknown action "open" (expected one of add, remove, modify-description, any, create-group, delete-group, modify-tags)'],
  ])("--%s %j is rejected", (action, text, message) => {
    expect(() => parseChangeSpec(action, text)).toThrow(new ChangeSpecError(message));
  });

  it("throws a ChangeSpecError", () => {
    expect(() => parseChangeSpec("add", "nonsense")).toThrow(ChangeSpecError);
  });
});
