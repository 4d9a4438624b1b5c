// Proves that a poll failure's text, which is stored (polls.error,
// targets.last_error) and shown (status, blind alerts), never carries a URL's
// credentials, path or query: an SDK or proxy error quoting
// https://user:pass@host/path?token=… keeps only the origin, whatever the
// error class (network, timeout, permission, other).
import { describe, expect, it } from "vitest";
import { classifyPollError, CollectError } from "../../../src/aws/poll-error.js";

const URL_WITH_SECRETS = "https://svc:pr0xy-pa55@proxy.example:8443/tenant/SECRETPATH?token=tok-SECRET";

function sdkError(name: string, message: string, code?: string): Error {
  return Object.assign(new Error(message), { name, ...(code ? { code } : {}) });
}

describe("classifyPollError", () => {
  it("cuts every URL in the error text to its origin", () => {
    const cases = [
      sdkError("Error", `connect ECONNREFUSED via ${URL_WITH_SECRETS}`, "ECONNREFUSED"),
      sdkError("TimeoutError", `request to ${URL_WITH_SECRETS} timed out`),
      sdkError("AccessDenied", `proxy ${URL_WITH_SECRETS} denied the request`),
      sdkError("Unknown", `<html>bad gateway: ${URL_WITH_SECRETS}</html>`),
      new CollectError("MalformedResponse", `page from ${URL_WITH_SECRETS} could not be read`),
    ];
    for (const err of cases) {
      const { message } = classifyPollError(err);
      expect(message).toContain("https://proxy.example:8443");
      for (const secret of ["pr0xy-pa55", "SECRET", "tenant"]) expect(message).not.toContain(secret);
    }
  });
});
