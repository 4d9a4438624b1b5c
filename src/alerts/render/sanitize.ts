// The alerts' view of the one output sanitiser (src/util/printable.ts): email
// text and HTML, log messages, webhook text and the CLI all make untrusted
// text printable the same way. Kept so channels import it from beside them.
export { oneLine, escapeHtml, htmlText, printableBlock, jsonText, hasUnsafeChars, firstUnsafeChar } from "../../util/printable.js";
