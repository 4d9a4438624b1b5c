// The streaming reader's own rules, below the differential test: a body cut
// into chunks anywhere (inside a tag, an entity, a multi-byte UTF-8
// character) reads the same as in one piece; a document that is not
// complete and well formed, or not the expected response, is an error that
// the poll records as MalformedResponse, never a half-read page.
import { describe, expect, it } from "vitest";
import { readBody } from "../../../src/aws/stream-send.js";
import { DESCRIBE_SECURITY_GROUPS } from "../../../src/aws/response-shapes.js";
import { XmlReadError } from "../../../src/aws/xml-shape-reader.js";
import { classifyPollError } from "../../../src/aws/poll-error.js";

const DOC =
  `<?xml version="1.0" encoding="UTF-8"?>\n<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">\n` +
  `  <requestId>r</requestId>\n  <securityGroupInfo>\n    <item>\n      <ownerId>123456789012</ownerId>\n      <groupId>sg-1</groupId>\n` +
  `      <groupName>caf\u00e9 \u{1F525}</groupName>\n      <groupDescription>a &amp; b &lt;c&gt; &#x263A; &#xD;</groupDescription>\n` +
  `      <ipPermissions>\n        <item>\n          <ipProtocol>tcp</ipProtocol><fromPort>22</fromPort><toPort></toPort>\n` +
  `          <ipRanges><item><cidrIp>0.0.0.0/0</cidrIp><description>\n   </description></item></ipRanges>\n` +
  `          <ipv6Ranges/>\n          <unknownThing><item><x>skipped</x></item></unknownThing>\n        </item>\n      </ipPermissions>\n` +
  `    </item>\n  </securityGroupInfo>\n  <nextToken>t&amp;2</nextToken>\n</DescribeSecurityGroupsResponse>\n`;

const EXPECTED = {
  SecurityGroups: [
    {
      OwnerId: "123456789012",
      GroupId: "sg-1",
      GroupName: "caf\u00e9 \u{1F525}",
      Description: "a & b <c> \u263A \r",
      // An empty <toPort> is Number("") = 0, as the SDK reads it; whitespace around a line break is "".
      IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 0, IpRanges: [{ CidrIp: "0.0.0.0/0", Description: "" }], Ipv6Ranges: [] }],
    },
  ],
  NextToken: "t&2",
};

async function* chunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const read = (body: unknown) => readBody(body, DESCRIBE_SECURITY_GROUPS, 200);

describe("xml shape reader", () => {
  it("reads a body in one piece, as a string, and cut into chunks of every size", async () => {
    const bytes = new TextEncoder().encode(DOC);
    expect(await read(bytes)).toEqual(EXPECTED);
    expect(await read(DOC)).toEqual(EXPECTED);
    for (const size of [1, 2, 3, 5, 7, 64]) expect(await read(chunks(bytes, size))).toEqual(EXPECTED);
  });

  it("keeps control characters XML 1.0 forbids raw (C0, DEL, C1, U+2028) as sent, raw or as references: one must not fail a poll", async () => {
    const hostile = "k\x1b[31m\x07\x7f\u009b\u0085\u2028\u202e";
    const doc = DOC.replace("caf\u00e9 \u{1F525}", hostile).replace("&#x263A;", "&#x1b;&#x9b;");
    const expected = { SecurityGroups: [{ ...EXPECTED.SecurityGroups[0], GroupName: hostile, Description: "a & b <c> \x1b\u009b \r" }], NextToken: "t&2" };
    const bytes = new TextEncoder().encode(doc);
    expect(await read(bytes)).toEqual(expected);
    for (const size of [1, 3, 64]) expect(await read(chunks(bytes, size))).toEqual(expected);
  });

  it.each([
    ["a truncated body", DOC.slice(0, DOC.length / 2), /XML parse error/],
    ["mismatched tags", DOC.replace("</groupName>", "</groupNam>"), /XML parse error/],
    ["an unknown entity", DOC.replace("&amp; b", "&nbsp; b"), /XML parse error/],
    ["a repeated element", DOC.replace("<groupId>sg-1</groupId>", "<groupId>sg-1</groupId><groupId>sg-2</groupId>"), /repeats <groupId>/],
    ["an element inside text", DOC.replace("<groupName>", "<groupName><b>x</b>"), /where text was expected/],
    ["another response", DOC.replaceAll("DescribeSecurityGroupsResponse", "DescribeVpcsResponse"), /DescribeSecurityGroupsResponse/],
    // The SDK reads an empty 200 body as a page of no groups; this reader refuses it.
    ["an empty body", "", /root element/],
  ])("fails on %s, and the poll records MalformedResponse", async (_, body, message) => {
    const err = await read(body).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(XmlReadError);
    expect((err as XmlReadError).message).toMatch(message);
    expect((err as XmlReadError).$metadata.httpStatusCode).toBe(200);
    expect(classifyPollError(err)).toMatchObject({ code: "MalformedResponse", message: expect.stringMatching(/could not be read/) });
  });

  it("maps each item of the root's list as it closes, with its index, and leaves nested lists alone", async () => {
    // Two groups: the second a copy of the first under another id.
    const second = DOC.slice(DOC.indexOf("    <item>\n      <ownerId>"), DOC.indexOf("  </securityGroupInfo>")).replace("sg-1", "sg-2");
    const doc = DOC.replace("  </securityGroupInfo>", `${second}  </securityGroupInfo>`);
    const bytes = new TextEncoder().encode(doc);
    for (const size of [1, 7, bytes.length]) {
      const seen: unknown[] = [];
      const root = await readBody(chunks(bytes, size), DESCRIBE_SECURITY_GROUPS, 200, (item, index) => {
        seen.push(item);
        return { index, id: (item as { GroupId: string }).GroupId };
      });
      // The list holds what the map made; each raw item went to the map whole (its rules' list unmapped).
      expect(root).toEqual({ SecurityGroups: [{ index: 0, id: "sg-1" }, { index: 1, id: "sg-2" }], NextToken: "t&2" });
      expect(seen).toEqual([EXPECTED.SecurityGroups[0], { ...EXPECTED.SecurityGroups[0], GroupId: "sg-2" }]);
    }
  });
});
