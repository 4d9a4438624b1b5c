// Proves `sgwatch sim` as a person meets it, run as a child process: a port in
// use, a state file that is not one and a bad --generate spec each end with a
// message naming the problem and exit 2 (never "internal error" or a stack);
// --generate builds the large account it promises, which the real AWS SDK
// reads back over HTTP; --help points at docs/simulator.md, which exists.
import { afterAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { paginateDescribeSecurityGroups } from "@aws-sdk/client-ec2";
import { makeTempDir } from "../support/temp-dir.js";
import { REPO_ROOT, runCli, startCli, type CliProcess, type CliResult } from "../support/cli.js";
import { ec2Client } from "./sim/sdk-client.js";

const SLOW = 120_000;
const STACK_LINE = /^\s+at /m;
const tmp = makeTempDir();
afterAll(() => tmp.remove());

function explain(r: CliResult): string {
  return `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

/** A user error: exit 2, the message, no stack, nothing "internal". */
function expectUserError(r: CliResult, message: RegExp): void {
  expect(r.code, explain(r)).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toContain("internal error");
  expect(r.stderr).not.toMatch(STACK_LINE);
}

/** Resolves with the first stdout line matching `re`; rejects if the process exits first. */
function waitForLine(p: CliProcess, re: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const hit = p.lines.find((l) => re.test(l));
      if (hit !== undefined) resolve(hit);
      return hit !== undefined;
    };
    if (check()) return;
    p.child.stdout?.on("data", () => void check());
    void p.exited.then((r) => reject(new Error(`sim exited before printing ${re}\n${explain(r)}`)), reject);
  });
}

describe("sgwatch sim: bad input", { timeout: SLOW }, () => {
  it("a port already in use is named, exit 2", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      expectUserError(await runCli(["sim", "--port", String(port)]), new RegExp(`--port: 127\\.0\\.0\\.1:${port} is already in use`));
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it.each([
    ["not JSON", "this is not json", /--seed: simulator state file .*not-json\.json is not valid JSON/],
    ["the wrong shape", JSON.stringify({ version: 1, accounts: 5 }), /--seed: simulator state file .*shape\.json is malformed: accounts must be an object/],
    ["a future version", JSON.stringify({ version: 9, accounts: {} }), /--seed: .*malformed: unsupported state version 9/],
  ])("a seed file that is %s is named with its problem, exit 2", async (what, text, message) => {
    const file = tmp.join(what === "not JSON" ? "not-json.json" : what === "the wrong shape" ? "shape.json" : "future.json");
    writeFileSync(file, text);
    const r = await runCli(["sim", "--seed", file]);
    expectUserError(r, message);
    expect(r.stderr).toContain('expected "demo" or a file written by --save');
  });

  it("a seed that does not exist, or is a directory, is named, exit 2", async () => {
    expectUserError(await runCli(["sim", "--seed", tmp.join("missing.json")]), /--seed: no such file .*missing\.json/);
    mkdirSync(tmp.join("a-dir"));
    expectUserError(await runCli(["sim", "--seed", tmp.join("a-dir")]), /--seed: .*a-dir is a directory/);
  });

  it.each([
    ["groups=ten", /--generate: .*groups must be a whole number from 1 to 100000, got "ten"/],
    ["groups=10,rules=3", /--generate: .*rules \(3\) must be at least groups \(10\)/],
    ["rules=100", /--generate: .*groups=N is required/],
    ["groups=10,size=big", /--generate: .*unknown key "size"/],
  ])("--generate %s is refused with what is wrong, exit 2", async (spec, message) => {
    expectUserError(await runCli(["sim", "--generate", spec]), message);
  });

  it("an address that is not this machine's is named, exit 2", async () => {
    // 192.0.2.0/24 is TEST-NET-1: documentation only, never a local address.
    expectUserError(await runCli(["sim", "--host", "192.0.2.1"]), /--host: cannot listen on 192\.0\.2\.1: no such local address/);
  });

  it("--port that is not a port is refused, exit 2", async () => {
    expectUserError(await runCli(["sim", "--port", "80x"]), /--port: expected 0-65535, got "80x"/);
  });
});

describe("sgwatch sim --generate", { timeout: SLOW }, () => {
  it("serves the account it promises to the real AWS SDK, and saves it on exit", async () => {
    const saved = tmp.join("generated.json");
    const p = startCli(["sim", "--generate", "groups=300,rules=2500,seed=7", "--save", saved]);
    try {
      const summary = await waitForLine(p, /^generated /);
      expect(summary).toBe("generated 300 groups, 2500 rules in account 123456789012, us-east-1 (seed 7)");
      const endpoint = (await waitForLine(p, /listening on /)).split("listening on ")[1] as string;
      const client = ec2Client(endpoint);
      let groups = 0;
      let rules = 0;
      try {
        for await (const page of paginateDescribeSecurityGroups({ client, pageSize: 1000 }, {})) {
          for (const g of page.SecurityGroups ?? []) {
            groups++;
            for (const perm of [...(g.IpPermissions ?? []), ...(g.IpPermissionsEgress ?? [])]) {
              rules += (perm.IpRanges?.length ?? 0) + (perm.Ipv6Ranges?.length ?? 0) + (perm.PrefixListIds?.length ?? 0) + (perm.UserIdGroupPairs?.length ?? 0);
            }
          }
        }
      } finally {
        client.destroy();
      }
      expect(groups).toBe(300);
      expect(rules).toBe(2500);
    } finally {
      p.child.kill("SIGTERM");
    }
    const r = await p.exited;
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toContain(`state saved to ${saved}`);
    expect(existsSync(saved)).toBe(true);
  });
});

describe("sgwatch sim --generate, twice", { timeout: SLOW }, () => {
  it("the same spec gives the same account, ids included", async () => {
    const groupIds = async (): Promise<string[]> => {
      const p = startCli(["sim", "--generate", "groups=20,rules=60,seed=3"]);
      try {
        const endpoint = (await waitForLine(p, /listening on /)).split("listening on ")[1] as string;
        const client = ec2Client(endpoint);
        try {
          const ids: string[] = [];
          for await (const page of paginateDescribeSecurityGroups({ client, pageSize: 1000 }, {})) {
            for (const g of page.SecurityGroups ?? []) ids.push(`${g.GroupId} ${g.GroupName} ${g.IpPermissions?.length ?? 0}`);
          }
          return ids;
        } finally {
          client.destroy();
        }
      } finally {
        p.child.kill("SIGTERM");
        await p.exited;
      }
    };
    const [a, b] = await Promise.all([groupIds(), groupIds()]);
    expect(a).toHaveLength(20);
    expect(b).toEqual(a);
  });
});

describe("sgwatch sim --help", { timeout: SLOW }, () => {
  it("points at docs/simulator.md, which exists, and documents --generate", async () => {
    const r = await runCli(["sim", "--help"]);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toContain("docs/simulator.md");
    expect(r.stdout).toContain("--generate groups=2000,rules=20000");
    expect(existsSync(path.join(REPO_ROOT, "docs", "simulator.md"))).toBe(true);
  });
});
