// Proves the webhook channel against a real local HTTP server:
// - generic format: a JSON POST of {alertId, type, severity, createdAt,
//   payload}, with the configured header whose value came from the env var the
//   config names;
// - slack format: `text` and `blocks` with the worst severity, the target,
//   each change in words, the ack command; names from the API cannot ping
//   (@channel) or forge links; a reminder digest of hundreds of changes
//   comes in sections of whole lines within Slack's 50 blocks;
// - a 500, a redirect, a refused connection and a timeout each make send()
//   throw, with a message that names neither the header's value nor the URL's
//   path (Slack webhook URLs are secrets);
// - a URL with `user:pass@`, a secret path and `?token=`, one that does not
//   even parse, and a receiver that echoes the request (URL, token, header)
//   in its error answer: the error names the origin only, in the thrown
//   message, outbox.last_error and the dispatcher's log lines;
// - through the real outbox and dispatcher: a 500 leaves the alert pending
//   for a retry; once the receiver answers 2xx it is sent.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "better-sqlite3";
import { WebhookChannel, webhookOptionsFromConfig, type GenericWebhookBody, type SlackBody } from "../../src/alerts/channels/webhook.js";
import type { DriftAlert, OutboxAlert } from "../../src/model/alert-payload.js";
import { dispatchDue } from "../../src/alerts/dispatch.js";
import { enqueueAlert, listOutbox } from "../../src/store/outbox-repo.js";
import { openDatabase } from "../../src/store/open.js";
import { UserError } from "../../src/util/errors.js";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { fakeClock, REFERENCE_INSTANT } from "../support/fake-clock.js";
import { captureLog } from "../support/log-capture.js";

const TOKEN = "Bearer s3cr3t-token-value";
const SECRET_PATH = "/services/T000/B000/XXXXSECRETXXXX";
const HOSTILE_NAME = "<!channel> <https://evil.example|click me> & co";
const URL_PASSWORD = "pa55-w0rd-XYZZY";
const QUERY_TOKEN = "qtoken-SECRET-42";

const drift: DriftAlert = {
  type: "drift",
  target: { account: "111111111111", region: "eu-west-1", label: "prod" },
  pollId: 7,
  detectedAt: "2026-03-02T10:05:00.000Z",
  intervalStart: "2026-03-02T10:00:00.000Z",
  changes: [
    {
      changeId: 41,
      kind: "rule-added",
      severity: "critical",
      groupId: "sg-0aaa",
      groupName: HOSTILE_NAME,
      vpcId: "vpc-1",
      rule: { direction: "ingress", protocol: "tcp", fromPort: 22, toPort: 22, sourceKind: "ipv4", source: "0.0.0.0/0", sourceAccount: null, peeringId: null, description: null },
      oldDescription: null,
      before: null,
      after: null,
      approvalNote: null,
    },
    {
      changeId: 42,
      kind: "group-deleted",
      severity: "medium",
      groupId: "sg-0bbb",
      groupName: "batch",
      vpcId: "vpc-1",
      rule: null,
      oldDescription: null,
      before: null,
      after: null,
      approvalNote: null,
    },
    {
      changeId: 43,
      kind: "rule-removed",
      severity: "low",
      groupId: "sg-0ccc",
      groupName: "db",
      vpcId: "vpc-1",
      rule: { direction: "ingress", protocol: "tcp", fromPort: 5432, toPort: 5432, sourceKind: "ipv4", source: "0.0.0.0/0", sourceAccount: null, peeringId: null, description: null },
      oldDescription: null,
      before: null,
      after: null,
      approvalNote: null,
      reverts: { changeId: 30, exposureSeconds: 600 },
    },
  ],
};

const alert: OutboxAlert = { id: 17, createdAt: "2026-03-02T10:05:01.000Z", severity: "critical", attempts: 0, payload: drift };

const env = { SGWATCH_WEBHOOK_TOKEN: TOKEN };

function channel(receiver: WebhookReceiver, format: "generic" | "slack", timeout = 5000): WebhookChannel {
  return new WebhookChannel(
    webhookOptionsFromConfig({ url: `${receiver.url}${SECRET_PATH}`, format, headersFromEnv: { Authorization: "SGWATCH_WEBHOOK_TOKEN" }, timeout }, env),
  );
}

/** The thrown message must not carry a secret. */
async function sendError(ch: WebhookChannel): Promise<string> {
  const err = await ch.send(alert).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  const message = (err as Error).message;
  for (const secret of ["s3cr3t", "SECRET", URL_PASSWORD, QUERY_TOKEN, "XYZZY"]) expect(message).not.toContain(secret);
  return message;
}

describe("webhook channel against a local HTTP server", () => {
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
  });
  beforeEach(() => {
    receiver.requests.length = 0;
    receiver.answer({ status: 200, body: "ok" });
  });

  it("generic: POSTs the documented JSON with the header from the environment", async () => {
    await channel(receiver, "generic").send(alert);
    expect(receiver.requests).toHaveLength(1);
    const req = receiver.requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.path).toBe(SECRET_PATH);
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.headers.authorization).toBe(TOKEN);
    expect(req.headers["x-sgwatch-alert-id"]).toBe("17");
    const body = JSON.parse(req.body) as GenericWebhookBody;
    expect(body).toEqual({ alertId: 17, type: "drift", severity: "critical", createdAt: "2026-03-02T10:05:01.000Z", payload: drift });
  });

  it("slack: text and blocks with severity, target, each change in words and the ack command, escaped", async () => {
    await channel(receiver, "slack").send(alert);
    const body = JSON.parse(receiver.requests[0]!.body) as SlackBody;
    expect(body.text).toBe("CRITICAL: 3 unapproved security-group changes in prod (111111111111) eu-west-1");
    expect(body.blocks[0]).toEqual({ type: "header", text: { type: "plain_text", text: body.text } });
    const all = JSON.stringify(body.blocks);
    expect(all).toContain("prod (111111111111) eu-west-1");
    expect(all).toContain("#41");
    expect(all).toContain("added TCP 22 from 0.0.0.0/0");
    expect(all).toContain("*MEDIUM* #42");
    expect(all).toContain("group deleted");
    expect(all).toContain("undoes unapproved change #30, which was in effect for 10 min");
    expect(all).toContain("sgwatch ack 41 42 43 --by YOUR_NAME");
    expect(all).toContain("https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#SecurityGroup:groupId=sg-0aaa");
    // The hostile name arrives as text, not as a ping or a link.
    expect(all).not.toContain("<!channel>");
    expect(all).not.toContain("<https://evil");
    expect(all).toContain("&lt;!channel&gt; &lt;https://evil.example|click me&gt; &amp; co");
    for (const b of body.blocks) if (b.type === "section") expect(b.text.text.length).toBeLessThanOrEqual(3000);
  });

  it("slack: a monitoring-blind alert reads as the email's words", async () => {
    const blind: OutboxAlert = {
      ...alert,
      severity: "high",
      payload: { type: "monitoring-blind", target: drift.target, failures: 3, since: "2026-03-02T09:50:00.000Z", lastSuccessAt: null, lastError: "AccessDenied <x>" },
    };
    await channel(receiver, "slack").send(blind);
    const body = JSON.parse(receiver.requests[0]!.body) as SlackBody;
    expect(body.text).toBe("HIGH: monitoring blind for prod (111111111111) eu-west-1 (3 failed polls)");
    expect(JSON.stringify(body.blocks)).toContain("AccessDenied &lt;x&gt;");
  });

  it("slack: a reminder digest of hundreds of changes fills sections of whole lines within Slack's 50 blocks, and says what it left out", async () => {
    const digest = (n: number): OutboxAlert => ({
      ...alert,
      payload: {
        type: "reminder",
        digest: { incidents: n, above: 10 },
        items: Array.from({ length: n }, (_, i) => ({ target: drift.target, detectedAt: drift.detectedAt, change: { ...drift.changes[0]!, changeId: 1000 + i } })),
      },
    });
    await channel(receiver, "slack").send(digest(300));
    await channel(receiver, "slack").send(digest(3000));
    const [some, many] = receiver.requests.map((r) => JSON.parse(r.body) as SlackBody);
    for (const body of [some!, many!]) {
      expect(body.blocks.length).toBeLessThanOrEqual(50);
      for (const b of body.blocks) if (b.type === "section") expect(b.text.text.length).toBeLessThanOrEqual(3000);
      // No line is cut short: every section ends at a line's end.
      for (const b of body.blocks) if (b.type === "section") expect(b.text.text).not.toMatch(/…$/);
    }
    const someText = JSON.stringify(some!.blocks);
    expect(someText).toContain("#1299 ");
    expect(someText).toContain("sgwatch ack 1000 1001 ");
    expect(someText).not.toContain("more lines");
    const last = many!.blocks.filter((b) => b.type === "section").at(-1) as { text: { text: string } };
    expect(last.text.text).toMatch(/\n…and \d+ more lines$/);
  });

  it("a 500 makes send() throw, quoting the answer but no secret", async () => {
    receiver.answer({ status: 500, body: "internal trouble" });
    const message = await sendError(channel(receiver, "generic"));
    expect(message).toBe(`webhook POST to ${receiver.url} answered HTTP 500: internal trouble`);
  });

  it("a redirect is not followed (it could carry the header elsewhere) and throws", async () => {
    receiver.answer({ status: 302, headers: { location: "http://127.0.0.1:9/elsewhere" } });
    expect(await sendError(channel(receiver, "generic"))).toMatch(/redirected \(HTTP 302\)/);
    expect(receiver.requests).toHaveLength(1);
  });

  it("a receiver that never answers makes send() throw after the timeout", async () => {
    receiver.answer("hang");
    // The message comes only from the channel's own timeout signal firing; the
    // receiver got the request and never answered it, so nothing else ended it.
    expect(await sendError(channel(receiver, "generic", 300))).toBe(`webhook POST to ${receiver.url} timed out after 300 ms`);
    expect(receiver.requests).toHaveLength(1);
  });

  it("a refused connection throws with the reason", async () => {
    const gone = await startWebhookReceiver();
    await gone.close();
    const ch = new WebhookChannel({ url: `${gone.url}${SECRET_PATH}`, format: "generic", headers: {}, timeoutMs: 2000 });
    expect(await sendError(ch)).toMatch(/failed: fetch failed: .*ECONNREFUSED/);
  });

  it("a URL with user:pass@, a secret path and ?token= is named by its origin only when fetch refuses it", async () => {
    const port = new URL(receiver.url).port;
    const ch = new WebhookChannel({ url: `http://hookuser:${URL_PASSWORD}@127.0.0.1:${port}${SECRET_PATH}?token=${QUERY_TOKEN}`, format: "generic", headers: {}, timeoutMs: 2000 });
    expect(await sendError(ch)).toMatch(new RegExp(`^webhook POST to http://127\\.0\\.0\\.1:${port} failed: `));
  });

  it("a URL that does not parse (from urlEnv) is not quoted", async () => {
    const opts = webhookOptionsFromConfig(
      { urlEnv: "HOOK_URL", format: "generic", headersFromEnv: {}, timeout: 1000 },
      { HOOK_URL: `http://hookuser:${URL_PASSWORD}@exa mple.invalid${SECRET_PATH}?token=${QUERY_TOKEN}` },
    );
    expect(await sendError(new WebhookChannel(opts))).toMatch(/^webhook POST to http:\/\/\[redacted\] failed: /);
  });

  it("a receiver echoing the request's URL, token and header in its error answer is quoted redacted", async () => {
    receiver.answer({ status: 404, body: `no route POST ${receiver.url}${SECRET_PATH}?token=${QUERY_TOKEN} (auth: ${TOKEN}, token ${QUERY_TOKEN})` });
    const ch = new WebhookChannel(
      webhookOptionsFromConfig(
        { url: `${receiver.url}${SECRET_PATH}?token=${QUERY_TOKEN}`, format: "generic", headersFromEnv: { Authorization: "SGWATCH_WEBHOOK_TOKEN" }, timeout: 5000 },
        env,
      ),
    );
    expect(await sendError(ch)).toBe(`webhook POST to ${receiver.url} answered HTTP 404: no route POST ${receiver.url} (auth: [redacted], token [redacted])`);
  });

  it("a header naming an unset environment variable is refused at startup, naming the variable", () => {
    const make = () => webhookOptionsFromConfig({ url: receiver.url, format: "generic", headersFromEnv: { Authorization: "NOT_SET_ANYWHERE" }, timeout: 1000 }, {});
    expect(make).toThrow(UserError);
    expect(make).toThrow("alerts.webhook.headersFromEnv.Authorization names NOT_SET_ANYWHERE, but that environment variable is not set");
  });

  it("the URL can come from an environment variable", () => {
    const opts = webhookOptionsFromConfig({ urlEnv: "HOOK_URL", format: "slack", headersFromEnv: {}, timeout: 1000 }, { HOOK_URL: `${receiver.url}${SECRET_PATH}` });
    expect(opts.url).toBe(`${receiver.url}${SECRET_PATH}`);
    expect(() => webhookOptionsFromConfig({ urlEnv: "HOOK_URL", format: "slack", headersFromEnv: {}, timeout: 1000 }, {})).toThrow(/HOOK_URL/);
  });
});

describe("webhook channel through the outbox and dispatcher", () => {
  let tmp: TempDir;
  let db: Database;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    tmp = makeTempDir();
    db = openDatabase(tmp.join("sgwatch.db"), { now: () => REFERENCE_INSTANT }).db;
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    db?.close();
    tmp?.remove();
  });

  it("a 500 leaves the alert pending for a retry; a later 200 sends it", async () => {
    const clock = fakeClock();
    const log = captureLog();
    const channels = new Map([["webhook", channel(receiver, "generic")]]);
    const retry = { baseDelay: 30_000, maxDelay: 3_600_000, maxAge: 86_400_000 };
    const id = enqueueAlert(db, "webhook", "critical", drift, clock.iso());
    const run = () => dispatchDue({ db, channels, retry, clock: clock.clock, logger: log.logger });

    receiver.answer({ status: 500, body: "down" });
    expect(await run()).toEqual({ sent: 0, retried: 1, dead: 0 });
    let row = listOutbox(db, null).find((r) => r.id === id)!;
    expect(row).toMatchObject({ status: "pending", attempts: 1, last_error: `webhook POST to ${receiver.url} answered HTTP 500: down` });
    expect(JSON.stringify(log.lines())).not.toContain("s3cr3t");

    receiver.answer({ status: 204 });
    clock.advance(60_000); // past the first backoff (30 s ± 20 %)
    expect(await run()).toEqual({ sent: 1, retried: 0, dead: 0 });
    row = listOutbox(db, null).find((r) => r.id === id)!;
    expect(row).toMatchObject({ status: "sent", attempts: 2 });
    expect(receiver.requests).toHaveLength(2);
    // A retry says exactly what the first attempt said.
    expect(receiver.requests[1]!.body).toBe(receiver.requests[0]!.body);
    expect((JSON.parse(receiver.requests[1]!.body) as GenericWebhookBody).alertId).toBe(id);
  });

  it("a failure with a secret URL leaves only the origin in outbox.last_error and the log", async () => {
    const clock = fakeClock();
    const log = captureLog();
    const url = `${receiver.url}${SECRET_PATH}?token=${QUERY_TOKEN}`;
    const channels = new Map([["webhook", new WebhookChannel({ url, format: "generic", headers: { Authorization: TOKEN }, timeoutMs: 5000 })]]);
    const retry = { baseDelay: 30_000, maxDelay: 3_600_000, maxAge: 86_400_000 };
    const id = enqueueAlert(db, "webhook", "critical", drift, clock.iso());
    receiver.answer({ status: 500, body: `failed ${url} with ${TOKEN}` });
    expect(await dispatchDue({ db, channels, retry, clock: clock.clock, logger: log.logger })).toMatchObject({ retried: 1 });
    const row = listOutbox(db, null).find((r) => r.id === id)!;
    expect(row.last_error).toBe(`webhook POST to ${receiver.url} answered HTTP 500: failed ${receiver.url} with [redacted]`);
    const logged = JSON.stringify(log.lines());
    expect(logged).toContain("alert-retry");
    for (const secret of ["s3cr3t", "SECRET", QUERY_TOKEN]) expect(logged).not.toContain(secret);
  });
});
