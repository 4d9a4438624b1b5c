// The one place where untrusted text becomes printable. Group names,
// descriptions and tags come from whoever can edit a group; approval ids,
// reasons and --by values from whoever writes a file or runs a command; error
// texts from servers. A terminal obeys escape sequences (ESC colours it, moves
// the cursor, retitles the window; BEL rings; U+009B is a one-byte CSI on some
// terminals), bidirectional overrides reorder what a person reads ("exe.txt"
// shown as "txt.exe"), and a line break forges a table row, a log field or a
// mail header. So every human-facing output (tables, lines, problem messages,
// email text and HTML) passes untrusted text through here, where such
// characters are made visible as escapes (`\x1b`, `\u202e`) instead of being
// removed: an operator of a security control should see that a name is hostile.
// JSON output and the database keep the exact text (see jsonText).

/** Default cap for one untrusted value (AWS caps names and descriptions at 255). */
const MAX_LEN = 256;

// C0 controls and DEL; C1 controls (U+0080–U+009F); the Unicode line and
// paragraph separators; the bidi marks, embeddings, overrides and isolates
// (U+061C, U+200E/U+200F, U+202A–U+202E, U+2066–U+2069).
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
/** The same set without line feed: for blocks of lines this program built itself. */
// eslint-disable-next-line no-control-regex
const UNSAFE_BUT_LF = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** Characters that are unsafe beyond C0 (which JSON.stringify already escapes). */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** The visible spelling of one unsafe character: `\n`, `\x1b`, `\u202e`. */
function escapeChar(ch: string): string {
  const named = NAMED[ch];
  if (named !== undefined) return named;
  const code = ch.charCodeAt(0);
  return code < 0x80 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

/** True when `text` holds a control character, a line break or a bidi control. */
export function hasUnsafeChars(text: string): boolean {
  return UNSAFE.test(text);
}

/** The first control or bidi character in `text`, spelled visibly (`\x1b`), or null. */
export function firstUnsafeChar(text: string): string | null {
  const m = UNSAFE.exec(text);
  return m ? escapeChar(m[0]) : null;
}

/**
 * Cut to at most `max` characters (code points), the last being "…" when cut.
 * Never splits a surrogate pair or an escape this module wrote.
 */
function cap(parts: string[], max: number): string {
  const lengths = parts.map((p) => (p.length === 1 ? 1 : [...p].length));
  if (lengths.reduce((a, b) => a + b, 0) <= max) return parts.join("");
  let out = "";
  let length = 0;
  for (const [i, piece] of parts.entries()) {
    const n = lengths[i] ?? 0;
    if (length + n > max - 1) break;
    out += piece;
    length += n;
  }
  return `${out}…`;
}

/** Split into printable pieces: each code point as is, each unsafe character as its escape. */
function pieces(text: string): string[] {
  return Array.from(text, (ch) => (UNSAFE.test(ch) ? escapeChar(ch) : ch));
}

/**
 * One untrusted value for one line: control characters, line breaks and bidi
 * controls made visible (`\n`, `\x1b`, `\u202e`), cut to `max` characters
 * with an ellipsis. Nothing is trimmed or dropped: what shows is what is stored.
 */
export function oneLine(text: string, max = MAX_LEN): string {
  return cap(pieces(text), max);
}

/**
 * A block of lines for a terminal (an error message with a list under it):
 * line feeds stay, every other unsafe character is made visible. The last
 * guard at the CLI's boundary; untrusted values inside should already have
 * been through oneLine.
 */
export function printableBlock(text: string): string {
  return text.replace(UNSAFE_BUT_LF, escapeChar);
}

/**
 * JSON text for output: the exact value (JSON.parse gives back every byte),
 * with C1 and bidi characters written as \u escapes so that JSON shown on a
 * terminal cannot reorder or recolour it. JSON.stringify escapes C0 itself;
 * outside strings JSON holds only ASCII, so the replacement touches strings only.
 */
export function jsonText(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(UNSAFE_IN_JSON, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escape for HTML text and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

/** oneLine, then escaped for HTML. */
export function htmlText(text: string, max = MAX_LEN): string {
  return escapeHtml(oneLine(text, max));
}

// A JSON escape (\uXXXX, or \ and one character), or a raw DEL, C1 or bidi character.
const JSON_ESCAPE_OR_UNSAFE = /\\u([0-9a-fA-F]{4})|\\([^u])|[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** JSON's one-letter escapes of control characters that are not line feed or tab. */
const SHORT_CONTROLS: Record<string, string> = { b: "\b", f: "\f", r: "\r" };

/**
 * A JSON log line made safe for the terminal that shows it (`docker logs`,
 * pino-pretty, `jq -r`): inside strings, every control character but line
 * feed and tab becomes the visible text `\x1b` (`\r`), every DEL, C1 or bidi
 * character `\u202e`, as oneLine spells them. Log lines are for people; the
 * database and `--json` output keep the exact text.
 */
export function logLineText(line: string): string {
  // The JSON text of a visible escape: its backslash escaped once more.
  const visible = (ch: string): string => `\\${escapeChar(ch)}`;
  return line.replace(JSON_ESCAPE_OR_UNSAFE, (m: string, hex: string | undefined, short: string | undefined) => {
    if (hex !== undefined) {
      const ch = String.fromCharCode(parseInt(hex, 16));
      return UNSAFE.test(ch) ? visible(ch) : m;
    }
    if (short !== undefined) {
      const ch = SHORT_CONTROLS[short];
      return ch === undefined ? m : visible(ch);
    }
    return visible(m);
  });
}
