// Proves the simulator speaks EC2 the way the AWS CLI expects: the real
// `aws ec2 … --endpoint-url` (Debian's awscli, installed by .ci/run) lists,
// changes and pages through security groups without any special handling.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../../src/sim/server.js";
import { seedDemoAccount, type DemoAccount } from "../../../src/sim/seed-demo.js";

const AWS = ["/usr/bin/aws", "/usr/local/bin/aws"].find((p) => existsSync(p));

// The AWS CLI comes from Debian (.ci/run installs it); a machine without it skips these.
describe.skipIf(AWS === undefined)("the AWS CLI against the simulator", { timeout: 60_000 }, () => {
  let sim: Simulator;
  let demo: DemoAccount;
  const env = { PATH: process.env.PATH, HOME: "/nonexistent", AWS_ACCESS_KEY_ID: "AKIACLITEST000000001", AWS_SECRET_ACCESS_KEY: "cli-secret", AWS_DEFAULT_REGION: "us-east-1", AWS_CONFIG_FILE: "/nonexistent/c", AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/s" };
  const aws = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      if (!AWS) throw new Error("the AWS CLI is not installed (apt-get install awscli; .ci/run does it)");
      execFile(AWS, ["ec2", ...args, "--endpoint-url", sim.endpoint, "--output", "json"], { env, timeout: 30_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  beforeAll(async () => {
    sim = await startSimulator({});
    demo = seedDemoAccount(sim.state);
    // Enough groups for three pages of the API's smallest page size (5).
    const region = sim.state.account(demo.account).region(demo.region);
    for (let i = 0; i < 7; i++) region.createGroup({ groupName: `extra-${i}`, description: "paging", vpcId: demo.vpcId });
  });
  afterAll(async () => {
    await sim?.close();
  });

  it("describes every group, paging with --page-size", async () => {
    const r = await aws("describe-security-groups", "--page-size", "5");
    expect(r.code, r.stderr).toBe(0);
    const names = (JSON.parse(r.stdout) as { SecurityGroups: Array<{ GroupName: string }> }).SecurityGroups.map((g) => g.GroupName).sort();
    expect(names).toEqual(["app", "bastion", "db", "default", ...Array.from({ length: 7 }, (_, i) => `extra-${i}`), "web"]);
    expect(sim.requests.filter((q) => q.action === "DescribeSecurityGroups").length).toBe(3);
  });

  it("authorizes a rule, which then shows in describe-security-group-rules", async () => {
    const add = await aws("authorize-security-group-ingress", "--group-id", demo.groups.web, "--protocol", "tcp", "--port", "8080", "--cidr", "10.0.0.0/8");
    expect(add.code, add.stderr).toBe(0);
    const rules = await aws("describe-security-group-rules", "--filters", `Name=group-id,Values=${demo.groups.web}`);
    const found = (JSON.parse(rules.stdout) as { SecurityGroupRules: Array<{ FromPort: number; CidrIpv4?: string }> }).SecurityGroupRules;
    expect(found.some((x) => x.FromPort === 8080 && x.CidrIpv4 === "10.0.0.0/8")).toBe(true);
  });

  it("shows AWS's error for a duplicate rule", async () => {
    const dup = await aws("authorize-security-group-ingress", "--group-id", demo.groups.web, "--protocol", "tcp", "--port", "8080", "--cidr", "10.0.0.0/8");
    expect(dup.code).not.toBe(0);
    expect(dup.stderr).toMatch(/InvalidPermission\.Duplicate/);
  });
});
