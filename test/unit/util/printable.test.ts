// Proves the one output sanitiser (src/util/printable.ts):
// - oneLine makes C0/C1 controls, DEL, line breaks, U+2028/2029 and every
//   bidi control (U+061C, U+200E/F, U+202A–E, U+2066–9) visible as escapes,
//   keeps everything else (emoji, accents, a leading space) exactly, and cuts
//   long values with an ellipsis without splitting an escape or a surrogate pair;
// - printableBlock keeps line feeds and makes the rest visible;
// - jsonText parses back to the exact value while holding no raw C1 or bidi
//   character;
// - htmlText escapes HTML after oneLine.
import { describe, expect, it } from "vitest";
import { firstUnsafeChar, hasUnsafeChars, htmlText, jsonText, logLineText, oneLine, printableBlock } from "../../../src/util/printable.js";

const BIDI = ["\u061c", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"];
// eslint-disable-next-line no-control-regex
const RAW_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe("oneLine", () => {
  it("spells control characters and line breaks visibly", () => {
    expect(oneLine("\u001b[31mapp\u001b[0m\u0007")).toBe("\\x1b[31mapp\\x1b[0m\\x07");
    expect(oneLine("a\r\nb\tc")).toBe("a\\r\\nb\\tc");
    expect(oneLine("del\u007f nul\u0000")).toBe("del\\x7f nul\\x00");
    expect(oneLine("csi\u009b2J nel\u0085")).toBe("csi\\u009b2J nel\\u0085");
    expect(oneLine("ls\u2028ps\u2029")).toBe("ls\\u2028ps\\u2029");
  });

  it("spells every bidi control visibly", () => {
    for (const ch of BIDI) {
      const out = oneLine(`x${ch}y`);
      expect(out).toBe(`x\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}y`);
      expect(RAW_UNSAFE.test(out)).toBe(false);
    }
  });

  it("keeps ordinary text exactly, spaces and non-ASCII included", () => {
    expect(oneLine(" web – prod 🚀 ü ")).toBe(" web – prod 🚀 ü ");
    expect(oneLine('<script>"x"</script> \\x1b')).toBe('<script>"x"</script> \\x1b');
  });

  it("cuts long values to the cap with an ellipsis", () => {
    expect(oneLine("a".repeat(300))).toBe(`${"a".repeat(255)}…`);
    expect(oneLine("abcdef", 4)).toBe("abc…");
    expect(oneLine("abcd", 4)).toBe("abcd");
  });

  it("never splits an escape or a surrogate pair when cutting", () => {
    expect(oneLine("ab\u001bcdef", 5)).toBe("ab…"); // "\x1b" (4 characters) does not fit before the ellipsis
    expect(oneLine("a🚀🚀🚀🚀", 3)).toBe("a🚀…");
  });
});

describe("printableBlock", () => {
  it("keeps line feeds and makes everything else visible", () => {
    expect(printableBlock("problems:\n  id \u001b[2J\r\u202e")).toBe("problems:\n  id \\x1b[2J\\r\\u202e");
  });
});

describe("jsonText", () => {
  it("parses back to the exact value and holds no raw C1 or bidi character", () => {
    const value = { name: "\u001b[31mapp\u0007\u202e\u2066\u0085\n<b>", n: 1 };
    const text = jsonText(value);
    expect(RAW_UNSAFE.test(text.replace(/\n/g, ""))).toBe(false);
    expect(JSON.parse(text)).toEqual(value);
  });
});

describe("logLineText", () => {
  it("turns control, C1 and bidi characters inside a JSON log line into visible text, keeping it valid JSON", () => {
    const line = `${JSON.stringify({ msg: "a\u001b[31m\u0007\r\b\u202e\u0085\u007f", stack: "x\n\ty", literal: "\\u001b \\" })}\n`;
    const out = logLineText(line);
    expect(out.endsWith("}\n")).toBe(true);
    expect(JSON.parse(out)).toEqual({ msg: "a\\x1b[31m\\x07\\r\\x08\\u202e\\u0085\\x7f", stack: "x\n\ty", literal: "\\u001b \\" });
  });
});

describe("checks", () => {
  it("finds the first unsafe character, spelled visibly", () => {
    expect(hasUnsafeChars("CHG-1")).toBe(false);
    expect(hasUnsafeChars("CHG\u202e1")).toBe(true);
    expect(firstUnsafeChar("a\u0007b\u001b")).toBe("\\x07");
    expect(firstUnsafeChar("plain")).toBeNull();
  });

  it("htmlText escapes after making the value visible", () => {
    expect(htmlText("<b>\u001b</b>")).toBe("&lt;b&gt;\\x1b&lt;/b&gt;");
  });
});
