// The loader against fixture directories (test/fixtures/approvals/*): every
// shape of file, every kind of bad input with the line it must be reported
// on, duplicates, standing windows, syntax errors and a missing directory.

import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_LOAD_LIMITS, loadApprovalsDir, parseApprovalsText } from "../../../src/approvals/load.js";
import { DEFAULT_MAX_WINDOW_MS } from "../../../src/approvals/schema.js";

const opts = { maxWindowMs: DEFAULT_MAX_WINDOW_MS };
const dir = (name: string) => `test/fixtures/approvals/${name}`;
const where = (r: ReturnType<typeof loadApprovalsDir>) =>
  r.records.map((x) => `${x.id}@${x.origin.kind === "file" ? `${x.origin.file.split("/").pop()}:${x.origin.line}` : "cli"}`);
const lines = (r: ReturnType<typeof loadApprovalsDir>) => r.problems.map((p) => `${p.line}: ${p.message}`);

describe("good files", () => {
  const r = loadApprovalsDir(dir("good"), opts);

  it("reads lists, single records, approvals: lists and multiple documents, in file order", () => {
    expect(where(r)).toEqual([
      "CHG-1@a-list.yaml:2",
      "CHG-2@a-list.yaml:10",
      "CHG-3@b-single.yml:2",
      "CHG-4@c-wrapped.yaml:2",
      "CHG-5@d-multidoc.yaml:1",
      "CHG-6@d-multidoc.yaml:8",
    ]);
  });

  it("skips dotfiles, other extensions and subdirectories, and reports nothing", () => {
    expect(r.problems).toEqual([]);
  });

  it("normalises what it reads", () => {
    const chg2 = r.records.find((x) => x.id === "CHG-2");
    expect(chg2?.window).toEqual({ from: "2026-12-01T17:00:00Z", until: "2026-12-02T17:00:00Z" });
    expect(chg2?.changes).toEqual([
      { action: "add", direction: "egress", protocol: "udp", ports: { from: 53, to: 60 }, source: { kind: "security-group", value: "sg-0def" } },
    ]);
    const chg3 = r.records.find((x) => x.id === "CHG-3");
    expect(chg3?.selector).toEqual({ kind: "tags", tags: { env: "prod", team: "payments" } });
    expect(chg3?.changes[1]).toEqual({ action: "add", direction: "ingress", protocol: "all", ports: null, source: { kind: "ipv6", value: "2001:db8::/32" } });
    expect(r.records[0]?.target).toEqual({ account: "111111111111", region: "eu-west-1" });
  });
});

describe("bad records", () => {
  const r = loadApprovalsDir(dir("bad"), opts);

  it("keeps the good records around the bad ones", () => {
    expect(where(r)).toEqual(["CHG-100@records.yaml:2", "CHG-199@records.yaml:84"]);
  });

  it("reports each fault on the line of the offending key or value", () => {
    expect(lines(r)).toEqual([
      '18: changes[0].source: "10.0.0.0/33" is not a valid CIDR',
      "19: changes[0].colour: unknown field",
      "25: window.until: 2026-12-01T18:00:00Z is before window.from 2026-12-02T18:00:00Z",
      "36: changes[0].ports: 70000 is out of range 0-65535",
      '40: changes[1].ports: "90-80" starts after it ends',
      '42: changes[2].ports: is required for tcp (a port, a range such as "8000-8080", or all)',
      "50: window.until: makes the window 8 days long, more than the maximum 7 days; shorten it or mark the record standing: true",
      "58: groupName: give exactly one of groupId, groupName or tags, not groupId and groupName",
      "59: ticketUrl: unknown field",
      '61: changes[0].action: "open" is not one of add, remove, modify-description, any, create-group, delete-group, modify-tags',
      '68: window.from: "2026-12-01T18:00" is not an ISO-8601 time with a zone, such as "2026-12-01T18:00Z"',
      "69: target.account: expected a 12-digit account id as a quoted string, got 111111111111",
      "70: tags.cost: expected a string (quote it), got 1234",
      "71: changes: must list at least one change",
      // Missing keys are reported on the record's first line.
      "72: approvedBy: is required (who approved it)",
      "72: changes: is required",
      "76: needs a group selector: exactly one of groupId, groupName or tags",
      "82: changes[0].ports: does not apply to action create-group",
      '83: expected a record (a mapping with id, window, changes…), got "just a string"',
    ]);
  });

  it("gives each problem its file and a stable key of file, line and message", () => {
    const p = r.problems[0];
    expect(p).toEqual({
      file: "test/fixtures/approvals/bad/records.yaml",
      line: 18,
      message: 'changes[0].source: "10.0.0.0/33" is not a valid CIDR',
      key: 'test/fixtures/approvals/bad/records.yaml:18: changes[0].source: "10.0.0.0/33" is not a valid CIDR',
    });
    expect(loadApprovalsDir(dir("bad"), opts).problems.map((x) => x.key)).toEqual(r.problems.map((x) => x.key));
    expect(new Set(r.problems.map((x) => x.key)).size).toBe(r.problems.length);
  });
});

describe("duplicates", () => {
  const r = loadApprovalsDir(dir("dup"), opts);
  it("keeps the first definition and reports the later one naming both places", () => {
    expect(where(r)).toEqual(["CHG-1@a.yaml:1", "CHG-2@a.yaml:7"]);
    expect(r.records.map((x) => x.reason)).toEqual(["first definition", "defined twice in this file"]);
    expect(r.problems.map((p) => p.key)).toEqual([
      'test/fixtures/approvals/dup/a.yaml:13: id: "CHG-2" is already defined at test/fixtures/approvals/dup/a.yaml:7; this record is ignored',
      'test/fixtures/approvals/dup/b.yaml:2: id: "CHG-1" is already defined at test/fixtures/approvals/dup/a.yaml:1; this record is ignored',
    ]);
  });
  it("parseApprovalsText checks duplicates within the one file", () => {
    const text = "- {id: X, reason: r, approvedBy: a, window: {from: 2026-12-01T18:00Z, until: 2026-12-01T19:00Z}, groupId: sg-0a, changes: [{action: create-group}]}\n";
    const p = parseApprovalsText(text + text, "x.yaml", opts);
    expect(p.records).toHaveLength(1);
    expect(p.problems.map((x) => x.key)).toEqual(['x.yaml:2: id: "X" is already defined at x.yaml:1; this record is ignored']);
  });
});

describe("standing windows", () => {
  const r = loadApprovalsDir(dir("standing"), opts);
  it("allows a year-long window only on a standing record with a reason", () => {
    expect(where(r)).toEqual(["STD-1@rules.yaml:1"]);
    expect(lines(r)).toEqual([
      "11: window.until: makes the window 365 days long, more than the maximum 7 days; shorten it or mark the record standing: true",
      '15: reason: expected a reason (a non-empty string), got ""',
    ]);
  });
  it("uses the maximum it is given", () => {
    expect(loadApprovalsDir(dir("standing"), { maxWindowMs: 400 * 86_400_000 }).records.map((x) => x.id)).toEqual(["STD-1", "STD-2"]);
  });
});

describe("syntax errors", () => {
  const r = loadApprovalsDir(dir("syntax"), opts);
  it("reports them with file and line, and keeps valid documents and files", () => {
    expect(where(r)).toEqual(["CHG-1@broken.yaml:1", "CHG-9@ok.yaml:1"]);
    expect(r.problems.map((p) => `${p.file.split("/").pop()}:${p.line}`)).toEqual(["broken.yaml:10", "broken.yaml:13", "broken.yaml:13"]);
    expect(r.problems[0]?.message).toBe("YAML syntax error: Map keys must be unique");
    expect(r.problems.slice(1).every((p) => p.message.startsWith("YAML syntax error: Flow"))).toBe(true);
  });
});

describe("file and directory problems", () => {
  it("a missing directory is one problem, not a throw", () => {
    expect(loadApprovalsDir(dir("does-not-exist"), opts)).toEqual({
      records: [],
      problems: [
        {
          file: "test/fixtures/approvals/does-not-exist",
          line: 0,
          message: "approvals directory does not exist",
          key: "test/fixtures/approvals/does-not-exist:0: approvals directory does not exist",
        },
      ],
    });
  });

  it("a directory that is a file is a problem", () => {
    const r = loadApprovalsDir(join(dir("good"), "notes.txt"), opts);
    expect(r.records).toEqual([]);
    expect(r.problems[0]?.message).toMatch(/^cannot read approvals directory: ENOTDIR/);
  });

  it("an empty directory yields nothing", () => {
    expect(loadApprovalsDir(mkdtempSync(join(tmpdir(), "sgwatch-approvals-")), opts)).toEqual({ records: [], problems: [] });
  });

  it("reads .yml and .YAML, ignores other names", () => {
    const d = mkdtempSync(join(tmpdir(), "sgwatch-approvals-"));
    const rec = (id: string) => `{id: ${id}, reason: r, approvedBy: a, window: {from: 2026-12-01T18:00Z, until: 2026-12-01T19:00Z}, groupId: sg-0a, changes: [{action: create-group}]}\n`;
    writeFileSync(join(d, "b.yml"), rec("B"));
    writeFileSync(join(d, "a.YAML"), rec("A"));
    writeFileSync(join(d, "c.yaml.bak"), rec("C"));
    writeFileSync(join(d, ".d.yaml"), rec("D"));
    expect(loadApprovalsDir(d, opts).records.map((x) => x.id)).toEqual(["A", "B"]);
  });
});

describe("parseApprovalsText", () => {
  it("rejects an approvals: value that is not a list, and keys beside it", () => {
    const r = parseApprovalsText("approvals: {id: X}\nextra: 1\n", "w.yaml", opts);
    expect(r.problems.map((p) => p.key)).toEqual(["w.yaml:1: approvals: expected a list of records", "w.yaml:2: extra: unknown field beside approvals:"]);
  });
  it("rejects a scalar document", () => {
    expect(parseApprovalsText("hello\n", "s.yaml", opts).problems.map((p) => p.key)).toEqual([
      "s.yaml:1: expected a record, a list of records, or a mapping with an approvals: list",
    ]);
  });
  it("treats an empty file as no records", () => {
    expect(parseApprovalsText("", "e.yaml", opts)).toEqual({ records: [], problems: [] });
    expect(parseApprovalsText("# only a comment\n", "e.yaml", opts)).toEqual({ records: [], problems: [] });
  });
  it("maps a problem in a flow mapping to its own line", () => {
    const text = [
      "id: X",
      "reason: r",
      "approvedBy: a",
      "window: {from: 2026-12-01T18:00Z, until: 2026-12-01T19:00Z}",
      "groupId: sg-0a",
      "changes:",
      "  - {action: add, protocol: tcp, ports: 443, source: any}",
      "  - {action: add, protocol: tcp, ports: 443,",
      "     source: 10.0.0.0/40}",
    ].join("\n");
    expect(parseApprovalsText(text, "f.yaml", opts).problems.map((p) => p.key)).toEqual([
      'f.yaml:9: changes[1].source: "10.0.0.0/40" is not a valid CIDR',
    ]);
  });
  it("resolves aliases, and reports an unknown one on its line", () => {
    const rec = (id: string, changes: string) =>
      `- {id: ${id}, reason: r, approvedBy: a, window: {from: 2026-12-01T18:00Z, until: 2026-12-01T19:00Z}, groupId: sg-0a, changes: ${changes}}`;
    const good = parseApprovalsText([rec("A", "&c [{action: create-group}]"), rec("B", "*c")].join("\n"), "a.yaml", opts);
    expect(good.records.map((x) => [x.id, x.changes])).toEqual([
      ["A", [{ action: "create-group" }]],
      ["B", [{ action: "create-group" }]],
    ]);
    const bad = parseApprovalsText(["# a comment", rec("A", "[{action: create-group}]"), rec("B", "*nope")].join("\n"), "a.yaml", opts);
    expect(bad.problems.map((p) => p.line)).toEqual([3]);
    expect(bad.problems[0]?.message).toMatch(/^YAML syntax error: .*alias/i);
  });
});

describe("what is read: regular files inside the directory, within limits", () => {
  const rec = (id: string) => `- {id: ${id}, reason: r, approvedBy: a, window: {from: 2026-12-01T18:00Z, until: 2026-12-01T19:00Z}, groupId: sg-0a, changes: [{action: create-group}]}\n`;
  const fresh = () => {
    const root = mkdtempSync(join(tmpdir(), "sgwatch-approvals-"));
    const d = join(root, "approvals");
    mkdirSync(d);
    return { root, d };
  };
  const messages = (r: ReturnType<typeof loadApprovalsDir>) => r.problems.map((p) => `${p.file.split("/").pop()}:${p.line}: ${p.message}`);

  it("refuses a symlink to a file outside the directory without reading it", () => {
    const { root, d } = fresh();
    // Shaped like a record, so that if it were parsed its values would come back in problems.
    writeFileSync(join(root, "shadow"), "id: [root]\nreason: {hash: SECRET-HASH-6f2a}\n");
    symlinkSync(join(root, "shadow"), join(d, "evil.yaml"));
    writeFileSync(join(d, "ok.yaml"), rec("OK"));
    const r = loadApprovalsDir(d, opts);
    expect(r.records.map((x) => x.id)).toEqual(["OK"]);
    expect(messages(r)).toEqual(["evil.yaml:0: is a link to a file outside the approvals directory; not read (approval files must be regular files inside it)"]);
    expect(JSON.stringify(r)).not.toContain("SECRET-HASH");
  });

  it("follows a symlink that stays inside the directory (a Kubernetes ConfigMap volume)", () => {
    const { d } = fresh();
    mkdirSync(join(d, "..2026_03_02"));
    writeFileSync(join(d, "..2026_03_02", "a.yaml"), rec("CM"));
    symlinkSync("..2026_03_02", join(d, "..data"));
    symlinkSync(join("..data", "a.yaml"), join(d, "a.yaml"));
    expect(loadApprovalsDir(d, opts)).toMatchObject({ records: [{ id: "CM" }], problems: [] });
  });

  it("refuses a FIFO without blocking on it", () => {
    const { d } = fresh();
    execFileSync("mkfifo", [join(d, "pipe.yaml")]);
    expect(messages(loadApprovalsDir(d, opts))).toEqual(["pipe.yaml:0: is not a regular file; not read"]);
  });

  it("refuses a file over the size limit unread (default 1 MiB)", () => {
    const { d } = fresh();
    writeFileSync(join(d, "big.yaml"), rec("BIG") + `# ${"x".repeat(DEFAULT_LOAD_LIMITS.maxFileBytes)}\n`);
    writeFileSync(join(d, "small.yaml"), rec("SMALL"));
    const r = loadApprovalsDir(d, opts);
    expect(r.records.map((x) => x.id)).toEqual(["SMALL"]);
    expect(messages(r)).toEqual([expect.stringMatching(/^big\.yaml:0: is \d+ bytes, more than the limit of 1048576 per file; split it into several files \(not read\)$/)]);
  });

  it("refuses a file with more records than the per-file limit whole; other files load", () => {
    const { d } = fresh();
    writeFileSync(join(d, "a.yaml"), rec("A1") + rec("A2") + rec("A3"));
    writeFileSync(join(d, "b.yaml"), rec("B1"));
    const r = loadApprovalsDir(d, { ...opts, limits: { maxRecordsPerFile: 2 } });
    expect(r.records.map((x) => x.id)).toEqual(["B1"]);
    expect(messages(r)).toEqual(["a.yaml:0: holds more than 2 records, the limit per file; split it into several files (none of its records were loaded)"]);
  });

  it("stops reading files once the directory's record limit is reached, naming what was not read", () => {
    const { d } = fresh();
    for (const id of ["A", "B", "C", "D"]) writeFileSync(join(d, `${id}.yaml`), rec(id));
    const r = loadApprovalsDir(d, { ...opts, limits: { maxRecordsTotal: 2 } });
    expect(r.records.map((x) => x.id)).toEqual(["A", "B"]);
    expect(messages(r)).toEqual(["approvals:0: reached 2 records, the limit for the directory; 2 files from C.yaml on were not read"]);
  });

  it("reports at most 20 problems per file and sums up the rest", () => {
    const { d } = fresh();
    writeFileSync(join(d, "bad.yaml"), Array.from({ length: 30 }, (_, i) => `- {id: X${i}}\n`).join(""));
    const r = loadApprovalsDir(d, opts);
    expect(r.problems.length).toBe(DEFAULT_LOAD_LIMITS.maxProblemsPerFile + 1);
    expect(r.problems.at(-1)?.message).toMatch(/^and \d+ more problems in this file \(fix the ones above first\)$/);
  });
});
