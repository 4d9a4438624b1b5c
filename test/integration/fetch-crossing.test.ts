// What crosses between the main thread and a fetch worker on an unchanged
// poll, and what recording makes of it, with real parts: worker threads
// running dist/ (`npm run build` first), the real SDK against the simulator
// over HTTP, and recordSuccessfulPoll on a real SQLite file. It proves:
// - a worker that reads the attachments the caller holds (same digest) hands
//   back the caller's very list, and one that reads different attachments
//   hands back the new list with a new digest; unchanged groups still come
//   back with the fingerprints the caller sent;
// - recording takes a list as "nothing moved" only when it is the cached
//   state's very list AND that cache is the state of the last successful poll
//   (checked in the transaction): with a stale cache, or a list equal in
//   content but another object, it plans against the database, so a stale
//   cache can never hide a move.
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FetchPool, defaultWorkerUrl, type FetchRequest } from "../../src/aws/fetch-pool.js";
import { demoFetchRequest } from "../support/fetch-request.js";
import { startSimHarness, type SimHarness } from "../support/sim-harness.js";
import { makeTempDir, type TempDir } from "../support/temp-dir.js";
import { openDatabase } from "../../src/store/open.js";
import { ensureTarget } from "../../src/store/targets-repo.js";
import { recordSuccessfulPoll, type RecordDeps } from "../../src/store/record-poll.js";
import { loadCurrentAttachments } from "../../src/store/attachments-repo.js";
import { attachmentsDigest, type Attachment } from "../../src/model/attachment.js";
import { group } from "../unit/model/build.js";

describe("fetch worker answers for unchanged attachments", { timeout: 60_000 }, () => {
  let harness: SimHarness;
  let pool: FetchPool;
  const request = (extra: Partial<FetchRequest> = {}): FetchRequest => demoFetchRequest(harness.endpoint, extra);

  beforeAll(async () => {
    expect(existsSync(new URL(defaultWorkerUrl())), "dist/ is missing: run `npm run build` first").toBe(true);
    harness = await startSimHarness();
    pool = new FetchPool({ size: 1 });
  });
  afterAll(async () => {
    await pool?.close();
    await harness?.close();
  });

  it("sends the digest alone when nothing moved, and the new list when something did", async () => {
    const first = await pool.fetch(request());
    const list = first.attachments as Attachment[];
    expect(list.length).toBeGreaterThan(0);
    expect(first.attachmentsDigest).toBe(attachmentsDigest(list));

    const known = new Map(first.groups.map((g) => [g.groupId, g.fingerprint]));
    const second = await pool.fetch(request({ known, knownAttachments: { digest: first.attachmentsDigest as string, list } }));
    // The caller's own list, by identity: only the digest crossed.
    expect(second.attachments).toBe(list);
    expect(second.attachmentsDigest).toBe(first.attachmentsDigest);
    expect(second.groups).toEqual(first.groups.map((g) => ({ groupId: g.groupId, fingerprint: g.fingerprint, state: null })));

    const res = await fetch(`${harness.endpoint}/__sim/network-interfaces`, {
      method: "POST",
      body: JSON.stringify({ kind: "instance", groupIds: [harness.demo.groups.default], instanceId: "i-0ccc000000000beef", publicIp: "198.51.100.77" }),
    });
    expect(res.status).toBe(201);
    const { interfaceId } = (await res.json()) as { interfaceId: string };
    const third = await pool.fetch(request({ known, knownAttachments: { digest: first.attachmentsDigest as string, list } }));
    expect(third.attachments).not.toBe(list);
    expect(third.attachmentsDigest).not.toBe(first.attachmentsDigest);
    expect(third.attachments?.find((a) => a.interfaceId === interfaceId)).toMatchObject({ groupId: harness.demo.groups.default, publicIp: "198.51.100.77" });

    // Without interfaces read, none cross either way.
    const plain = await pool.fetch(request({ known, interfaces: false }));
    expect(plain.attachments).toBeNull();
    expect(plain.attachmentsDigest).toBeNull();
  });
});

describe("recording a list handed back by digest", () => {
  let tmp: TempDir;
  beforeAll(() => {
    tmp = makeTempDir();
  });
  afterAll(() => tmp?.remove());

  const eni = (id: string, publicIp: string | null = null): Attachment => ({
    interfaceId: id,
    groupId: "sg-0a01",
    kind: "instance",
    interfaceType: "interface",
    instanceId: `i-${id.slice(4)}`,
    publicIp,
    description: "",
  });
  const deps: RecordDeps = { judge: () => [], route: () => [], blindAfterFailures: 3 };
  const groups = [group({ groupId: "sg-0a01" })];
  const at = (minute: number): string => new Date(Date.parse("2026-03-02T10:00:00.000Z") + minute * 60_000).toISOString();

  it("plans against the database unless the list is the valid cache's own", () => {
    const { db } = openDatabase(path.join(tmp.path, "crossing.db"), { now: () => at(0) });
    try {
      const target = ensureTarget(db, "111111111111", "eu-west-1", null, at(0)).id;
      const poll = (minute: number, attachments: Attachment[], currentState?: RecordDeps["currentState"]) =>
        recordSuccessfulPoll(db, target, { groups, attachments, pages: 1, startedAt: at(minute), finishedAt: at(minute) }, currentState ? { ...deps, currentState } : deps);
      const current = (): Attachment[] => loadCurrentAttachments(db, target);

      const a = [eni("eni-0001"), eni("eni-0002")];
      const p1 = poll(1, a);
      // The interfaces moved at the next poll: eni-0002 gone, a public eni-0003 new.
      const b = [eni("eni-0001"), eni("eni-0003", "198.51.100.9")];
      const p2 = poll(2, b);
      expect(p2.pollId).not.toBe(p1.pollId);
      expect(current()).toEqual(b);

      // A stale cache (poll 1's) whose list comes back by identity: the database is read, and the move back is recorded.
      poll(3, a, { pollId: p1.pollId, state: p1.state, attachments: a });
      expect(current()).toEqual(a);
      const p3 = db.prepare("SELECT id FROM polls ORDER BY id DESC LIMIT 1").pluck().get() as number;
      expect(db.prepare("SELECT count(*) FROM interface_versions WHERE added_poll_id = ? OR removed_poll_id = ?").pluck().get(p3, p3)).toBe(2);

      // A valid cache, with a list equal in content but not the cache's own: planned against the database, which says nothing moved.
      const rows = (): number => db.prepare("SELECT count(*) FROM interface_versions").pluck().get() as number;
      const before = rows();
      const p4 = poll(4, a.map((x) => ({ ...x })), { pollId: p3, state: p1.state, attachments: a });
      expect(rows()).toBe(before);
      // A valid cache and its very list: nothing moved, the poll extends its run like any unchanged poll.
      const p5 = poll(5, a, { pollId: p4.pollId, state: p4.state, attachments: a });
      expect(p5.pollId).toBe(p4.pollId);
      expect(rows()).toBe(before);
      expect(current()).toEqual(a);
      expect(db.prepare("SELECT poll_count, interfaces_read FROM polls WHERE id = ?").get(p5.pollId)).toEqual({ poll_count: 2, interfaces_read: 1 });
    } finally {
      db.close();
    }
  });
});
