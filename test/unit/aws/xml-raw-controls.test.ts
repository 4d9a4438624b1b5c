// Raw control characters read as sent wherever they stand: in text, inside
// CDATA (where a character reference would not be decoded), next to "]]" that
// does not close the section, and after comments and processing instructions
// that hold CDATA markers literally, for a body cut at every point (a marker
// split across two chunks) and cut into pieces of every small size.
import { describe, expect, it } from "vitest";
import { readBody } from "../../../src/aws/stream-send.js";
import { DESCRIBE_SECURITY_GROUPS } from "../../../src/aws/response-shapes.js";
import { RawControlEscaper } from "../../../src/aws/xml-raw-controls.js";

const DESCRIPTION = "]\x7f]x\u009b";
const TAG = "<![CDATA[\x02";

const DOC =
  `<?xml version="1.0" encoding="UTF-8"?><?note <![CDATA[ \x03 ?>\n<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">` +
  `<!-- <![CDATA[ \x04 ]]> --><requestId>r</requestId><securityGroupInfo><item><ownerId>123456789012</ownerId><groupId>sg-1</groupId>` +
  // The name in three CDATA sections around text, the last empty; it holds "]]>" and "<![CDATA[" as text.
  `<groupName><![CDATA[a\u2028b\x01]]]]><![CDATA[><![CDATA[]]>c\x1b[31m\u0085<![CDATA[]]></groupName>` +
  `<groupDescription><![CDATA[]\x7f]x\u009b]]></groupDescription>` +
  `<tagSet><item><key>k</key><value>&lt;![CDATA[\x02</value></item></tagSet>` +
  `</item></securityGroupInfo></DescribeSecurityGroupsResponse>`;

async function* pieces(text: string, cuts: number[]): AsyncGenerator<string> {
  let at = 0;
  for (const cut of cuts) {
    yield text.slice(at, cut);
    at = cut;
  }
  yield text.slice(at);
}

const read = (body: unknown) => readBody(body, DESCRIBE_SECURITY_GROUPS, 200);

describe("raw control characters", () => {
  const expected = {
    SecurityGroups: [{ OwnerId: "123456789012", GroupId: "sg-1", GroupName: "a\u2028b\x01]]><![CDATA[c\x1b[31m\u0085", Description: DESCRIPTION, Tags: [{ Key: "k", Value: TAG }] }],
  };

  it("read as sent in text and CDATA, the document in one piece", async () => {
    expect(await read(DOC)).toEqual(expected);
  });

  it("read the same for the document cut in two at every point", async () => {
    for (let i = 1; i < DOC.length; i++) expect(await read(pieces(DOC, [i])), `cut at ${i}: ${JSON.stringify(DOC.slice(i - 5, i + 5))}`).toEqual(expected);
  });

  it("read the same for the document cut into pieces of 1 to 10 characters", async () => {
    for (let size = 1; size <= 10; size++) {
      const cuts = Array.from({ length: Math.ceil(DOC.length / size) - 1 }, (_, k) => (k + 1) * size);
      expect(await read(pieces(DOC, cuts)), `pieces of ${size}`).toEqual(expected);
    }
  });

  it("close a CDATA section around each reference, and leave a chunk with none alone", () => {
    const e = new RawControlEscaper();
    expect(e.escape("<a><![CDATA[x\u2028")).toBe("<a><![CDATA[x]]>&#x2028;<![CDATA[");
    expect(e.escape("]")).toBe("]");
    expect(e.escape("]\x01")).toBe("]]]>&#x1;<![CDATA[");
    expect(e.escape("]]>\x01<!-")).toBe("]]>&#x1;<!-");
    expect(e.escape("- \x01 -->")).toBe("- &#x1; -->");
    const plain = "<b>no controls</b>";
    expect(e.escape(plain)).toBe(plain);
  });
});
