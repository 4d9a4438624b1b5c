// Proves the length cap on untrusted text (src/alerts/render/sanitize.ts:
// oneLine, 256 characters with the ellipsis) end to end: App polls the
// simulator, whose group name, rule description and tag value are 1000
// characters each (AWS caps these near 256, but EC2-compatible APIs and
// EC2-Classic names need not; adoptGroup bypasses the simulator's checks),
// and the target label (the one free text in the subject) carries CR/LF and
// 300 more characters. It checks, in the email a mail client parses and in
// the log channel's JSON lines:
// - the group name, rule description and tag value are cut to 255
//   characters plus "…" where shown, and the uncut text appears nowhere;
// - the subject has no CR or LF (they show as visible escapes), forges no
//   header, is at most 200 characters, and the label in it is cut to 63 characters plus "…";
// - a drift log line's message is one line of at most 300 characters.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ParsedMail } from "mailparser";
import { App } from "../../src/daemon/app.js";
import { startMailSink, type MailSink } from "../../src/demo/mail-sink.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { startSimHarness, MONITOR, type SimHarness } from "../support/sim-harness.js";
import { writeTestConfig, loadTestConfig, TEST_ACCOUNT } from "../support/config-file.js";
import { captureLog, type CapturedLog, type LogLine } from "../support/log-capture.js";
import { fakeClock } from "../support/fake-clock.js";
import { parseMessages } from "../support/mailbox.js";

/** 1000 characters with no HTML specials, so escaping does not change the length; the prefix names it. */
const long = (prefix: string): string => prefix.padEnd(1000, "abcdefghijklmnopqrstuvwxyz0123456789");
const NAME = long("name-");
const DESCRIPTION = long("description-");
const TAG = long("tag-");
/** What the cap leaves of a long value: 255 characters and an ellipsis. */
const capped = (s: string): string => `${s.slice(0, 255)}…`;
/** The shortest piece that would show the cap was not applied. */
const uncut = (s: string): string => s.slice(0, 256);

const LABEL = `prod\r\nBcc: attacker@evil.example\r\n${"L".repeat(300)}`;
const HOSTILE_GROUP_ID = "sg-0a11ce0a11ce00001";

describe("untrusted text is length-capped in email and log lines", { timeout: 60_000 }, () => {
  let tmp: TempDir;
  let harness: SimHarness;
  let sink: MailSink;
  let log: CapturedLog;
  let app: App;
  let mail: ParsedMail;
  let drift: LogLine[];

  beforeAll(async () => {
    tmp = makeTempDir();
    harness = await startSimHarness();
    sink = await startMailSink();
    log = captureLog();
    const clock = fakeClock();
    const files = writeTestConfig({ dir: tmp.path, endpoint: harness.endpoint, smtpPort: sink.port, label: LABEL });
    app = new App({ config: loadTestConfig(files), logger: log.logger, env: {}, clock: clock.clock, credentials: MONITOR });
    await app.cycle(); // baseline

    const region = harness.sim.state.account(TEST_ACCOUNT).region("us-east-1");
    region.adoptGroup({
      groupId: HOSTILE_GROUP_ID,
      groupName: NAME,
      description: "long name",
      vpcId: harness.demo.vpcId,
      ownerId: TEST_ACCOUNT,
      tags: [],
      rules: [
        { ruleId: "sgr-0a11ce0a11ce00001", isEgress: false, protocol: "tcp", fromPort: 22, toPort: 22, peer: { kind: "ipv4", cidr: "0.0.0.0/0" }, description: DESCRIPTION, tags: [] },
      ],
    });
    // A tag value set past the API's checks, on an existing group.
    region.getGroup(harness.demo.groups.web).tags.push({ key: "owner", value: TAG });

    clock.advance(5 * 60_000);
    const r = await app.cycle();
    await app.dispatch();
    expect(r.targets[0]?.judged.map((j) => j.change.kind).sort()).toEqual(["group-changed", "group-created", "rule-added"]);
    const mails = await parseMessages(sink);
    expect(mails).toHaveLength(1);
    mail = mails[0] as ParsedMail;
    drift = log.events("drift");
    expect(drift).toHaveLength(3);
  });

  afterAll(async () => {
    await app?.close();
    await sink?.close();
    await harness?.close();
    tmp?.remove();
  });

  const html = (): string => (typeof mail.html === "string" ? mail.html : "");

  it("cuts the group name, rule description and tag value in the HTML, with the ellipsis", () => {
    expect(html()).toContain(`>${capped(NAME)}</a>`);
    expect(html()).toContain(`rule description: “${capped(DESCRIPTION)}”`);
    // The tag is inside the tags' JSON, which is cut as a whole: 255 characters and the ellipsis.
    const after = /group changed: tags \{[^<]*?\} → ([^<]*)<\/td>/.exec(html())?.[1]?.replaceAll("&quot;", '"');
    expect(after).toMatch(/^\{"Name":"web",.*"owner":"tag-[a-z0-9]+…$/);
    expect(after).toHaveLength(256);
    for (const s of [NAME, DESCRIPTION, TAG]) expect(html()).not.toContain(uncut(s));
  });

  it("cuts them in the plain-text part too", () => {
    const text = mail.text ?? "";
    expect(text).toContain(`rule description: "${capped(DESCRIPTION)}"`);
    expect(text).toContain(`${HOSTILE_GROUP_ID} (${NAME.slice(0, 79)}…)`);
    for (const s of [NAME, DESCRIPTION, TAG]) expect(text).not.toContain(uncut(s));
  });

  it("keeps the subject one header line of at most 200 characters, the label cut", () => {
    const subject = mail.subject ?? "";
    expect(subject).not.toMatch(/[\r\n]/);
    expect(mail.bcc).toBeUndefined();
    expect(sink.messages[0]?.to).toEqual(["ops@test.example"]);
    expect(subject.length).toBeLessThanOrEqual(200);
    // The label's CR/LF show as the visible escapes \r\n (src/util/printable.ts), never as a line break.
    const label = `prod\\r\\nBcc: attacker@evil.example\\r\\n${"L".repeat(300)}`.slice(0, 63);
    // HIGH: the new group is attached to no network interface, so its world-open SSH is not reachable now (blast radius).
    expect(subject).toBe(`[sgwatch] HIGH: 3 unapproved security-group changes in ${label}… (${TEST_ACCOUNT}) us-east-1`);
    // And in the raw message: the Subject header is the only place the label's text went.
    const raw = sink.messages[0]?.raw.toString() ?? "";
    expect(raw).not.toMatch(/^Bcc:/im);
  });

  it("cuts the log channel's fields and keeps each drift message one line of at most 300 characters", () => {
    const created = drift.find((l) => l.kind === "group-created");
    expect(created?.groupName).toBe(capped(NAME));
    for (const line of drift) {
      expect(String(line.msg).length).toBeLessThanOrEqual(300);
      expect(String(line.msg)).not.toMatch(/[\r\n]/);
      for (const s of [NAME, DESCRIPTION, TAG]) expect(JSON.stringify(line)).not.toContain(uncut(s));
    }
    const tagged = drift.find((l) => l.kind === "group-changed");
    // The whole message is cut at 300 (before the tag value's own cut is reached).
    expect(String(tagged?.msg)).toMatch(/^low sg-[0-9a-f]+: group changed: tags \{.*\} → \{.*"owner":"tag-[a-z0-9]+…$/);
    expect(String(tagged?.msg)).toHaveLength(300);
  });
});
