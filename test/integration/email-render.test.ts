// Proves the alert email reads well where people read it: the HTML part of a
// real drift email (received by the SMTP sink) is rendered by headless
// Chromium to a PNG, which must show the content, not an empty page. With
// UPDATE_EMAIL_PNG=1 the image is written to docs/email.png for the README.
import { copyFileSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthorizeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import { startAppWorld, type AppWorld } from "../support/app-world.js";
import { writeApproval } from "../support/approval-file.js";
import { INTRUDER } from "../support/sim-harness.js";
import { CHROMIUM, renderHtmlToPng } from "../support/chromium.js";
import { REPO_ROOT } from "../support/cli.js";

/** Width and height from a PNG's IHDR chunk. */
function pngSize(buf: Buffer): { width: number; height: number } {
  expect(buf.subarray(1, 4).toString("latin1")).toBe("PNG");
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

describe("the alert email in a browser", { timeout: 90_000 }, () => {
  let w: AppWorld;

  beforeAll(async () => {
    w = await startAppWorld({
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
  });

  afterAll(async () => {
    await w?.close();
  });

  // Chromium comes from Debian (.ci/run installs it); a machine without it skips this one test.
  it.skipIf(CHROMIUM === null)("renders the drift email's HTML to a PNG that shows the alert", async () => {
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
    const html = typeof mail?.html === "string" ? mail.html : "";
    expect(html).toContain("anyone on the internet");
    expect(html).toContain("CHG-1043 allows 10.20.0.0/16 but 10.0.0.0/8 was opened");

    const png = w.tmp.join("email.png");
    const blank = w.tmp.join("blank.png");
    await renderHtmlToPng(html, png);
    await renderHtmlToPng("", blank);
    const bytes = readFileSync(png);
    expect(pngSize(bytes)).toEqual({ width: 900, height: 700 });
    // Text, badges and tables compress far worse than an empty white page.
    expect(statSync(png).size).toBeGreaterThan(5 * statSync(blank).size);
    if (process.env.UPDATE_EMAIL_PNG === "1") copyFileSync(png, path.join(REPO_ROOT, "docs", "email.png"));
  });
});
