// Proves the ignore list end to end: changes made through the real AWS SDK on
// the simulator over HTTP, a daemon cycle on a fake clock, the SQLite file and
// a real SMTP server. A change to a group an entry covers (by name glob and
// tag presence) is recorded in change_events with the entry's reason and sends
// no mail, is never reminded, and the same group alerts again once the entry
// has expired. A quiet inbox that hides a change, or an ignore entry that
// never lets go, fails here.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthorizeSecurityGroupIngressCommand, CreateSecurityGroupCommand, CreateTagsCommand, type IpPermission } from "@aws-sdk/client-ec2";
import { startAppWorld, type AppWorld } from "../support/app-world.js";
import { ENGINEER, INTRUDER } from "../support/sim-harness.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
/** The fake clock starts at 2026-03-02T10:00Z; the entry expires two hours later. */
const UNTIL = "2026-03-02T12:00:00Z";

function tcpFrom(port: number, cidr: string): IpPermission {
  return { IpProtocol: "tcp", FromPort: port, ToPort: port, IpRanges: [{ CidrIp: cidr }] };
}

describe("the ignore list", () => {
  let w: AppWorld;
  let eksGroup: string;

  beforeAll(async () => {
    w = await startAppWorld({
      extra: {
        alerts: { remindEvery: "1h" },
        ignore: [{ groupName: "eks-cluster-sg-*", tags: { "kubernetes.io/cluster/prod": "*" }, until: UNTIL, reason: "managed by EKS" }],
      },
    });
    const ec2 = w.harness.client(ENGINEER);
    const created = await ec2.send(new CreateSecurityGroupCommand({ GroupName: "eks-cluster-sg-prod-1", Description: "EKS created security group", VpcId: w.harness.demo.vpcId }));
    eksGroup = created.GroupId!;
    await ec2.send(new CreateTagsCommand({ Resources: [eksGroup], Tags: [{ Key: "kubernetes.io/cluster/prod", Value: "owned" }] }));
    await w.poll(); // baseline, 10:00
    expect(await w.newMails()).toEqual([]);
  });

  afterAll(async () => {
    await w?.close();
  });

  it("records a change to an ignored group with the entry's reason, and sends nothing", async () => {
    await w.harness.client(INTRUDER).send(new AuthorizeSecurityGroupIngressCommand({ GroupId: eksGroup, IpPermissions: [tcpFrom(443, "0.0.0.0/0")] }));
    w.clock.advance(5 * MIN); // 10:05
    await w.poll();
    const ignored = w.reader.prepare("SELECT group_id, kind, severity, status, ignored_reason FROM change_events").all();
    expect(ignored).toEqual([
      { group_id: eksGroup, kind: "rule-added", severity: "high", status: "unapproved", ignored_reason: `ignore[0] until 2026-03-02T12:00:00.000Z: managed by EKS` },
    ]);
    expect(await w.newMails()).toEqual([]);
    expect(w.reader.prepare("SELECT channel FROM outbox").all()).toEqual([]);
  });

  it("never reminds about it", async () => {
    w.clock.advance(HOUR); // 11:05, past remindEvery
    await w.poll();
    expect(await w.newMails()).toEqual([]);
  });

  it("alerts on the same group again once the entry has expired", async () => {
    w.clock.advance(HOUR); // 12:05, after until
    await w.harness.client(INTRUDER).send(new AuthorizeSecurityGroupIngressCommand({ GroupId: eksGroup, IpPermissions: [tcpFrom(22, "0.0.0.0/0")] }));
    w.clock.advance(5 * MIN);
    await w.poll();
    const mails = await w.newMails();
    // High, not critical: no network interface uses the group (blast radius: not reachable now).
    expect(mails.map((m) => m.subject)).toEqual(["[sgwatch] HIGH eks-cluster-sg-prod-1: tcp/22 opened to the internet"]);
    const latest = w.reader.prepare("SELECT ignored_reason FROM change_events ORDER BY id DESC LIMIT 1").get();
    expect(latest).toEqual({ ignored_reason: null });
  });
});
