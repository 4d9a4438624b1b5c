// String builders for EC2 Query responses. Every value goes through
// escapeXml(): tag values and descriptions are user input, and a stray `<` or
// `&` would otherwise change the document the monitor parses.

/** The namespace of every EC2 2016-11-15 response. */
export const EC2_NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/";

/** Escapes text for element content and attribute values. */
export function escapeXml(value: string): string {
  // \r is escaped because XML parsers turn a literal CR into LF.
  return value.replace(/[&<>"'\r]/g, (c) => {
    switch (c) {
      case "&":
        return "&amp;";
      case "<":
        return "&lt;";
      case ">":
        return "&gt;";
      case '"':
        return "&quot;";
      case "'":
        return "&apos;";
      default:
        return "&#xD;";
    }
  });
}

/** A scalar element, or nothing when the value is absent (AWS omits unset members). */
export function text(name: string, value: string | number | boolean | null | undefined): string {
  if (value === undefined || value === null) return "";
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** An element wrapping already-built XML. */
export function wrap(name: string, inner: string): string {
  return `<${name}>${inner}</${name}>`;
}

/** An EC2 list: `<name><item>…</item>…</name>`, or `<name/>` when empty, as AWS writes it. */
export function itemList(name: string, items: readonly string[]): string {
  if (items.length === 0) return `<${name}/>`;
  return `<${name}>${items.map((i) => `<item>${i}</item>`).join("")}</${name}>`;
}

/** A complete success document for `action`. */
export function responseDocument(action: string, requestId: string, body: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<${action}Response xmlns="${EC2_NAMESPACE}">` +
    text("requestId", requestId) +
    body +
    `</${action}Response>`
  );
}

/** The EC2 error document (note `RequestID`, not `requestId`, as AWS spells it here). */
export function errorDocument(code: string, message: string, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<Response><Errors><Error>${text("Code", code)}${text("Message", message)}</Error></Errors>` +
    `${text("RequestID", requestId)}</Response>`
  );
}
