// A fetch worker answers a page whose bytes (less the request id) are the
// ones it read last time without reading them again, and reads every other
// page, with real parts: worker threads running dist/ (`npm run build`
// first), the real SDK against the simulator over HTTP, two pages of groups
// and a page of interfaces. It proves:
// - an unchanged poll reuses every page, and hands back what a read would
//   (every group as unchanged, the caller's own attachments list);
// - a rule added to a group on the second page makes that page read again
//   (the group comes back with its new state) while the first is reused;
// - a caller that no longer holds a group's fingerprint gets that page read,
//   and one that holds other attachments gets the interfaces read;
// - moved interfaces are read; a page over the size limit is read every
//   time; the SDK reader reuses nothing;
// - in the daemon (an App, with a fetch thread and on the main thread), an
//   unchanged cycle reuses every page and says so in its poll-ok line, and a
//   rule added between cycles is still recorded and alerted: a reused page
//   never hides a change.
import { existsSync } from "node:fs";
import { AuthorizeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FetchPool, defaultWorkerUrl, type Fetched, type FetchRequest } from "../../src/aws/fetch-pool.js";
import type { Attachment } from "../../src/model/attachment.js";
import { App } from "../../src/daemon/app.js";
import { generateAccount } from "../../src/sim/generate.js";
import { loadCurrentAttachments } from "../../src/store/attachments-repo.js";
import { loadTestConfig, writeTestConfig } from "../support/config-file.js";
import { captureLog } from "../support/log-capture.js";
import { demoFetchRequest } from "../support/fetch-request.js";
import { startSimHarness, MONITOR, type SimHarness } from "../support/sim-harness.js";
import { makeTempDir } from "../support/temp-dir.js";

describe("fetch worker reuses unchanged pages", { timeout: 60_000 }, () => {
  let harness: SimHarness;
  let pool: FetchPool;
  const request = (extra: Partial<FetchRequest> = {}): FetchRequest => demoFetchRequest(harness.endpoint, extra);
  const knownOf = (f: Fetched): Map<string, string> => new Map(f.groups.map((g) => [g.groupId, g.fingerprint]));
  const held = (f: Fetched) => ({ digest: f.attachmentsDigest as string, list: f.attachments as Attachment[] });

  beforeAll(async () => {
    expect(existsSync(new URL(defaultWorkerUrl())), "dist/ is missing: run `npm run build` first").toBe(true);
    harness = await startSimHarness({ seed: 7 });
    // Two pages of groups at the worker's 1,000 per page.
    generateAccount(harness.sim.state, { seed: 7, groups: 1_200, rules: 2_400, account: harness.demo.account, region: "us-east-1" });
    pool = new FetchPool({ size: 1 });
  });
  afterAll(async () => {
    await pool?.close();
    await harness?.close();
  });

  it("answers unchanged pages from their last read and reads the rest", async () => {
    const first = await pool.fetch(request());
    expect(first.pages).toBe(2);
    expect(first.reusedPages).toBe(0);
    expect(first.groups.every((g) => g.state !== null)).toBe(true);

    // Nothing changed: both pages of groups and the page of interfaces are reused.
    const second = await pool.fetch(request({ known: knownOf(first), knownAttachments: held(first) }));
    expect(second.reusedPages).toBe(3);
    expect(second.groups).toEqual(first.groups.map((g) => ({ groupId: g.groupId, fingerprint: g.fingerprint, state: null })));
    expect(second.attachments).toBe(first.attachments);

    // A rule added to a group of the second page: that page is read, the first reused.
    const onSecondPage = first.groups[1_100]?.groupId as string;
    await harness.client().send(new AuthorizeSecurityGroupIngressCommand({ GroupId: onSecondPage, IpPermissions: [{ IpProtocol: "tcp", FromPort: 6553, ToPort: 6553, IpRanges: [{ CidrIp: "203.0.113.5/32" }] }] }));
    const third = await pool.fetch(request({ known: knownOf(first), knownAttachments: held(first) }));
    expect(third.reusedPages).toBe(2);
    const changed = third.groups.filter((g) => g.state !== null);
    expect(changed.map((g) => g.groupId)).toEqual([onSecondPage]);
    expect(changed[0]?.state?.rules.some((r) => r.fromPort === 6553 && r.source === "203.0.113.5/32")).toBe(true);

    // The caller no longer holds one first-page group: the first page is read for it.
    const known = knownOf(third);
    const dropped = first.groups[10]?.groupId as string;
    known.delete(dropped);
    const fourth = await pool.fetch(request({ known, knownAttachments: held(first) }));
    expect(fourth.reusedPages).toBe(2);
    expect(fourth.groups.filter((g) => g.state !== null).map((g) => g.groupId)).toEqual([dropped]);

    // The caller holds other attachments (its cache was dropped): the interfaces are read, and their list crosses.
    const fifth = await pool.fetch(request({ known: knownOf(third), knownAttachments: { digest: "another", list: [] } }));
    expect(fifth.reusedPages).toBe(2);
    expect(fifth.attachments).toEqual(first.attachments);
    expect(fifth.attachments).not.toBe(first.attachments);

    // Moved interfaces are read, and a new list crosses.
    const res = await fetch(`${harness.endpoint}/__sim/network-interfaces`, {
      method: "POST",
      body: JSON.stringify({ kind: "instance", groupIds: [harness.demo.groups.default], instanceId: "i-0ccc000000000beef", publicIp: "198.51.100.77" }),
    });
    expect(res.status).toBe(201);
    const sixth = await pool.fetch(request({ known: knownOf(third), knownAttachments: held(first) }));
    expect(sixth.reusedPages).toBe(2);
    expect(sixth.attachmentsDigest).not.toBe(first.attachmentsDigest);
    expect(sixth.attachments?.some((a) => a.publicIp === "198.51.100.77")).toBe(true);
  });

  it("reads a page over the size limit every time, as it streams in", async () => {
    // One page of 1,000 groups and 12,000 rules: several MB, over REUSE_LIMIT_BYTES.
    generateAccount(harness.sim.state, { seed: 8, groups: 1_000, rules: 12_000, account: harness.demo.account, region: "eu-west-1" });
    const big = (extra: Partial<FetchRequest> = {}): FetchRequest => request({ clientKey: "123456789012/eu-west-1", spec: { ...request().spec, region: "eu-west-1" }, interfaces: false, ...extra });
    const first = await pool.fetch(big());
    expect(first.pages).toBe(1);
    const second = await pool.fetch(big({ known: knownOf(first) }));
    expect(second.reusedPages).toBe(0);
    expect(second.groups).toEqual(first.groups.map((g) => ({ groupId: g.groupId, fingerprint: g.fingerprint, state: null })));
  });

  it("reuses nothing with the SDK's reader", async () => {
    const key = { clientKey: "123456789012/us-east-1/sdk", reader: "sdk" as const };
    const first = await pool.fetch(request(key));
    const second = await pool.fetch(request({ ...key, known: knownOf(first), knownAttachments: held(first) }));
    expect(second.reusedPages).toBe(0);
    expect(second.groups.every((g) => g.state === null)).toBe(true);
  });

  it.each([
    ["in a fetch worker", 1],
    ["on the main thread", 0],
  ])("in the daemon, %s: an unchanged cycle reuses its pages, and a change is still recorded", async (_, fetchThreads) => {
    const tmp = makeTempDir();
    const log = captureLog("info");
    const files = writeTestConfig({ dir: tmp.path, endpoint: harness.endpoint, extra: { aws: { fetchThreads } } });
    const app = new App({ config: loadTestConfig(files), logger: log.logger, env: {}, credentials: MONITOR });
    try {
      const pollOk = () => log.events("poll-ok").at(-1) as Record<string, unknown>;
      expect((await app.cycle()).targets.every((t) => t.ok)).toBe(true);
      expect(pollOk()).toMatchObject({ baseline: true });
      await app.cycle();
      expect(pollOk()).toMatchObject({ baseline: false, changes: 0, pagesReused: 3 });

      const group = harness.demo.groups.default;
      const port = 3389 + fetchThreads;
      await harness.client().send(new AuthorizeSecurityGroupIngressCommand({ GroupId: group, IpPermissions: [{ IpProtocol: "tcp", FromPort: port, ToPort: port, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }));
      const r = await app.cycle();
      // The page holding the group is read again; the other page of groups and the interfaces are reused.
      expect(pollOk()).toMatchObject({ changes: 1, unapproved: 1, pagesReused: 2 });
      expect(r.targets[0]?.judged.map((j) => [j.change.groupId, j.change.kind])).toEqual([[group, "rule-added"]]);

      // An interface attached between cycles: the interfaces are read and the attachment recorded; both pages of groups are reused.
      const res = await fetch(`${harness.endpoint}/__sim/network-interfaces`, { method: "POST", body: JSON.stringify({ kind: "instance", groupIds: [group], instanceId: `i-0ddd00000000000${fetchThreads}` }) });
      const { interfaceId } = (await res.json()) as { interfaceId: string };
      await app.cycle();
      expect(pollOk()).toMatchObject({ changes: 0, pagesReused: 2 });
      const target = app.db.prepare("SELECT id FROM targets").pluck().get() as number;
      expect(loadCurrentAttachments(app.db, target).filter((a) => a.interfaceId === interfaceId).map((a) => a.groupId)).toEqual([group]);
      await app.cycle();
      expect(pollOk()).toMatchObject({ changes: 0, pagesReused: 3 });
      expect(loadCurrentAttachments(app.db, target).some((a) => a.interfaceId === interfaceId)).toBe(true);
    } finally {
      await app.close();
      tmp.remove();
    }
  });
});
