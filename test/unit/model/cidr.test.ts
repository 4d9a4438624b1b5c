import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalCidr, canonicalIpv4Cidr, cidrContains, formatCidr, isWorldCidr, parseCidr } from "../../../src/model/cidr.js";

describe("canonicalCidr: one spelling per range", () => {
  it.each([
    ["10.0.0.1/8", "10.0.0.0/8"],
    ["0.0.0.0/0", "0.0.0.0/0"],
    ["192.168.1.77/32", "192.168.1.77/32"],
    ["2001:DB8::/32", "2001:db8::/32"],
    ["2001:db8:0:0::/32", "2001:db8::/32"],
    ["2001:db8:0779::/64", "2001:db8:779::/64"],
    ["::/0", "::/0"],
    ["2001:db8:0:0:1:0:0:1/128", "2001:db8::1:0:0:1/128"],
    ["::ffff:10.0.0.1/128", "::ffff:a00:1/128"],
    [" 10.1.2.3/16 ", "10.1.0.0/16"],
  ])("%s → %s", (text, canonical) => {
    expect(canonicalCidr(text)).toBe(canonical);
  });

  it.each(["10.0.0/8", "10.0.0.0/33", "256.0.0.0/8", "10.0.0.0", "fe80::1::2/64", "2001:db8::/129", "x/8", "10.0.0.0/-1"])("rejects %s", (text) => {
    expect(parseCidr(text)).toBeNull();
    expect(canonicalIpv4Cidr(text)).toBeNull();
  });

  it("the IPv4 fast path spells every IPv4 CIDR as the general path does", () => {
    const octet = fc.integer({ min: 0, max: 255 });
    fc.assert(
      fc.property(octet, octet, octet, octet, fc.integer({ min: 0, max: 32 }), (a, b, c, d, p) => {
        const text = `${a}.${b}.${c}.${d}/${p}`;
        const general = parseCidr(text);
        expect(general).not.toBeNull();
        expect(canonicalIpv4Cidr(text)).toBe(formatCidr(general as NonNullable<typeof general>));
      }),
    );
  });
});

describe("cidrContains and isWorldCidr", () => {
  const c = (t: string) => parseCidr(t) as NonNullable<ReturnType<typeof parseCidr>>;
  it.each([
    ["10.0.0.0/8", "10.1.0.0/16", true],
    ["10.0.0.0/16", "10.0.0.0/8", false],
    ["10.0.0.0/8", "11.0.0.0/16", false],
    ["0.0.0.0/0", "203.0.113.7/32", true],
    ["::/0", "2001:db8::/32", true],
    ["0.0.0.0/0", "2001:db8::/32", false],
    ["2001:db8::/32", "2001:db8:1::/48", true],
  ])("%s contains %s: %s", (outer, inner, expected) => {
    expect(cidrContains(c(outer), c(inner))).toBe(expected);
  });

  it.each([
    ["0.0.0.0/0", true],
    ["::/0", true],
    ["0.0.0.0/1", false],
    ["10.0.0.0/8", false],
  ])("world(%s) = %s", (t, w) => expect(isWorldCidr(t)).toBe(w));
});
