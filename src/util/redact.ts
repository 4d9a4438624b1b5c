// The one place where error texts lose their secrets. A webhook URL is often
// itself the secret (Slack's is; `?token=` and `user:pass@` ones are), and the
// errors of fetch, SMTP and the AWS SDK quote URLs, servers echo requests in
// their answers, and all of it lands in log lines, outbox.last_error and
// `sgwatch alerts`. So every error text that can carry a URL or a credential
// goes through redact() where it is made, before it is thrown or stored: any
// URL is cut to its origin (scheme, host, port) and every known secret —
// parts of the configured URL, header values, the SMTP password — is replaced.

/** What a redacted secret reads as. */
export const REDACTED = "[redacted]";

/** Secrets shorter than this are not searched for: replacing "a" everywhere would garble the message and hide nothing. */
const MIN_SECRET_LENGTH = 3;

// scheme://… up to whitespace, a quote or an angle bracket (how URLs end in messages).
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;

/** A URL's origin (scheme, host, port): never its credentials, path, query or fragment. */
export function urlOrigin(url: string): string {
  try {
    const u = new URL(url);
    // Non-special schemes (smtp://, foo://) have the origin "null"; build it from host.
    return u.origin !== "null" ? u.origin : `${u.protocol}//${u.host}`;
  } catch {
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1];
    return scheme ? `${scheme}://${REDACTED}` : "the configured URL";
  }
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The parts of a secret URL that must never be printed, as written and
 * decoded: the password, the path, the query and each query value (the URL
 * itself goes to redact() as a known URL). Works on URLs that do not parse
 * too: then everything after the scheme is secret.
 */
export function urlSecrets(url: string): string[] {
  const out: string[] = [];
  try {
    const u = new URL(url);
    out.push(u.password, decoded(u.password));
    if (u.pathname.length > 1) out.push(u.pathname, decoded(u.pathname));
    if (u.search) out.push(u.search, decoded(u.search));
    for (const value of u.searchParams.values()) out.push(value);
    if (u.hash) out.push(u.hash);
  } catch {
    // Everything after the scheme can be secret when the URL does not parse.
    const rest = /^[a-z][a-z0-9+.-]*:\/\/(.*)$/is.exec(url)?.[1];
    if (rest) out.push(rest);
  }
  return out;
}

/** What redact() knows is secret. */
export interface KnownSecrets {
  /** Configured URLs (as written and as fetch normalises them): each replaced by its origin wherever it appears whole. */
  urls?: readonly string[];
  /** Other secret strings (URL parts from urlSecrets, header values, passwords): replaced by [redacted]. */
  secrets?: readonly string[];
}

const longestFirst = (list: readonly string[]): string[] =>
  [...new Set(list)].filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);

/**
 * Text without secrets: each known URL replaced by its origin, each known
 * secret by [redacted], then any other URL cut to its origin.
 */
export function redact(text: string, known: KnownSecrets = {}): string {
  let out = text;
  // Whole URLs first (a URL that does not parse would otherwise be cut at its
  // first space), then their parts, longest first so no piece is left half.
  // Known URLs become placeholders ("<n>": `<` ends a URL in the last pass),
  // so that pass does not take their origins' neighbours for part of a URL.
  const urls = longestFirst((known.urls ?? []).flatMap((u) => [u, normalisedUrl(u)]));
  urls.forEach((url, i) => (out = out.split(url).join(`<\u0000${i}>`)));
  for (const secret of longestFirst(known.secrets ?? [])) out = out.split(secret).join(REDACTED);
  out = out.replace(URL_IN_TEXT, (url) => urlOrigin(url));
  return out.replace(/<\u0000(\d+)>/g, (m: string, i: string) => {
    const url = urls[Number(i)];
    return url === undefined ? m : urlOrigin(url);
  });
}

/** The URL as the WHATWG parser writes it (what fetch quotes), or as given. */
function normalisedUrl(url: string): string {
  try {
    return new URL(url).href;
  } catch {
    return url;
  }
}
