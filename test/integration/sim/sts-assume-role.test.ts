// Proves the simulator's STS AssumeRole talks to the real AWS SDK as AWS does:
// the SDK's own role provider (fromTemporaryCredentials, what sgwatch uses)
// gets temporary credentials from it, and those credentials act in the role's
// account only (EC2 and CloudTrail alike), and only with their session token. A caller the role does not
// trust, an unknown role and a wrong or missing ExternalId are AccessDenied
// (403) in STS's ErrorResponse shape, which the SDK turns into a typed error.
// The XML of both answers is checked against the shape of the STS API
// reference, and roles can be defined over the admin endpoint and in a state
// file.

import { CreateSecurityGroupCommand, DescribeSecurityGroupsCommand, EC2Client, type EC2ClientConfig } from "@aws-sdk/client-ec2";
import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../../src/sim/server.js";
import { SimState } from "../../../src/sim/state.js";
import { sdkError } from "./sdk-client.js";

const HOME = "111111111111";
const PROD = "222222222222";
const STAGING = "333333333333";
const MONITOR = { accessKeyId: "AKIASTSMONITOR000001", secretAccessKey: "monitor-secret" };
const STRANGER = { accessKeyId: "AKIASTSSTRANGER00001", secretAccessKey: "stranger-secret" };
const PROD_ROLE = `arn:aws:iam::${PROD}:role/sgwatch-readonly`;
const STAGING_ROLE = `arn:aws:iam::${STAGING}:role/ops/sgwatch-readonly`;

let sim: Simulator;
const clients: EC2Client[] = [];

beforeEach(async () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  sim = await startSimulator();
  sim.mapAccessKey(MONITOR.accessKeyId, HOME);
  sim.mapAccessKey(STRANGER.accessKeyId, HOME);
  sim.state.account(PROD).region("us-east-1").createGroup({ groupName: "prod-web", description: "d" });
  sim.state.account(STAGING).region("us-east-1").createGroup({ groupName: "staging-web", description: "d" });
  sim.defineRole({ arn: PROD_ROLE, trustedKeys: [MONITOR.accessKeyId], externalId: "sgwatch-7f3a" });
  sim.defineRole({ arn: STAGING_ROLE, trustedKeys: [MONITOR.accessKeyId] });
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  expect(sim.unexpectedErrors).toEqual([]);
  await sim.close();
});

function roleCredentials(caller: typeof MONITOR, roleArn: string, externalId?: string) {
  return fromTemporaryCredentials({
    masterCredentials: caller,
    params: { RoleArn: roleArn, RoleSessionName: "sgwatch", ...(externalId !== undefined ? { ExternalId: externalId } : {}) },
    clientConfig: { region: "us-east-1", endpoint: sim.endpoint, maxAttempts: 1 },
  });
}

function ec2(credentials: EC2ClientConfig["credentials"]): EC2Client {
  const c = new EC2Client({ region: "us-east-1", endpoint: sim.endpoint, credentials, maxAttempts: 1 });
  clients.push(c);
  return c;
}

async function groupNames(client: EC2Client): Promise<string[]> {
  const out = await client.send(new DescribeSecurityGroupsCommand({}));
  return (out.SecurityGroups ?? []).map((g) => `${g.OwnerId}:${g.GroupName}`).sort();
}

/** A signed-looking STS Query request; the simulator reads the key from the credential scope. */
async function rawSts(body: Record<string, string>, accessKeyId = MONITOR.accessKeyId): Promise<{ status: number; xml: string }> {
  const res = await fetch(sim.endpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20261129/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00`,
    },
    body: new URLSearchParams({ Version: "2011-06-15", ...body }).toString(),
  });
  return { status: res.status, xml: await res.text() };
}

describe("AssumeRole through the SDK's role provider", () => {
  it("hands out temporary credentials that act in the role's account", async () => {
    const prod = await roleCredentials(MONITOR, PROD_ROLE, "sgwatch-7f3a")();
    expect(prod.accessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(prod.sessionToken).toBeTruthy();
    expect(prod.expiration?.getTime()).toBeGreaterThan(Date.now());

    expect(await groupNames(ec2(roleCredentials(MONITOR, PROD_ROLE, "sgwatch-7f3a")))).toEqual([`${PROD}:prod-web`]);
    expect(await groupNames(ec2(roleCredentials(MONITOR, STAGING_ROLE)))).toEqual([`${STAGING}:staging-web`]);
    // The caller's own key still acts in its own account.
    expect(await groupNames(ec2(MONITOR))).toEqual([]);

    const calls = sim.requests.map((r) => [r.action, r.accessKeyId.slice(0, 4), r.account, r.status]);
    expect(calls).toContainEqual(["AssumeRole", "AKIA", HOME, 200]);
    expect(calls).toContainEqual(["DescribeSecurityGroups", "ASIA", PROD, 200]);
    expect(calls).toContainEqual(["DescribeSecurityGroups", "ASIA", STAGING, 200]);
  });

  it("accepts temporary credentials only with their session token", async () => {
    const prod = await roleCredentials(MONITOR, PROD_ROLE, "sgwatch-7f3a")();
    const noToken = ec2({ accessKeyId: prod.accessKeyId, secretAccessKey: prod.secretAccessKey });
    expect((await sdkError(noToken.send(new DescribeSecurityGroupsCommand({})))).name).toBe("AuthFailure");
    const forged = ec2({ accessKeyId: prod.accessKeyId, secretAccessKey: prod.secretAccessKey, sessionToken: "forged" });
    const err = await sdkError(forged.send(new DescribeSecurityGroupsCommand({})));
    expect([err.name, err.$metadata?.httpStatusCode]).toEqual(["AuthFailure", 401]);
  });

  it("CloudTrail answers temporary credentials in the role's account, and refuses them without their token", async () => {
    const trail = (credentials: EC2ClientConfig["credentials"]) => new CloudTrailClient({ region: "us-east-1", endpoint: sim.endpoint, credentials, maxAttempts: 1 });
    const good = trail(roleCredentials(MONITOR, STAGING_ROLE));
    try {
      await expect(good.send(new LookupEventsCommand({}))).resolves.toBeDefined();
      expect(sim.requests.at(-1)).toMatchObject({ action: "LookupEvents", account: STAGING, status: 200 });
    } finally {
      good.destroy();
    }
    const session = sim.state.roles.listSessions()[0] as NonNullable<ReturnType<typeof sim.state.roles.session>>;
    const forged = trail({ accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey, sessionToken: "forged" });
    try {
      const err = await sdkError(forged.send(new LookupEventsCommand({})));
      expect([err.name, err.$metadata?.httpStatusCode]).toEqual(["UnrecognizedClientException", 403]);
    } finally {
      forged.destroy();
    }
  });

  it("CloudTrail names what a session did as its assumed role", async () => {
    const creds = roleCredentials(MONITOR, STAGING_ROLE);
    await ec2(creds).send(new CreateSecurityGroupCommand({ GroupName: "made-by-role", Description: "d" }));
    const trail = new CloudTrailClient({ region: "us-east-1", endpoint: sim.endpoint, credentials: creds, maxAttempts: 1 });
    try {
      const out = await trail.send(new LookupEventsCommand({}));
      const event = out.Events?.find((e) => e.EventName === "CreateSecurityGroup");
      expect(event?.Username).toBe("sgwatch");
      const identity = (JSON.parse(event?.CloudTrailEvent ?? "{}") as { userIdentity: Record<string, unknown> }).userIdentity;
      expect(identity).toMatchObject({
        type: "AssumedRole",
        arn: `arn:aws:sts::${STAGING}:assumed-role/sgwatch-readonly/sgwatch`,
        accountId: STAGING,
        principalId: expect.stringMatching(/^AROA[0-9A-F]{17}:sgwatch$/),
        accessKeyId: expect.stringMatching(/^ASIA/),
      });
    } finally {
      trail.destroy();
    }
  });

  it.each([
    ["a wrong ExternalId", MONITOR, PROD_ROLE, "guess"],
    ["no ExternalId where the role requires one", MONITOR, PROD_ROLE, undefined],
    ["a caller the role does not trust", STRANGER, STAGING_ROLE, undefined],
    ["a role that does not exist in that account", MONITOR, `arn:aws:iam::${HOME}:role/sgwatch-readonly`, undefined],
  ])("%s is AccessDenied (403)", async (_label, caller, roleArn, externalId) => {
    const err = await sdkError(roleCredentials(caller, roleArn, externalId)());
    expect([err.name, err.$metadata?.httpStatusCode, err.$fault]).toEqual(["AccessDenied", 403, "client"]);
    expect(err.message).toBe(`User: arn:aws:iam::${HOME}:user/${caller.accessKeyId} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
    expect(sim.state.roles.listSessions()).toEqual([]);
  });
});

describe("the STS documents", () => {
  it("a success is AssumeRoleResponse/AssumeRoleResult with Credentials and AssumedRoleUser", async () => {
    const { status, xml } = await rawSts({ Action: "AssumeRole", RoleArn: STAGING_ROLE, RoleSessionName: "audit", DurationSeconds: "900" });
    expect(status).toBe(200);
    const session = sim.state.roles.listSessions()[0];
    expect(session).toBeDefined();
    const s = session as NonNullable<typeof session>;
    expect(xml).toMatch(
      new RegExp(
        '^<\\?xml version="1.0" encoding="UTF-8"\\?>\\n<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">' +
          "<AssumeRoleResult><AssumedRoleUser>" +
          `<Arn>arn:aws:sts::${STAGING}:assumed-role/sgwatch-readonly/audit</Arn><AssumedRoleId>AROA[0-9A-F]{17}:audit</AssumedRoleId>` +
          "</AssumedRoleUser><Credentials>" +
          `<AccessKeyId>${s.accessKeyId}</AccessKeyId><SecretAccessKey>[^<]+</SecretAccessKey><SessionToken>[^<]+</SessionToken>` +
          "<Expiration>\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ</Expiration>" +
          "</Credentials></AssumeRoleResult><ResponseMetadata><RequestId>[0-9a-f-]{36}</RequestId></ResponseMetadata></AssumeRoleResponse>$",
      ),
    );
    expect(Date.parse(s.expiration) - Date.now()).toBeGreaterThan(800_000);
    expect(s.account).toBe(STAGING);
  });

  it.each([
    ["an unknown role", { Action: "AssumeRole", RoleArn: `arn:aws:iam::${PROD}:role/nope`, RoleSessionName: "s1" }, 403, "AccessDenied"],
    ["no RoleArn", { Action: "AssumeRole", RoleSessionName: "s1" }, 400, "ValidationError"],
    ["a session name with a space", { Action: "AssumeRole", RoleArn: STAGING_ROLE, RoleSessionName: "a b" }, 400, "ValidationError"],
    ["a duration of 60 s", { Action: "AssumeRole", RoleArn: STAGING_ROLE, RoleSessionName: "s1", DurationSeconds: "60" }, 400, "ValidationError"],
    ["another STS action", { Action: "GetFederationToken", Name: "x" }, 400, "InvalidAction"],
  ])("%s is an ErrorResponse %s %s", async (_label, body, status, code) => {
    const r = await rawSts(body);
    expect(r.status).toBe(status);
    expect(r.xml).toMatch(
      new RegExp(
        '^<\\?xml version="1.0" encoding="UTF-8"\\?>\\n<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">' +
          `<Error><Type>Sender</Type><Code>${code}</Code><Message>[^<]+</Message></Error><RequestId>[0-9a-f-]{36}</RequestId></ErrorResponse>$`,
      ),
    );
    expect(sim.requests.at(-1)).toMatchObject({ action: body.Action, status, errorCode: code });
  });

  it("an unsigned call is MissingAuthenticationToken", async () => {
    const res = await fetch(sim.endpoint, { method: "POST", body: "Action=AssumeRole&Version=2011-06-15", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("<Code>MissingAuthenticationToken</Code>");
  });
});

describe("defining roles", () => {
  const admin = (path: string, init?: RequestInit) => fetch(`${sim.endpoint}/__sim/${path}`, init);

  it("over the admin endpoint: every spec checked before any is defined", async () => {
    const good = { arn: `arn:aws-cn:iam::${PROD}:role/cn-reader`, trustedKeys: [MONITOR.accessKeyId], externalId: "x-1" };
    const bad = await admin("roles", { method: "POST", body: JSON.stringify([good, { arn: "arn:aws:iam::12:role/x", trustedKeys: [] }]) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBe('[1] role.arn "arn:aws:iam::12:role/x" is not an IAM role ARN like arn:aws:iam::123456789012:role/sgwatch');
    expect(sim.state.roles.role(good.arn)).toBeUndefined();

    expect((await admin("roles", { method: "POST", body: JSON.stringify(good) })).status).toBe(201);
    const listed = (await (await admin("roles")).json()) as unknown[];
    expect(listed).toContainEqual(good);
    const { status, xml } = await rawSts({ Action: "AssumeRole", RoleArn: good.arn, RoleSessionName: "s1", ExternalId: "x-1" });
    expect(status).toBe(200);
    expect(xml).toContain(`<Arn>arn:aws-cn:sts::${PROD}:assumed-role/cn-reader/s1</Arn>`);
  });

  it("in a state file: roles survive toJSON/fromJSON, sessions do not", async () => {
    await roleCredentials(MONITOR, STAGING_ROLE)();
    const json = sim.state.toJSON();
    expect(json.roles).toEqual([
      { arn: PROD_ROLE, trustedKeys: [MONITOR.accessKeyId], externalId: "sgwatch-7f3a" },
      { arn: STAGING_ROLE, trustedKeys: [MONITOR.accessKeyId] },
    ]);
    const copy = SimState.fromJSON(JSON.parse(JSON.stringify(json)));
    expect(copy.roles.list().map((r) => [r.account, r.name])).toEqual([
      [PROD, "sgwatch-readonly"],
      [STAGING, "sgwatch-readonly"],
    ]);
    expect(copy.roles.listSessions()).toEqual([]);
    expect(() => SimState.fromJSON({ ...json, roles: [{ arn: PROD_ROLE }] })).toThrow(`roles[0]: role ${PROD_ROLE}: trustedKeys must be a list of access key ids`);
  });
});
