// Proves the alert email reads well where people read it: the HTML part of a
// real drift email (received by the SMTP sink) is rendered by headless
// Chromium to a PNG, which must show the content, not an empty page.
//
// It also keeps the README's picture true. docs/email.png is rendered from
// this very email, and docs/email.html is the HTML it was rendered from (with
// the PNG's sha256 in its first line). Every run checks that today's email
// renders to exactly that HTML and that the PNG is the one made from it, so
// a change to the email fails here until the picture is regenerated:
//   UPDATE_DOCS_IMAGES=1 npx vitest run test/integration/email-render.test.ts
// (The check compares HTML, not PNG bytes, which vary with fonts and
// Chromium versions; it needs no Chromium, so it runs everywhere.)
//
// The email is the demo's critical one: the bastion's tcp/22 to the world
// breaks guardrail no-world-admin, so it carries the long `aws ec2
// revoke-security-group-ingress …` command. Laid out at a phone's width
// (390 px) and a desktop's (1280 px), nothing may scroll sideways and the
// command must stay inside the viewport, wrapping on the phone.
import { createHash } from "node:crypto";
import { copyFileSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthorizeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import { startAppWorld, type AppWorld } from "../support/app-world.js";
import { writeApproval } from "../support/approval-file.js";
import { INTRUDER } from "../support/sim-harness.js";
import { CHROMIUM, layoutEmail, renderHtmlToPng } from "../support/chromium.js";
import { REPO_ROOT } from "../support/cli.js";

const DOCS_PNG = path.join(REPO_ROOT, "docs", "email.png");
const DOCS_HTML = path.join(REPO_ROOT, "docs", "email.html");
const UPDATE = process.env.UPDATE_DOCS_IMAGES === "1";
const REGENERATE = "UPDATE_DOCS_IMAGES=1 npx vitest run test/integration/email-render.test.ts";

/** Width and height from a PNG's IHDR chunk. */
function pngSize(buf: Buffer): { width: number; height: number } {
  expect(buf.subarray(1, 4).toString("latin1")).toBe("PNG");
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

const sha256 = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

/** docs/email.html: a first line tying it to the PNG, then the email's HTML exactly as rendered. */
function docsHtml(html: string, pngSha: string): string {
  return `<!-- The HTML docs/email.png (sha256 ${pngSha}) was rendered from; written by test/integration/email-render.test.ts. -->\n${html}\n`;
}

describe("the alert email in a browser", { timeout: 90_000 }, () => {
  let w: AppWorld;
  let html = "";

  beforeAll(async () => {
    w = await startAppWorld({
      // Fixed ids and the fake clock make the email the same on every run.
      simSeed: 20260302,
      // As the demo's target is labelled, so the picture shows what the demo sends.
      label: "demo-prod",
      // The demo's guardrail, so the picture shows what the demo sends.
      extra: {
        guardrails: [
          {
            id: "no-world-admin",
            reason: "SSH, RDP and MySQL are never open to the internet",
            forbid: [
              { protocol: "tcp", ports: 22, source: "world" },
              { protocol: "tcp", ports: 3389, source: "world" },
              { protocol: "tcp", ports: 3306, source: "world" },
            ],
          },
        ],
      },
      beforeStart: (dir) =>
        writeApproval(dir, {
          id: "CHG-1043",
          groupName: "app",
          from: "2026-03-02T09:00:00Z",
          until: "2026-03-02T18:00:00Z",
          changes: [{ action: "add", protocol: "tcp", ports: 8443, source: "10.20.0.0/16" }],
        }),
    });
    await w.poll(); // baseline
    const c = w.harness.client(INTRUDER);
    await c.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: w.harness.demo.groups.bastion,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0", Description: "temp" }] }],
      }),
    );
    await c.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: w.harness.demo.groups.app,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 8443, ToPort: 8443, IpRanges: [{ CidrIp: "10.0.0.0/8" }] }],
      }),
    );
    w.clock.advance(300_000);
    await w.poll();
    const [mail] = await w.newMails();
    expect(mail?.subject).toMatch(/^\[sgwatch\] CRITICAL: 2 unapproved/);
    html = typeof mail?.html === "string" ? mail.html : "";
  });

  afterAll(async () => {
    await w?.close();
  });

  it("is the email the README's picture shows (docs/email.html, docs/email.png)", () => {
    expect(html).toContain("anyone on the internet");
    expect(html).toContain("CHG-1043 allows 10.20.0.0/16 but 10.0.0.0/8 was opened");
    expect(html).toContain("breaks guardrail no-world-admin");
    expect(html).toContain("aws ec2 revoke-security-group-ingress --region us-east-1 --group-id sg-");
    if (UPDATE) return; // the rendering test below writes both files
    const committed = readFileSync(DOCS_HTML, "utf8");
    const pngSha = /sha256 ([0-9a-f]{64})/.exec(committed.split("\n")[0] ?? "")?.[1] ?? "";
    expect(committed, `the alert email changed since docs/email.png was made; regenerate it: ${REGENERATE}`).toBe(docsHtml(html, pngSha));
    expect(sha256(readFileSync(DOCS_PNG)), `docs/email.png is not the image rendered from docs/email.html; regenerate it: ${REGENERATE}`).toBe(pngSha);
  });

  // Chromium comes from Debian (.ci/run installs it); a machine without it skips this one test.
  it.skipIf(CHROMIUM === null && !UPDATE)("renders the drift email's HTML to a PNG that shows the alert", async () => {
    const png = w.tmp.join("email.png");
    const blank = w.tmp.join("blank.png");
    await renderHtmlToPng(html, png);
    await renderHtmlToPng("", blank);
    const bytes = readFileSync(png);
    expect(pngSize(bytes)).toEqual({ width: 900, height: 700 });
    // Text, badges and tables compress far worse than an empty white page.
    expect(statSync(png).size).toBeGreaterThan(5 * statSync(blank).size);
    if (UPDATE) {
      copyFileSync(png, DOCS_PNG);
      writeFileSync(DOCS_HTML, docsHtml(html, sha256(bytes)));
    }
  });

  // Phone (390 px, an iPhone's CSS width) and desktop (1280 px).
  for (const [name, width] of [["phone", 390], ["desktop", 1280]] as const) {
    it.skipIf(CHROMIUM === null)(`at ${name} width (${width} px) nothing scrolls sideways and the revoke command stays inside, wrapping where it must`, async () => {
      const png = path.join(w.tmp.path, `email-${width}.png`);
      const layout = await layoutEmail(html, width, 1600, png);
      // SGWATCH_KEEP_RENDERS=DIR keeps the screenshots, to look at them.
      if (process.env.SGWATCH_KEEP_RENDERS) copyFileSync(png, path.join(process.env.SGWATCH_KEEP_RENDERS, `email-${width}.png`));
      expect(layout.viewportWidth).toBe(width);
      expect(layout.scrollWidth, JSON.stringify(layout)).toBeLessThanOrEqual(width);
      const command = layout.blocks.find((b) => b.text.startsWith("aws ec2 revoke-security-group-ingress"));
      expect(command, "the revoke command is a <pre> block").toBeDefined();
      const c = command as (typeof layout.blocks)[number];
      // Long: more characters than fit on a phone's line.
      expect(c.text.length).toBeGreaterThan(150);
      expect(c.right).toBeLessThanOrEqual(width);
      expect(c.scrollWidth).toBeLessThanOrEqual(c.clientWidth);
      // On the phone it takes several lines (it wraps); on the desktop it needs fewer.
      if (name === "phone") expect(c.height).toBeGreaterThan(3 * c.lineHeight);
    });
  }
});
