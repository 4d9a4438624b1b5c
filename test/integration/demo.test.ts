// Proves what a new user meets first: `sgwatch demo`, run as a child process
// in an empty directory, as `npm run demo` runs it.
// - The terminal reads as a story: each cycle is a few lines (what changed,
//   by group name and id, what was decided and why, which channels were
//   alerted), ending with "== cycle N done" after that cycle's lines; no
//   daemon log lines. The full JSON log is in data/demo.log.
// - Every query in the README's "Querying history with sqlite3" block returns
//   rows on the database the demo leaves, as the README says.
// - The queries the demo prints return rows, and its world-open hint lists no
//   egress rule (every group's default egress is "to the world").
// - Issue #12's scenes: the baseline's one posture mail (web open to the
//   world on its public load balancer); the bastion's tcp/22 breaks guardrail no-world-admin
//   (story and email give the revoke command and the blast radius: its public
//   instance); the revert is a reply in the critical alert's thread; the db
//   change (tag team=data) goes to the data-team route's address only.
// - The failed-attempt scene (issue #11): the stolen key, denied by IAM, is
//   refused tcp/3389 three times; the CloudTrail sweep makes that one
//   failed-attempts alert naming the key and its source address, told in the
//   cycle's story, written to the log once and saved as one email.
// - The short-lived opening (issue #11): the stolen key opens tcp/3306 on db
//   to the world and closes it 10 s later, between two polls; joining
//   CloudTrail with poll history makes it a transient change (status
//   transient, 10 s from CloudTrail's times), told in the story, written to
//   the log and mailed (db's data-team route), once; the scene waits out the
//   join's time rule after the removal, so cycle 3's poll decides it. Made
//   by the stolen key from outside the allowed networks, it is held against
//   the actor policy too: unexpected actor, in the story, log and mail.
// - The unexpected actor (issue #11): the stolen key opens the bastion's tcp/22
//   from outside the demo's allowed networks; the change's verdict is stored,
//   told in cycle 2, logged once (error) and mailed once in the critical
//   alert's thread with both reasons (guardrail and address).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { simpleParser } from "mailparser";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { cliEnv, REPO_ROOT, runCli, type CliResult } from "../support/cli.js";
import { readmeQueries } from "../support/readme-queries.js";

let cwd: TempDir;
let run: CliResult;
let db: BetterSqlite3.Database;

/** The stolen key of the demo's script, and the address its calls come from. */
const STOLEN_KEY = "AKIADEMOSTOLENKEY999";
const STOLEN_KEY_ADDRESS = "203.0.113.66";

/** The log file's JSON lines. */
function logLines(): Array<Record<string, unknown>> {
  return readFileSync(cwd.join("data", "demo.log"), "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

beforeAll(async () => {
  cwd = makeTempDir();
  run = await runCli(["demo"], { cwd: cwd.path, env: cliEnv({ AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "" }), timeoutMs: 110_000 });
  db = new BetterSqlite3(cwd.join("data", "demo.db"), { readonly: true });
}, 120_000);

afterAll(() => {
  db?.close();
  cwd?.remove();
});

/** Stdout lines between the start of cycle n's story and its "done" line, inclusive. */
function cycleSection(lines: string[], n: number): string[] {
  const start = lines.findIndex((l) => l.startsWith(`── cycle ${n}:`));
  const end = lines.indexOf(`== cycle ${n} done`);
  expect(start, `cycle ${n}'s story is printed`).toBeGreaterThanOrEqual(0);
  expect(end, `"== cycle ${n} done" comes after cycle ${n}'s lines`).toBeGreaterThan(start);
  return lines.slice(start, end + 1);
}

describe("sgwatch demo", () => {
  it("exits 0", () => {
    expect(run.code, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(0);
  });

  it("tells each cycle in a few lines, by group name and id, with no daemon log lines on the terminal", () => {
    const lines = run.stdout.split("\n");
    expect(lines.filter((l) => l.trimStart().startsWith("{"))).toEqual([]);
    // Every cycle, with its lines and the scene that follows, fits a 24-line terminal.
    for (let n = 1; n <= 5; n++) expect(cycleSection(lines, n).length).toBeLessThanOrEqual(16);
    expect(lines.length).toBeLessThanOrEqual(100);

    const cycle2 = cycleSection(lines, 2).join("\n");
    // The critical alert leads its cycle, headlined by the group's name with its id.
    expect(cycleSection(lines, 2)[1]).toMatch(/^\s+CRITICAL\s+#\d+ bastion \(sg-[0-9a-f]+\): added ingress tcp\/22 from 0\.0\.0\.0\/0/);
    expect(cycle2).toMatch(/breaks guardrail no-world-admin: [^\n]* → alerted \(log, email\); by user\/deploy-bot/);
    expect(cycle2).toMatch(/app \(sg-[0-9a-f]+\): added ingress tcp\/443 from 10\.0\.0\.0\/8\n\s+approved by CHG-1042, so no alert/);
    expect(cycle2).toContain("unapproved: CHG-1043 allows 10.20.0.0/16 but 10.0.0.0/8 was opened → alerted (log, email)");
    expect(cycleSection(lines, 1).join("\n")).toContain("approval CHG-1039 ended without covering any change");
    expect(cycleSection(lines, 4).join("\n")).toMatch(/poll failed: .*InternalError/);
    // Closing the hole closes the incident: a reply in the alert's thread, not a new change to acknowledge.
    expect(cycleSection(lines, 5).join("\n")).toMatch(
      /bastion \(sg-[0-9a-f]+\): removed ingress tcp\/22 from 0\.0\.0\.0\/0[^\n]*\n\s+undoes #\d+, which was open [^:]+: incident closed, nothing to acknowledge → a reply in its thread \(log, email\)/,
    );
  });

  it("writes the daemon's full JSON log to data/demo.log", () => {
    const log = logLines();
    expect(log.some((l) => l.event === "drift" && l.severity === "critical" && l.groupName === "bastion" && l.fromPort === 22)).toBe(true);
    expect(log.some((l) => l.event === "poll-failed" || (l.event === "cycle" && l.targetsFailed === 1))).toBe(true);
    expect(run.stdout).toContain("full log: data/demo.log");
  });

  it("every README example query returns rows on the demo database", () => {
    const queries = readmeQueries();
    expect(queries.length).toBeGreaterThanOrEqual(10);
    for (const q of queries) expect(db.prepare(q).all().length, q).toBeGreaterThan(0);
  });

  it("the queries it prints return rows, and the world-open one lists no egress rule", () => {
    const hints = [...run.stdout.matchAll(/sqlite3 -header -column \S+ "([^"]+)"/g)].map((m) => m[1] as string);
    expect(hints.length).toBeGreaterThanOrEqual(2);
    for (const q of hints) expect(db.prepare(q).all().length, q).toBeGreaterThan(0);
    const worldHint = hints.find((q) => q.includes("world_open")) as string;
    expect(worldHint).toBeDefined();
    const world = db.prepare(worldHint.replace(/^SELECT .* FROM/, "SELECT direction FROM")).all() as Array<{ direction: string }>;
    expect(world.map((r) => r.direction)).not.toContain("egress");
  });

  describe("issue #12: guardrail, blast radius, thread, route", () => {
    /** Every saved email, parsed, with its file name. */
    async function savedMails() {
      const dir = cwd.join("data", "demo-mail");
      const files = readdirSync(dir).filter((f) => f.endsWith(".eml")).sort();
      return Promise.all(files.map(async (f) => ({ file: f, mail: await simpleParser(readFileSync(path.join(dir, f))) })));
    }
    const to = (m: Awaited<ReturnType<typeof simpleParser>>): string => {
      const t = m.to;
      return (Array.isArray(t) ? t : t ? [t] : []).flatMap((a) => a.value.map((v) => v.address ?? "")).join(",");
    };
    const bastionId = (): string => (db.prepare("SELECT group_id FROM current_groups WHERE name = 'bastion'").pluck().get() as string);

    it("the baseline sends one posture mail: what is already wrong (web open to the world on its public load balancer), told in cycle 1", async () => {
      const cycle1 = cycleSection(run.stdout.split("\n"), 1).join("\n");
      expect(cycle1).toMatch(/also alerted \(log, email\): posture at the baseline: \d+ current rule\(s\) need attention/);
      const posture = (await savedMails()).filter(({ mail }) => /^\[sgwatch\] \w+ posture: /.test(mail.subject ?? ""));
      expect(posture.map(({ mail }) => [to(mail), mail.subject])).toEqual([["ops@demo.example", expect.stringMatching(/^\[sgwatch\] HIGH posture: \d+ rules need attention in demo-prod \(123456789012\) us-east-1$/)]]);
      const text = (posture[0]?.mail.text ?? "").replace(/\s+/g, " ");
      const web = db.prepare("SELECT group_id FROM current_groups WHERE name = 'web'").pluck().get() as string;
      expect(text).toContain(`${web} (web) TCP 443 from 0.0.0.0/0 — anyone on the internet open to the internet on a group with a public interface`);
      expect(text).toMatch(new RegExp(`web \\(${web}\\) is attached to 1 network interface, 1 with a public IP \\(eni-[0-9a-f]+ \\(load-balancer\\), `));
      // History, not news: the baseline poll stored no change.
      expect(db.prepare("SELECT count(*) FROM change_events WHERE poll_id = (SELECT min(id) FROM polls)").pluck().get()).toBe(0);
    });

    it("the bastion's tcp/22 to the world breaks guardrail no-world-admin: stored so, told with the revoke command in cycle 2", () => {
      // The short-lived tcp/3306 opening on db is judged like any addition: the guardrail holds it too.
      expect(db.prepare("SELECT group_name, ports, source, severity, status, detected_status, guardrail FROM changes WHERE guardrail IS NOT NULL ORDER BY id").all()).toEqual([
        { group_name: "bastion", ports: "22", source: "0.0.0.0/0", severity: "critical", status: "reverted", detected_status: "unapproved", guardrail: "no-world-admin" },
        { group_name: "db", ports: "3306", source: "0.0.0.0/0", severity: "critical", status: "transient", detected_status: "unapproved", guardrail: "no-world-admin" },
      ]);
      const cycle2 = cycleSection(run.stdout.split("\n"), 2).join("\n");
      expect(cycle2).toContain("breaks guardrail no-world-admin: SSH, RDP and MySQL are never open to the internet (no approval can cover it)");
      expect(cycle2).toContain(
        `revoke it: aws ec2 revoke-security-group-ingress --region us-east-1 --group-id ${bastionId()} --ip-permissions '[{"IpProtocol":"tcp","FromPort":22,"ToPort":22,"IpRanges":[{"CidrIp":"0.0.0.0/0"}]}]'`,
      );
    });

    it("the critical alert's email names the guardrail, the blast radius and the revoke command, and offers no pre-approval for it", async () => {
      const critical = (await savedMails()).filter(({ mail }) => /^\[sgwatch\] CRITICAL: .*unapproved/.test(mail.subject ?? ""));
      expect(critical).toHaveLength(1);
      const text = (critical[0]?.mail.text ?? "").replace(/\s+/g, " ");
      const bastionChange = db.prepare("SELECT id FROM changes WHERE guardrail = 'no-world-admin'").pluck().get() as number;
      expect(text).toContain("breaks guardrail no-world-admin");
      expect(text).toContain(`aws ec2 revoke-security-group-ingress --region us-east-1 --group-id ${bastionId()}`);
      expect(text).toMatch(new RegExp(`bastion \\(${bastionId()}\\) is attached to 1 network interface, 1 with a public IP \\(i-[0-9a-f]+, 198\\.51\\.100\\.7\\)`));
      expect(text).not.toContain(`pre-approve a change like #${bastionChange} `);
    });

    it("the critical alert's story line says what the bastion exposes: its public instance", () => {
      const cycle2 = cycleSection(run.stdout.split("\n"), 2).join("\n");
      expect(cycle2).toMatch(new RegExp(`bastion \\(${bastionId()}\\) is attached to 1 network interface, 1 with a public IP \\(i-[0-9a-f]+, 198\\.51\\.100\\.7\\)`));
    });

    it("closing port 22 is a reply in the critical alert's thread (In-Reply-To and References name its Message-ID)", async () => {
      const mails = await savedMails();
      const critical = mails.find(({ mail }) => /^\[sgwatch\] CRITICAL: .*unapproved/.test(mail.subject ?? ""))?.mail;
      expect(critical?.messageId).toMatch(/^<sgwatch\.drift\./);
      const closed = mails.filter(({ mail }) => /closed after/i.test(mail.text ?? "") && mail.inReplyTo === critical?.messageId);
      expect(closed, mails.map(({ file, mail }) => `${file}: ${mail.subject} / ${mail.inReplyTo}`).join("\n")).toHaveLength(1);
      const reply = closed[0]?.mail;
      expect(reply?.subject).toBe(`Re: ${critical?.subject}`);
      expect([reply?.references].flat()).toContain(critical?.messageId);
    });

    it("the db change (tag team=data) takes the data-team route: its mails go to data-team@ only, no ops mail names db", async () => {
      const dbId = db.prepare("SELECT group_id FROM current_groups WHERE name = 'db'").pluck().get() as string;
      const mails = await savedMails();
      const routed = mails.filter(({ mail }) => to(mail) === "data-team@demo.example");
      expect(routed.length).toBeGreaterThanOrEqual(1);
      expect(routed[0]?.mail.subject).toMatch(/^\[sgwatch\] LOW db: tcp\/22 from bastion removed/);
      for (const { mail } of routed) expect(mail.text).toContain(dbId);
      const ops = mails.filter(({ mail }) => to(mail) === "ops@demo.example");
      expect(ops.length + routed.length).toBe(mails.length);
      for (const { file, mail } of ops) expect(mail.text ?? "", file).not.toContain(dbId);
      // The summary counts each inbox, so the routed mail is not reported as sent to ops.
      expect(run.stdout).toContain(`Emails sent: ${mails.length} (${ops.length} to ops@demo.example, ${routed.length} to data-team@demo.example)`);
      expect(cycleSection(run.stdout.split("\n"), 3).join("\n")).toMatch(/db \(sg-[0-9a-f]+\): removed ingress tcp\/22 from sg-[0-9a-f]+\n\s+unapproved: no approval record covers it → alerted \(log, email:data-team\)/);
    });
  });

  describe("the stolen key's failed attempts", () => {
    it("are told in cycle 3's story as one critical failed-attempts alert naming the key and the address", () => {
      const lines = run.stdout.split("\n");
      const scene = lines.slice(lines.indexOf("== cycle 2 done"), lines.findIndex((l) => l.startsWith("── cycle 3:"))).join("\n");
      expect(scene).toContain(`from ${STOLEN_KEY_ADDRESS} it tries to open tcp/3389 on bastion to 0.0.0.0/0, 3 times`);
      expect(scene).toContain("refused (UnauthorizedOperation), refused (UnauthorizedOperation), refused (UnauthorizedOperation)");
      const cycle3 = cycleSection(lines, 3);
      // The refusals lead the cycle: they are critical, its changes are low.
      expect(cycle3[1]).toMatch(/^\s+CRITICAL\s+denied 3 times: user\/deploy-bot tried to add ingress TCP 3389 from 0\.0\.0\.0\/0 on bastion \(sg-[0-9a-f]+\)$/);
      expect(cycle3[2]).toContain(`key ${STOLEN_KEY} from ${STOLEN_KEY_ADDRESS}; refused, so nothing changed → one failed-attempts alert (log, email)`);
      expect(run.stdout.split("\n").filter((l) => l.includes("failed-attempts alert"))).toHaveLength(1);
    });

    it("are stored as the failed calls the README query lists, and grouped into one attempt group", () => {
      const failed = db.prepare("SELECT event_name, error_code, rules, who, who_key, who_ip FROM trail_events_readable WHERE outcome = 'failed'").all();
      expect(failed).toEqual(
        Array.from({ length: 3 }, () => ({
          event_name: "AuthorizeSecurityGroupIngress",
          error_code: "Client.UnauthorizedOperation",
          rules: "add ingress TCP 3389 from 0.0.0.0/0",
          who: "arn:aws:iam::123456789012:user/deploy-bot",
          who_key: STOLEN_KEY,
          who_ip: STOLEN_KEY_ADDRESS,
        })),
      );
      expect(db.prepare("SELECT attempts, severity FROM trail_attempt_groups").all()).toEqual([{ attempts: 3, severity: "critical" }]);
    });

    it("raise one failed-attempts alert per channel, naming the key and the source address", () => {
      const rows = db.prepare("SELECT channel, payload FROM outbox WHERE kind = 'failed-attempts' ORDER BY channel").all() as Array<{ channel: string; payload: string }>;
      expect(rows.map((r) => r.channel)).toEqual(["email", "log"]);
      for (const r of rows) {
        const p = JSON.parse(r.payload) as { severity: string; count: number; identity: { accessKeyIds: string[] }; sources: Array<{ sourceIp: string }> };
        expect(p.severity).toBe("critical");
        expect(p.count).toBe(3);
        expect(p.identity.accessKeyIds).toEqual([STOLEN_KEY]);
        expect(p.sources.map((x) => x.sourceIp)).toEqual([STOLEN_KEY_ADDRESS]);
      }
    });

    it("are written to data/demo.log once, with the key and the address", () => {
      const lines = logLines().filter((l) => l.event === "failed-attempts");
      expect(lines).toHaveLength(1);
      const line = lines[0] as { count: number; identity: { accessKeyIds: string[] }; sources: Array<{ sourceIp: string }> };
      expect(line.count).toBe(3);
      expect(line.identity.accessKeyIds).toEqual([STOLEN_KEY]);
      expect(line.sources.map((x) => x.sourceIp)).toEqual([STOLEN_KEY_ADDRESS]);
    });

    it("are saved as one email under data/demo-mail/ naming the key and the address", async () => {
      const dir = cwd.join("data", "demo-mail");
      const mails = await Promise.all(readdirSync(dir).filter((f) => f.endsWith(".eml")).map((f) => simpleParser(readFileSync(path.join(dir, f)))));
      const denied = mails.filter((m) => /denied security-group call/.test(m.subject ?? ""));
      expect(denied).toHaveLength(1);
      const mail = denied[0] as (typeof mails)[number];
      expect(mail.subject).toMatch(/^\[sgwatch\] CRITICAL: 3 denied security-group calls by arn:aws:iam::123456789012:user\/deploy-bot in demo-prod/);
      expect(mail.text).toContain(`Access key: ${STOLEN_KEY}`);
      expect(mail.text).toContain(`  ${STOLEN_KEY_ADDRESS}, user agent`);
      expect(mail.text).toContain("add ingress TCP 3389 from 0.0.0.0/0");
    });
  });

  describe("the short-lived opening", () => {
    it("is played between two polls: opened, 10 s, closed", () => {
      const lines = run.stdout.split("\n");
      const scene = lines.slice(lines.indexOf("== cycle 2 done"), lines.findIndex((l) => l.startsWith("── cycle 3:"))).join("\n");
      expect(scene).toContain("deploy-bot's key opens tcp/3306 on db to 0.0.0.0/0 and closes it 10 s later, before the next poll");
    });

    it("is stored as a transient change with its exposure from CloudTrail's times, once", () => {
      const rows = db.prepare("SELECT kind, group_name, ports, status, exposure, changed_from, undone_from, who, who_ip FROM changes WHERE status = 'transient'").all();
      expect(rows).toEqual([
        {
          kind: "rule-added",
          group_name: "db",
          ports: "3306",
          status: "transient",
          exposure: "10 s",
          changed_from: "cloudtrail",
          undone_from: "cloudtrail",
          who: "arn:aws:iam::123456789012:user/deploy-bot",
          who_ip: STOLEN_KEY_ADDRESS,
        },
      ]);
      // No poll saw it: nothing else records tcp/3306.
      expect(db.prepare("SELECT count(*) FROM changes WHERE ports = '3306'").pluck().get()).toBe(1);
    });

    it("is told in cycle 3's story (the first poll after it decides) with its 10 s, by whom and from where", () => {
      const cycle3 = cycleSection(run.stdout.split("\n"), 3).join("\n");
      expect(cycle3).toMatch(/CRITICAL\s+#\d+ db \(sg-[0-9a-f]+\): tcp\/3306 was open to 0\.0\.0\.0\/0 for 10 s, \d\d:\d\d:\d\d–\d\d:\d\d:\d\d UTC/);
      expect(cycle3).toContain(`by user/deploy-bot from ${STOLEN_KEY_ADDRESS}; no poll saw it: CloudTrail joined with poll history → transient-opening alert (log, email:data-team)`);
      // Made by the stolen key from outside the allowed networks: held against the actor policy like any change.
      expect(cycle3).toContain(`UNEXPECTED ACTOR: source address ${STOLEN_KEY_ADDRESS} is not in the allowed networks (10.0.0.0/8)`);
    });

    it("is written to data/demo.log once and mailed once, with its 10 s", async () => {
      const logged = logLines().filter((l) => l.event === "transient");
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({ seconds: 10, timesFrom: "cloudtrail", accessKeyId: STOLEN_KEY, sourceIp: STOLEN_KEY_ADDRESS, actorVerdict: "unexpected", actorProblems: [`source address ${STOLEN_KEY_ADDRESS} is not in the allowed networks (10.0.0.0/8)`] });
      expect(String(logged[0]?.msg)).toMatch(/transient, unexpected actor: tcp\/3306 was open to 0\.0\.0\.0\/0 for 10 s, .*; no poll saw it/);
      const dir = cwd.join("data", "demo-mail");
      const mails = await Promise.all(readdirSync(dir).filter((f) => f.endsWith(".eml")).map((f) => simpleParser(readFileSync(path.join(dir, f)))));
      const transient = mails.filter((m) => /no poll saw it/.test(m.subject ?? ""));
      expect(transient.map((m) => m.subject)).toEqual(["[sgwatch] CRITICAL db: tcp/3306 was open to 0.0.0.0/0 for 10 s between two polls; no poll saw it; unexpected actor"]);
      expect(transient[0]?.text).toContain(`by arn:aws:iam::123456789012:user/deploy-bot (key ${STOLEN_KEY}) from ${STOLEN_KEY_ADDRESS}; no poll saw it`);
      expect(transient[0]?.text).toContain("UNEXPECTED ACTOR: made from outside the actor policy (cloudtrail.actors), so no approval covers it");
      expect(transient[0]?.text).toContain(`- source address ${STOLEN_KEY_ADDRESS} is not in the allowed networks (10.0.0.0/8)`);
    });
  });

  describe("the stolen key's port-22 opening: an unexpected actor (issue #11 finding 3)", () => {
    const problem = `source address ${STOLEN_KEY_ADDRESS} is not in the allowed networks (10.0.0.0/8)`;

    it("is stored as the bastion change's actor verdict, beside its guardrail, and the short-lived tcp/3306's too; alice's changes are allowed", () => {
      expect(db.prepare("SELECT group_name, status, severity, detected_status, guardrail, actor_verdict, actor_problem FROM changes WHERE actor_verdict = 'unexpected' ORDER BY id").all()).toEqual([
        { group_name: "bastion", status: "reverted", severity: "critical", detected_status: "unapproved", guardrail: "no-world-admin", actor_verdict: "unexpected", actor_problem: problem },
        { group_name: "db", status: "transient", severity: "critical", detected_status: "unapproved", guardrail: "no-world-admin", actor_verdict: "unexpected", actor_problem: problem },
      ]);
      expect(db.prepare("SELECT DISTINCT actor_verdict FROM changes WHERE who LIKE '%user/alice'").pluck().all()).toEqual(["allowed"]);
    });

    it("is told in cycle 2 under the bastion change, after its guardrail", () => {
      const cycle2 = cycleSection(run.stdout.split("\n"), 2).join("\n");
      expect(cycle2).toMatch(new RegExp(`breaks guardrail no-world-admin[^\\n]*\\n(.*\\n){0,3}\\s+UNEXPECTED ACTOR: ${problem.replace(/[.()/]/g, "\\$&")} → alerted \\(log, email\\)`));
    });

    it("is logged once, critical", () => {
      const lines = logLines().filter((l) => l.event === "unexpected-actor");
      expect(lines).toHaveLength(1);
      expect(lines[0]?.level).toBe("error");
    });

    it("is one email in the critical alert's thread giving both reasons: the guardrail and the address", async () => {
      const dir = cwd.join("data", "demo-mail");
      const mails = await Promise.all(readdirSync(dir).filter((f) => f.endsWith(".eml")).map((f) => simpleParser(readFileSync(path.join(dir, f)))));
      // The short-lived tcp/3306's own mail says it too (above); this is the bastion change's.
      const actor = mails.filter((m) => (m.text ?? "").includes("UNEXPECTED ACTOR") && !/no poll saw it/.test(m.subject ?? ""));
      expect(actor).toHaveLength(1);
      const mail = actor[0] as (typeof mails)[number];
      const critical = mails.find((m) => /^\[sgwatch\] CRITICAL: .*unapproved/.test(m.subject ?? ""));
      expect(mail.inReplyTo).toBe(critical?.messageId);
      expect(mail.text).toContain(`- ${problem}`);
      expect(mail.text).toContain("breaks guardrail no-world-admin");
      expect(mail.text).toContain(`key ${STOLEN_KEY}`);
    });
  });
});
