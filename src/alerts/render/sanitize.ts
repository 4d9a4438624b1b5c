// Group names, descriptions and tags come from the API: anyone who can edit a
// group writes them. They are escaped for HTML, stripped of line breaks where a
// line break could forge a header or a log field, and capped in length.

const MAX_LEN = 256;

/** Remove control characters (CR/LF included) and cap the length. */
export function oneLine(text: string, max = MAX_LEN): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
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
