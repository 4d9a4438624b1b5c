// Control characters XML 1.0 forbids raw (C0 but tab, LF and CR) can still
// reach a response in names, descriptions and tags, and the SDK's own parser
// takes them; one of them must not fail a poll (it would blind the monitor).
// The stream reader parses as XML 1.1 and writes each of them as a character
// reference, which 1.1 allows. DEL, the C1 controls and U+2028 become
// references too: 1.1 forbids them raw, or reads NEL and LSEP as line ends; a
// reference keeps each character as sent.
//
// A reference is decoded in text and attribute values but not inside a CDATA
// section, where it would read as the six characters "&#x2028;" while the SDK
// keeps the character. So the escaper follows where it is in the markup, chunk
// by chunk (the parser keeps its own state private), and inside CDATA closes
// the section around the reference: `]]>&#x2028;<![CDATA[`, which reads as the
// same text. It tracks only what can hide a CDATA marker or hold one
// literally: CDATA sections, comments and processing instructions. A marker
// cut across two chunks is held back (at most 8 characters, already written)
// and looked at again with the next chunk.
//
// Not followed: a "<![CDATA[" inside a quoted entity value of a DOCTYPE's
// internal subset. EC2 sends no DOCTYPE, and a document with one would have to
// also hold a raw control inside CDATA for the difference to show.

const RAW_CONTROL = /[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028]/;
const RAW_CONTROLS = new RegExp(RAW_CONTROL.source, "g");

const CONTENT = 0;
const CDATA = 1;
const COMMENT = 2;
const PI = 3;
type Where = typeof CONTENT | typeof CDATA | typeof COMMENT | typeof PI;

const OPEN_CDATA = "<![CDATA[";
const OPEN_COMMENT = "<!--";
/** What ends each place but content. */
const CLOSE = ["", "]]>", "-->", "?>"] as const;

const reference = (c: string): string => `&#x${c.charCodeAt(0).toString(16)};`;

/** Rewrites each raw control character of a document, written chunk by chunk, as a reference the parser decodes to the same character. */
export class RawControlEscaper {
  private where: Where = CONTENT;
  /** The end of the last chunk, when it may be the start of a marker: already written, looked at again with the next chunk. */
  private held = "";

  /** The chunk to give the parser in place of `chunk`. */
  escape(chunk: string): string {
    const base = this.held.length;
    const text = base === 0 ? chunk : this.held + chunk;
    this.held = "";
    const controls = RAW_CONTROL.test(chunk);
    let out = "";
    let copied = base;
    // Rewrites the controls of text[from, to) as they must be written where they are.
    const rewrite = (from: number, to: number, where: Where): void => {
      if (!controls || to <= from) return;
      RAW_CONTROLS.lastIndex = Math.max(from, base);
      for (let m = RAW_CONTROLS.exec(text); m !== null && m.index < to; m = RAW_CONTROLS.exec(text)) {
        out += text.slice(copied, m.index) + (where === CDATA ? `]]>${reference(m[0])}${OPEN_CDATA}` : reference(m[0]));
        copied = m.index + 1;
      }
    };

    let start = 0; // where the current place began in text
    let from = 0; // where to look for its end
    for (;;) {
      if (this.where === CONTENT) {
        const bang = text.indexOf("<!", from);
        const question = text.indexOf("<?", from);
        const at = bang < 0 ? question : question < 0 ? bang : Math.min(bang, question);
        if (at < 0) {
          rewrite(start, text.length, CONTENT);
          if (text.endsWith("<")) this.held = "<";
          break;
        }
        let next: Where = CONTENT;
        let after = at + 2;
        if (at === question) next = PI;
        else if (text.startsWith(OPEN_CDATA, at)) [next, after] = [CDATA, at + OPEN_CDATA.length];
        else if (text.startsWith(OPEN_COMMENT, at)) [next, after] = [COMMENT, at + OPEN_COMMENT.length];
        else {
          const rest = text.slice(at, at + OPEN_CDATA.length);
          if (rest.length < OPEN_CDATA.length && (OPEN_CDATA.startsWith(rest) || OPEN_COMMENT.startsWith(rest))) {
            // Cut short by the end of the chunk: decided with the next one.
            rewrite(start, at, CONTENT);
            this.held = rest;
            break;
          }
          // A DOCTYPE or another declaration: still content here.
          from = after;
          continue;
        }
        rewrite(start, at, CONTENT);
        this.where = next;
        start = from = after;
        continue;
      }
      const close = CLOSE[this.where];
      const at = text.indexOf(close, from);
      if (at < 0) {
        rewrite(start, text.length, this.where);
        // The longest end of text that begins the closing marker.
        for (let n = close.length - 1; n > 0; n--) {
          if (text.length - n >= start && text.endsWith(close.slice(0, n))) {
            this.held = text.slice(text.length - n);
            break;
          }
        }
        break;
      }
      rewrite(start, at, this.where);
      this.where = CONTENT;
      start = from = at + close.length;
    }
    if (copied === base) return chunk;
    return out + text.slice(copied);
  }
}
