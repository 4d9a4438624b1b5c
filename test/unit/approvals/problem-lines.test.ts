// Proves how approval-file problems are shown to people
// (src/approvals/problem-lines.ts), in check-config, poll, approve --file and
// the approvals-invalid email:
// - at most 20 per file, then "file: and N more problems" right after that
//   file's last shown line; other files keep their own 20;
// - every line goes through the output sanitiser: raw bytes quoted from a
//   broken file show as visible escapes;
// - the approvals-invalid email's text and HTML show the same capped lines.
import { describe, expect, it } from "vitest";
import { problemLines } from "../../../src/approvals/problem-lines.js";
import { renderEmail } from "../../../src/alerts/render/email.js";

// eslint-disable-next-line no-control-regex
const RAW_UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

const junk = Array.from({ length: 45 }, (_, i) => ({ file: "approvals/junk.yaml", line: i + 1, message: `k${i}\u001b[31m\u0007\u202e: unknown field` }));
const net = [{ file: "approvals/net.yaml", line: 3, message: "id: is required (a ticket id)" }];
const problems = [...junk, ...net];
const word = (p: { file: string; line: number; message: string }): string => `${p.file}:${p.line}: ${p.message}`;

describe("problemLines", () => {
  it("shows 20 per file, then how many more, and keeps other files whole", () => {
    const lines = problemLines(problems, word);
    expect(lines).toHaveLength(22);
    expect(lines[19]).toBe("approvals/junk.yaml:20: k19\\x1b[31m\\x07\\u202e: unknown field");
    expect(lines[20]).toBe("approvals/junk.yaml: and 25 more problems");
    expect(lines[21]).toBe("approvals/net.yaml:3: id: is required (a ticket id)");
    expect(problemLines(junk.slice(0, 21), word).at(-1)).toBe("approvals/junk.yaml: and 1 more problem");
    expect(problemLines(junk.slice(0, 20), word)).toHaveLength(20);
  });

  it("caps the approvals-invalid email the same way, with nothing raw in its text or HTML", () => {
    const mail = renderEmail({ type: "approvals-invalid", problems });
    expect(mail.subject).toBe("[sgwatch] MEDIUM: 46 problems in approval records");
    expect(mail.text).toContain("approvals/junk.yaml: and 25 more problems");
    expect(mail.text).not.toContain("approvals/junk.yaml:21:");
    expect(mail.text).toContain("approvals/net.yaml:3: id: is required");
    for (const part of [mail.text, mail.html]) expect(RAW_UNSAFE.test(part.replace(/\n/g, ""))).toBe(false);
  });
});
