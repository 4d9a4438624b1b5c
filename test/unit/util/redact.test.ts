// Proves the one redaction helper (src/util/redact.ts):
// - any URL in a text is cut to its origin: no user:pass@, path, query or fragment;
// - a known URL is replaced by its origin even where it does not parse (a
//   space in it) and in the form fetch normalises it to;
// - its password, path and query values are [redacted] wherever they appear
//   alone (a server echoing the path), and other known secrets too;
// - secrets shorter than three characters are not searched for.
import { describe, expect, it } from "vitest";
import { redact, urlOrigin, urlSecrets, REDACTED } from "../../../src/util/redact.js";

describe("redact", () => {
  it("cuts every URL in a text to its origin", () => {
    expect(redact("GET https://u:p4ss@hooks.example.com:8443/a/b?token=x#f failed; see http://h.example/x")).toBe(
      "GET https://hooks.example.com:8443 failed; see http://h.example",
    );
    expect(urlOrigin("smtp://user:pw@mail.example:587/x")).toBe("smtp://mail.example:587");
    expect(urlOrigin("http://user:pw@exa mple/x")).toBe(`http://${REDACTED}`);
    expect(urlOrigin("not a url")).toBe("the configured URL");
  });

  it("replaces a known URL by its origin, as written and as fetch normalises it, and its parts alone", () => {
    const url = "HTTP://Hook:s%40cret-pw@Example.com/services/T0/B0/XYZ?token=tok-123&x=1";
    const known = { urls: [url], secrets: urlSecrets(url) };
    const text = `Request cannot be constructed from ${new URL(url).href}; server said: no route /services/T0/B0/XYZ?token=tok-123 (password s@cret-pw, token tok-123)`;
    const out = redact(text, known);
    expect(out).toBe(`Request cannot be constructed from http://example.com; server said: no route ${REDACTED}?token=${REDACTED} (password ${REDACTED}, token ${REDACTED})`);
  });

  it("replaces an unparseable known URL whole, and everything after its scheme", () => {
    const url = "http://user:pw-123@exa mple.invalid/p?token=t-9";
    const out = redact(`Failed to parse URL from ${url}; rest: user:pw-123@exa mple.invalid/p?token=t-9`, { urls: [url], secrets: urlSecrets(url) });
    expect(out).toBe(`Failed to parse URL from http://${REDACTED}; rest: ${REDACTED}`);
  });

  it("replaces other known secrets but not ones too short to mean anything", () => {
    expect(redact("auth Bearer abc-123 failed for a", { secrets: ["Bearer abc-123", "a"] })).toBe(`auth ${REDACTED} failed for a`);
  });
});
