import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { encodeToken, paginate, tryDecodeToken } from "../../../src/sim/pagination.js";
import { QueryParams } from "../../../src/sim/query-params.js";
import { errorDocument, escapeXml, itemList, text } from "../../../src/sim/xml.js";
import { matchesWildcard } from "../../../src/sim/filters.js";

describe("xml", () => {
  it("escapes every markup character", () => {
    expect(escapeXml(`<a href="x">&'\r`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&apos;&#xD;");
    expect(text("value", "</value><evil/>")).toBe("<value>&lt;/value&gt;&lt;evil/&gt;</value>");
    expect(text("absent", undefined)).toBe("");
    expect(itemList("groups", [])).toBe("<groups/>");
  });

  it("escaped text never contains a raw markup character", () => {
    fc.assert(fc.property(fc.string(), (s) => !/[<>"']|&(?!(amp|lt|gt|quot|apos|#xD);)/.test(escapeXml(s))));
  });

  it("error documents use EC2's envelope", () => {
    expect(errorDocument("InvalidGroup.NotFound", "nope <x>", "rid")).toContain(
      "<Response><Errors><Error><Code>InvalidGroup.NotFound</Code><Message>nope &lt;x&gt;</Message></Error></Errors><RequestID>rid</RequestID></Response>",
    );
  });
});

describe("wildcards", () => {
  it.each([
    ["web-1", "web-*", true],
    ["web-1", "web-?", true],
    ["web-10", "web-?", false],
    ["a*b", "a\\*b", true],
    ["axb", "a\\*b", false],
    ["x.y", "x.y", true],
    ["xzy", "x.y", false],
  ])("%s ~ %s = %s", (value, pattern, expected) => expect(matchesWildcard(value, pattern)).toBe(expected));
});

describe("pagination", () => {
  const items = Array.from({ length: 12 }, (_, i) => `sg-${String(i).padStart(2, "0")}`);
  const q = (s: string) => QueryParams.parse(`Action=DescribeSecurityGroups&${s}`);

  it("walks all items once, in id order, whatever the page size", () => {
    fc.assert(
      fc.property(fc.integer({ min: 5, max: 20 }), (size) => {
        const seen: string[] = [];
        let token: string | undefined;
        do {
          const { page, nextToken } = paginate(items, (x) => x, q(`MaxResults=${size}${token ? `&NextToken=${encodeURIComponent(token)}` : ""}`));
          seen.push(...page);
          token = nextToken;
        } while (token);
        expect(seen).toEqual(items);
      }),
    );
  });

  it("tokens carry the page number and refuse forgery", () => {
    const { nextToken } = paginate(items, (x) => x, q("MaxResults=5"));
    expect(tryDecodeToken(nextToken as string)?.page).toBe(2);
    expect(tryDecodeToken("sgwsim1.AAAA")).toBeUndefined();
    const otherQuery = encodeToken({ page: 2, after: "sg-04", query: "another-query" });
    expect(() => paginate(items, (x) => x, q(`MaxResults=5&NextToken=${otherQuery}`))).toThrow(/pagination token/);
    expect(() => paginate(items, (x) => x, q("MaxResults=5&NextToken=not-ours"))).toThrow(/pagination token/);
    expect(encodeToken({ page: 2, after: null, query: "q" })).toMatch(/^sgwsim1\./);
  });
});
