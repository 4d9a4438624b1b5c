// The demo's script: what people do to the account between cycles, through
// the real AWS SDK against the simulator, so sgwatch sees it exactly as it
// would see it on AWS. Scene N runs after cycle N; cycle N+1 finds it.
import {
  EC2Client,
  AuthorizeSecurityGroupIngressCommand,
  RevokeSecurityGroupIngressCommand,
  UpdateSecurityGroupRuleDescriptionsIngressCommand,
} from "@aws-sdk/client-ec2";
import type { DemoAccount } from "../sim/seed-demo.js";
import type { Simulator } from "../sim/server.js";

/** An access key pair of one of the demo's people. */
export interface DemoKey {
  /** Access key id; the simulator's CloudTrail names its owner. */
  accessKeyId: string;
  /** Secret (the simulator checks none). */
  secretAccessKey: string;
}

/** An engineer working a ticket (CloudTrail: alice). */
export const ENGINEER: DemoKey = { accessKeyId: "AKIADEMOENGINEER0001", secretAccessKey: "demo-engineer-secret" };
/** A stolen key (CloudTrail: deploy-bot). */
export const INTRUDER: DemoKey = { accessKeyId: "AKIADEMOSTOLENKEY999", secretAccessKey: "demo-stolen-secret" };
/** What sgwatch polls with. */
export const MONITOR: DemoKey = { accessKeyId: "AKIADEMOSGWATCH00001", secretAccessKey: "demo-sgwatch-secret" };

/** Where the stolen key's calls come from (TEST-NET-3, documentation space): outside the allowed networks, named by its alerts. */
export const INTRUDER_ADDRESS = "203.0.113.66";

/** Where alice works from: inside the demo's allowed networks (cloudtrail.actors.networks). */
export const ENGINEER_ADDRESS = "10.20.1.15";

/** How many times the stolen key, once cut off, tries tcp/3389: a burst the trail sensor reports as one alert. */
export const DENIED_TRIES = 3;

/**
 * How long the stolen key keeps tcp/3306 open before closing it again, all
 * between two polls: real seconds (the demo's daemon runs on the real clock),
 * so no poll can see it and only CloudTrail's two records tell it.
 */
export const TRANSIENT_SECONDS = 10;

/** The cycles the script needs: baseline, three scenes found (the second with the stolen key's short-lived opening and denied tries), an outage, the response found. */
export const DEMO_MIN_CYCLES = 5;

/** What a scene needs. */
export interface SceneContext {
  /** The running simulator (faults for the outage). */
  sim: Simulator;
  /** The seeded account's ids. */
  demo: DemoAccount;
  /** A real EC2 client acting as `who`. */
  client(who: DemoKey): EC2Client;
  /** Prints one line of the story. */
  say(line: string): void;
  /** Waits real time (the daemon does not poll meanwhile: scenes run between cycles). */
  wait(ms: number): Promise<void>;
}

const tcp = (port: number, cidr: string, description?: string) => ({
  IpProtocol: "tcp",
  FromPort: port,
  ToPort: port,
  IpRanges: [{ CidrIp: cidr, ...(description === undefined ? {} : { Description: description }) }],
});

/**
 * The stolen key opens tcp/3306 (MySQL) on db to the world and closes it
 * TRANSIENT_SECONDS later, between two polls: the polls compare two identical
 * states, so only the join of CloudTrail's records with poll history finds it
 * (a transient opening, decided once a successful poll has run after it).
 */
async function shortLivedOpening(s: SceneContext): Promise<void> {
  const mysql = [tcp(3306, "0.0.0.0/0")];
  s.say(`   · deploy-bot's key opens tcp/3306 on db to 0.0.0.0/0 and closes it ${TRANSIENT_SECONDS} s later, before the next poll`);
  await s.client(INTRUDER).send(new AuthorizeSecurityGroupIngressCommand({ GroupId: s.demo.groups.db, IpPermissions: mysql }));
  await s.wait(TRANSIENT_SECONDS * 1000);
  await s.client(INTRUDER).send(new RevokeSecurityGroupIngressCommand({ GroupId: s.demo.groups.db, IpPermissions: mysql }));
  // The join decides once a poll has started clearly after the removal: past
  // its eventTime's second and the clock skew allowed (1 s each, the
  // default). Waiting that out here makes the next cycle's poll the deciding
  // one, however long the rest of the scene takes on a loaded machine.
  await s.wait(DECIDING_POLL_AFTER_MS);
}

/** CloudTrail's one-second resolution plus the default cloudtrail.clockSkew (1 s), with room. */
const DECIDING_POLL_AFTER_MS = 2_500;

/**
 * IAM cuts the stolen key's EC2 permissions; it tries tcp/3389 (RDP) on
 * bastion anyway, DENIED_TRIES times. Nothing changes, so no poll can see it:
 * only CloudTrail's failed records do, and the trail sensor turns the burst
 * into one failed-attempts alert.
 */
async function deniedTries(s: SceneContext): Promise<void> {
  s.sim.cloudtrail.keys.deny(INTRUDER.accessKeyId);
  s.say(`   · IAM denies deploy-bot's key; from ${INTRUDER_ADDRESS} it tries to open tcp/3389 on bastion to 0.0.0.0/0, ${DENIED_TRIES} times:`);
  const refusals: string[] = [];
  for (let i = 0; i < DENIED_TRIES; i++) {
    // The refusal is the scene; a call that succeeds or fails otherwise is a broken demo and says so.
    const code = await s
      .client(INTRUDER)
      .send(new AuthorizeSecurityGroupIngressCommand({ GroupId: s.demo.groups.bastion, IpPermissions: [tcp(3389, "0.0.0.0/0")] }))
      .then(
        () => "accepted",
        (e: unknown) => (e instanceof Error ? e.name : String(e)),
      );
    if (code !== "UnauthorizedOperation") throw new Error(`the stolen key's denied try ended ${code}, not UnauthorizedOperation`);
    refusals.push(`refused (${code})`);
  }
  s.say(`     ${refusals.join(", ")}`);
}

/** Runs the scene that follows cycle `n` (nothing after the last one). */
export async function playScene(n: number, s: SceneContext): Promise<void> {
  const g = s.demo.groups;
  const say = (line: string): void => s.say(`   · ${line}`);
  if (n === 1) {
    s.say("\nMeanwhile, in the account:");
    say(`a stolen key (deploy-bot) opens tcp/22 on bastion to 0.0.0.0/0 from ${INTRUDER_ADDRESS}, outside the allowed networks, no ticket`);
    await s.client(INTRUDER).send(new AuthorizeSecurityGroupIngressCommand({ GroupId: g.bastion, IpPermissions: [tcp(22, "0.0.0.0/0", "temp")] }));
    say("alice opens tcp/443 on app from 10.0.0.0/8 under ticket CHG-1042");
    await s.client(ENGINEER).send(new AuthorizeSecurityGroupIngressCommand({ GroupId: g.app, IpPermissions: [tcp(443, "10.0.0.0/8", "internal ALB")] }));
    say("alice opens tcp/8443 on app to 10.0.0.0/8; ticket CHG-1043 allows only 10.20.0.0/16");
    await s.client(ENGINEER).send(new AuthorizeSecurityGroupIngressCommand({ GroupId: g.app, IpPermissions: [tcp(8443, "10.0.0.0/8", "admin console")] }));
  } else if (n === 2) {
    s.say("\nMeanwhile, in the account:");
    say("alice removes db's SSH-from-bastion rule");
    await s.client(ENGINEER).send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: g.db,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, UserIdGroupPairs: [{ GroupId: g.bastion }] }],
      }),
    );
    say("alice edits the description of web's port-80 rule");
    await s.client(ENGINEER).send(
      new UpdateSecurityGroupRuleDescriptionsIngressCommand({ GroupId: g.web, IpPermissions: [tcp(80, "0.0.0.0/0", "HTTP, redirects to HTTPS")] }),
    );
    await shortLivedOpening(s);
    await deniedTries(s);
  } else if (n === 3) {
    s.say("\nMeanwhile:");
    say("the EC2 API starts failing (simulated outage: every DescribeSecurityGroups answers InternalError)");
    s.sim.faults.add({ kind: "internal-error", action: "DescribeSecurityGroups" });
  } else if (n === 4) {
    s.say("\nMeanwhile:");
    say("the EC2 API recovers");
    s.sim.faults.clear();
    say("on call closes bastion's port 22 again");
    await s.client(ENGINEER).send(new RevokeSecurityGroupIngressCommand({ GroupId: g.bastion, IpPermissions: [tcp(22, "0.0.0.0/0")] }));
  }
}
