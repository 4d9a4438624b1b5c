// What "who" says for an exposure-added change (issue #12 section 3) with
// CloudTrail on, through real parts: the simulator over HTTP with the real EC2
// SDK, App sweeping its CloudTrail into a real SQLite file, the simulator's
// admin endpoint putting a world-open group on a public instance.
//
// An exposure is made by interface calls (RunInstances, AttachNetworkInterface,
// ModifyNetworkInterfaceAttribute, AssociateAddress), which the security-group
// sweep does not read: there is nothing to look up, so attribution is n/a at
// once, not "pending" for attribution.horizon and then "unattributed" with a
// warning that no matching event was found (which would blame CloudTrail for
// what sgwatch never asked it).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthorizeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import { startAppWorld, type AppWorld } from "../support/app-world.js";
import { INTRUDER } from "../support/sim-harness.js";

const MIN = 60_000;

describe("an exposure-added change with CloudTrail on", { timeout: 120_000 }, () => {
  let w: AppWorld;
  let exposureId: number;
  let openedId: number;

  beforeAll(async () => {
    w = await startAppWorld({ simOnClock: true, extra: { cloudtrail: { enabled: true } } });
    const d = w.harness.demo;
    await w.poll(); // baseline
    w.clock.advance(MIN);
    // SSH to the world on default, which nothing uses yet.
    await w.harness
      .client(INTRUDER)
      .send(new AuthorizeSecurityGroupIngressCommand({ GroupId: d.groups.default, IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }));
    w.clock.advance(MIN);
    await w.poll();
    // default goes on an instance with a public address.
    const res = await fetch(`${w.harness.endpoint}/__sim/network-interfaces`, {
      method: "POST",
      body: JSON.stringify({ kind: "instance", groupIds: [d.groups.default], instanceId: "i-0db0000000000beef", publicIp: "198.51.100.50" }),
    });
    expect(res.status).toBe(201);
    w.clock.advance(MIN);
    await w.poll();
    exposureId = w.reader.prepare("SELECT id FROM change_events WHERE kind = 'exposure-added'").pluck().get() as number;
    openedId = w.reader.prepare("SELECT id FROM change_events WHERE kind = 'rule-added' AND group_id = ?").pluck().get(d.groups.default) as number;
  });

  afterAll(async () => {
    await w?.close();
  });

  it("is n/a at once (nothing a security-group call made), while the rule it exposes names its caller", () => {
    expect(exposureId).toBeGreaterThan(0);
    expect(w.change(exposureId)).toMatchObject({ kind: "exposure-added", attribution: "n/a", who: null });
    expect(w.change(openedId)).toMatchObject({ attribution: "attributed", who: expect.stringMatching(/^arn:aws:/) });
  });

  it("is never reported as unattributed after the horizon", async () => {
    w.clock.advance(40 * MIN); // past attribution.horizon (30 min)
    await w.poll();
    expect(w.change(exposureId).attribution).toBe("n/a");
    expect(w.log.lines().filter((l) => l.event === "unattributed")).toEqual([]);
  });
});
