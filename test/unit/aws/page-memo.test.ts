// A body's digest ignores its request id's value and nothing else: a change
// of any other byte changes the digest (so the page is read again), and a
// body whose request id is not the root's first child, of the usual form,
// has no digest at all (so it is never reused).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bodyDigest } from "../../../src/aws/page-memo.js";
import { holdBody } from "../../../src/aws/stream-send.js";

const ROOT = "DescribeSecurityGroupsResponse";
const OPEN = `<?xml version="1.0" encoding="UTF-8"?>\n<${ROOT} xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">\n  <requestId>`;
const REST = `</requestId>\n  <securityGroupInfo><item><groupId>sg-1</groupId><groupDescription>caf\u00e9 &amp; \u{1F525}</groupDescription></item></securityGroupInfo>\n</${ROOT}>`;
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const body = (requestId: string, rest = REST): Uint8Array => bytes(OPEN + requestId + rest);

describe("body digest", () => {
  it("is the same for another request id, and differs for another page", () => {
    const d = bodyDigest(body("59dbff89-35bd-4eac-99ed-be587EXAMPLE"), ROOT);
    expect(d).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(bodyDigest(body("0b6f1e2a-0000-4000-8000-000000000001"), ROOT)).toBe(d);
    expect(bodyDigest(body("x"), ROOT)).toBe(d);
    expect(bodyDigest(body("x", REST.replace("sg-1", "sg-2")), ROOT)).not.toBe(d);
    // Unindented, and without the XML declaration: still the head of a response.
    expect(bodyDigest(bytes(`<${ROOT}><requestId>r-1</requestId><securityGroupInfo/></${ROOT}>`), ROOT)).not.toBeNull();
  });

  it.each([
    ["another response", OPEN.replace(ROOT, "DescribeVpcsResponse") + "r" + REST],
    ["an element before the request id", OPEN.replace("<requestId>", "<nextToken>t</nextToken><requestId>") + "r" + REST],
    ["a comment before it", OPEN.replace("<requestId>", "<!-- x --><requestId>") + "r" + REST],
    ["a request id inside CDATA", OPEN.replace("<requestId>", "<![CDATA[<requestId>") + "r" + REST],
    ["markup in the request id", OPEN + "r<x/>" + REST],
    ["an entity in the request id", OPEN + "r&amp;" + REST],
    ["a request id of 65 characters", OPEN + "a".repeat(65) + REST],
    ["an attribute on the root other than xmlns", OPEN.replace(" xmlns=", " x=") + "r" + REST],
  ])("is null for %s", (_, text) => {
    expect(bodyDigest(bytes(text), ROOT)).toBeNull();
  });

  it("changes when any byte outside the request id's value changes, and only then", () => {
    const requestId = "59dbff89-35bd-4eac-99ed-be587EXAMPLE";
    const original = body(requestId);
    const d = bodyDigest(original, ROOT);
    const start = bytes(OPEN).length;
    const end = start + requestId.length;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: original.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, delta) => {
        const changed = Uint8Array.from(original);
        changed[at] = ((changed[at] as number) + delta) % 256;
        const got = bodyDigest(changed, ROOT);
        // Inside the value, another letter, digit or dash is the same page; anything else there is no request id of the usual form.
        if (at >= start && at < end) expect(got).toBe(/[A-Za-z0-9-]/.test(String.fromCharCode(changed[at] as number)) ? d : null);
        else expect(got).not.toBe(d);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe("holding a body for its digest", () => {
  async function* chunks(...parts: (Uint8Array | string)[]): AsyncGenerator<Uint8Array | string> {
    yield* parts;
  }
  const text = async (body: unknown): Promise<string> => {
    let out = "";
    for await (const c of body as AsyncIterable<Uint8Array | string>) out += typeof c === "string" ? c : Buffer.from(c).toString("latin1");
    return out;
  };

  it("holds a body up to the limit whole, and hands on a bigger one, every byte in order", async () => {
    expect(await holdBody(chunks(bytes("abc"), bytes("de")), 5)).toEqual({ bytes: Buffer.from("abcde") });
    const over = await holdBody(chunks(bytes("abc"), bytes("def"), bytes("gh")), 5);
    expect("rest" in over && (await text(over.rest))).toBe("abcdefgh");
    // Text chunks (a test's body) are never held.
    const strings = await holdBody(chunks("ab", "cd"), 100);
    expect("rest" in strings && (await text(strings.rest))).toBe("abcd");
  });
});
