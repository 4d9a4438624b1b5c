// sgwatch's streaming reader (aws.reader: stream) against the SDK's own
// deserialiser (aws.reader: sdk), on the same bytes, through the real SDK
// over HTTP. For every response it proves:
// - the raw items agree: the SDK's objects, cut to the members the stream
//   reader reads (response-shapes.ts), deep-equal the stream reader's; the
//   NextToken agrees;
// - the canonical forms agree: normalizeGroup (security groups) and
//   readAttachments (network interfaces) give equal results, or fail with
//   the same message, item by item.
// Responses: every fixture of test/fixtures/ec2 that answers
// DescribeSecurityGroups; the simulator's generated estates (several seeds,
// several pages) and its demo account with every kind of network interface;
// and fast-check-generated documents: every source kind (CidrIp, CidrIpv6,
// PrefixListId, UserIdGroupPairs with and without UserId and peering),
// texts with XML entities, line breaks and unicode, elements missing, empty
// (<x/> and <x></x>) or present, pretty-printed or not, CDATA, and paging
// tokens absent, empty or set. (The fault matrix runs with both readers too.)
import { readFileSync } from "node:fs";
import fc from "fast-check";
import type { EC2Client, NetworkInterface, SecurityGroup } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectSecurityGroups, securityGroupPages, type ResponseReader } from "../../src/aws/collect.js";
import { collectNetworkInterfaces, networkInterfacePages } from "../../src/aws/collect-interfaces.js";
import { createEc2Client } from "../../src/aws/ec2-client.js";
import { DESCRIBE_NETWORK_INTERFACES, DESCRIBE_SECURITY_GROUPS } from "../../src/aws/response-shapes.js";
import type { XmlShape } from "../../src/aws/xml-shape-reader.js";
import { normalizeGroup } from "../../src/model/normalize.js";
import { readAttachments } from "../../src/model/attachment.js";
import { escapeXml } from "../../src/sim/xml.js";
import { generateAccount } from "../../src/sim/generate.js";
import { seedDemoAccount } from "../../src/sim/seed-demo.js";
import { createInterface, INTERFACE_KINDS } from "../../src/sim/network-interfaces.js";
import { startSimulator, type Simulator } from "../../src/sim/server.js";
import { SimState } from "../../src/sim/state.js";
import { startBodyServer, type BodyServer } from "../support/body-server.js";

const READERS: readonly ResponseReader[] = ["sdk", "stream"];
const KEY = { accessKeyId: "AKIADIFFERENTIAL0001", secretAccessKey: "x" };

/** The SDK's object cut to the members `shape` names (the stream reader reads no others). */
function project(value: unknown, shape: XmlShape): unknown {
  if (value === undefined) return undefined;
  if (shape.kind === "list") return Array.isArray(value) ? value.map((v) => project(v, shape.item)) : value;
  if (shape.kind !== "struct") return value;
  // The SDK reads an empty struct element (<item/>) as ""; the stream reader as {}: both have no members.
  if (value === "") return {};
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [member, s] of shape.members.values()) {
    const v = project((value as Record<string, unknown>)[member], s);
    if (v !== undefined) out[member] = v;
  }
  return out;
}

function outcome<T>(fn: () => T): { ok: T } | { error: string } {
  try {
    return { ok: fn() };
  } catch (err) {
    return { error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

const itemShape = (s: typeof DESCRIBE_SECURITY_GROUPS): XmlShape => {
  const [, list] = [...s.shape.members.values()].find(([m]) => m === s.items) as readonly [string, XmlShape];
  return (list as XmlShape & { kind: "list" }).item;
};

/** One page of each API read by both readers from whatever `client` reaches, compared. */
async function samePage(client: EC2Client): Promise<void> {
  const [sdk, stream] = await Promise.all(READERS.map((r) => securityGroupPages(client, r, 1000)(undefined)));
  expect(stream?.nextToken).toEqual(sdk?.nextToken);
  const shape = itemShape(DESCRIBE_SECURITY_GROUPS);
  expect(stream?.items).toEqual(sdk?.items.map((g) => project(g, shape)));
  const canon = (items: SecurityGroup[]) => items.map((g) => outcome(() => normalizeGroup(g)));
  const got = canon(stream?.items ?? []);
  expect(got).toEqual(canon(sdk?.items ?? []));
  normalised.ok += got.filter((o) => "ok" in o).length;
  normalised.failed += got.filter((o) => "error" in o).length;
}

/** How many generated groups normalised and how many were refused: both paths must be exercised. */
const normalised = { ok: 0, failed: 0 };

async function sameInterfacePage(client: EC2Client): Promise<void> {
  const [sdk, stream] = await Promise.all(READERS.map((r) => networkInterfacePages(client, r, 1000)(undefined)));
  expect(stream?.nextToken).toEqual(sdk?.nextToken);
  const shape = itemShape(DESCRIBE_NETWORK_INTERFACES);
  expect(stream?.items).toEqual(sdk?.items.map((g) => project(g, shape)));
  const canon = (items: NetworkInterface[]) => items.map((ni) => outcome(() => readAttachments([ni])));
  expect(canon(stream?.items ?? [])).toEqual(canon(sdk?.items ?? []));
}

describe("stream reader = SDK deserialiser", { timeout: 120_000 }, () => {
  let server: BodyServer;
  let client: EC2Client;
  let sim: Simulator;
  let simClient: EC2Client;

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    server = await startBodyServer();
    client = createEc2Client({ region: "us-east-1", endpoint: server.endpoint, maxAttempts: 1, timeoutMs: 10_000, credentials: KEY });
    sim = await startSimulator({ port: 0, state: new SimState({ seed: 11 }) });
    simClient = createEc2Client({ region: "us-east-1", endpoint: sim.endpoint, maxAttempts: 1, timeoutMs: 30_000, credentials: KEY });
  });

  afterAll(async () => {
    client?.destroy();
    simClient?.destroy();
    await server?.close();
    await sim?.close();
  });

  it.each(["describe-security-groups.xml", "describe-security-groups-full.xml"])("on the fixture %s", async (file) => {
    server.answer(readFileSync(new URL(`../fixtures/ec2/${file}`, import.meta.url), "utf8"));
    await samePage(client);
    const [sdk, stream] = await Promise.all(READERS.map((r) => securityGroupPages(client, r, 1000)(undefined)));
    // Not vacuous: the fixture's groups normalise.
    expect(sdk?.items.length).toBeGreaterThan(0);
    expect((stream?.items ?? []).map((g) => normalizeGroup(g))).toEqual((sdk?.items ?? []).map((g) => normalizeGroup(g)));
  });

  it("on the simulator's generated estates and demo account, every page, and every kind of network interface", async () => {
    const state = sim.state;
    const demo = seedDemoAccount(state, { region: "us-east-1" });
    const region = state.account(demo.account).region("us-east-1");
    for (const [i, kind] of INTERFACE_KINDS.entries()) {
      createInterface(region, { kind, groupIds: [demo.groups.web, demo.groups.app], ...(i % 2 === 0 ? { publicIp: `198.51.100.${i + 1}` } : {}) }, (p) => region.newId(p));
    }
    for (const seed of [1, 2, 3]) generateAccount(state, { seed, groups: 700, rules: 4000, account: demo.account, region: "us-east-1" });
    const read = async (reader: ResponseReader) => {
      const groups = await collectSecurityGroups(simClient, { reader, maxPages: 100, pageSize: 250 });
      const interfaces = await collectNetworkInterfaces(simClient, { reader, maxPages: 100, pageSize: 5 });
      return { groups, interfaces };
    };
    const sdk = await read("sdk");
    const stream = await read("stream");
    expect(sdk.groups.pages).toBeGreaterThan(5);
    expect(stream.groups.pages).toBe(sdk.groups.pages);
    expect(stream.groups.groups.map((g) => normalizeGroup(g))).toEqual(sdk.groups.groups.map((g) => normalizeGroup(g)));
    expect(stream.groups.groups).toEqual(sdk.groups.groups.map((g) => project(g, itemShape(DESCRIBE_SECURITY_GROUPS))));
    expect(stream.interfaces.pages).toBe(sdk.interfaces.pages);
    expect(readAttachments(stream.interfaces.interfaces)).toEqual(readAttachments(sdk.interfaces.interfaces));
    expect(readAttachments(sdk.interfaces.interfaces).filter((a) => a.publicIp !== null).length).toBeGreaterThan(0);
  });

  // ---- generated documents ----

  /**
   * Text: the entities' characters, line breaks, tabs, BMP and astral
   * unicode, and the raw controls XML 1.0 forbids but the SDK takes (C0, DEL,
   * C1, U+2028; the stream reader writes them as references, and in CDATA
   * must close the section around each: xml-raw-controls.ts).
   */
  const char = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom("&", "<", ">", '"', "'", "\r", "\n", "\r\n", "\t", " ", "]]>") },
    { weight: 1, arbitrary: fc.constantFrom("\x01", "\x08", "\x0b", "\x1b", "\x1f", "\x7f", "\u0085", "\u009b", "\u2028") },
    { weight: 6, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
    { weight: 2, arbitrary: fc.integer({ min: 0xa0, max: 0xd7ff }).map((c) => String.fromCharCode(c)) },
    { weight: 1, arbitrary: fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c)) },
  );
  const freeText = fc.array(char, { maxLength: 10 }).map((a) => a.join(""));

  /** How a leaf is spelled. */
  type Leaf = { t: "absent" } | { t: "empty"; closed: boolean } | { t: "value"; v: string; how: "escaped" | "refs" | "cdata" };
  const leaf = (value: fc.Arbitrary<string>, presentWeight = 8): fc.Arbitrary<Leaf> =>
    fc.oneof(
      { weight: 1, arbitrary: fc.constant<Leaf>({ t: "absent" }) },
      { weight: 1, arbitrary: fc.boolean().map<Leaf>((closed) => ({ t: "empty", closed })) },
      { weight: presentWeight, arbitrary: fc.record({ v: value, how: fc.constantFrom("escaped", "escaped", "refs", "cdata") }).map<Leaf>((r) => ({ t: "value", ...r } as Leaf)) },
    );
  /** Numeric character references for everything but letters and digits (BMP only: the SDK decodes references with fromCharCode). */
  const refs = (v: string): string => [...v].map((c) => (/[A-Za-z0-9]/.test(c) || c.length > 1 ? c : `&#x${c.charCodeAt(0).toString(16)};`)).join("");
  const renderLeaf = (name: string, l: Leaf): string => {
    if (l.t === "absent") return "";
    if (l.t === "empty") return l.closed ? `<${name}/>` : `<${name}></${name}>`;
    if (l.how === "cdata" && !l.v.includes("]]>") && !l.v.includes("\r")) return `<${name}><![CDATA[${l.v}]]></${name}>`;
    return `<${name}>${l.how === "refs" ? refs(l.v) : escapeXml(l.v)}</${name}>`;
  };
  type ListOf = { t: "absent" } | { t: "empty" } | { t: "items"; items: string[] };
  const listOf = (item: fc.Arbitrary<string>, max = 3): fc.Arbitrary<ListOf> =>
    fc.oneof(
      { weight: 1, arbitrary: fc.constant<ListOf>({ t: "absent" }) },
      { weight: 1, arbitrary: fc.constant<ListOf>({ t: "empty" }) },
      { weight: 4, arbitrary: fc.array(item, { minLength: 1, maxLength: max }).map<ListOf>((items) => ({ t: "items", items })) },
    );
  const renderList = (name: string, l: ListOf, sep: string): string =>
    l.t === "absent" ? "" : l.t === "empty" ? `<${name}/>` : `<${name}>${l.items.map((i) => `${sep}<item>${i}${sep}</item>`).join("")}${sep}</${name}>`;
  /** Elements in order, separated by `sep` (pretty-printing when it holds a line break). */
  const elements = (parts: fc.Arbitrary<string>[]) => fc.tuple(fc.constantFrom("", "\n    ", "\n"), ...parts);
  const join = ([sep, ...parts]: string[]): string => parts.map((p) => (p === "" ? "" : `${sep}${p}`)).join("");

  const OWNER = "123456789012";
  const id = (prefix: string) => fc.oneof({ weight: 6, arbitrary: fc.constantFrom(`${prefix}-0a1b2c3d`, `${prefix}-11111111`, `${prefix}-0fffffffffffffff0`) }, { weight: 1, arbitrary: freeText });
  const port = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: -1, max: 65_535 }).map(String) }, { weight: 1, arbitrary: fc.constantFrom("70000", "-2", "x", " 22 ", "1e3") });
  const cidr4 = fc.constantFrom("0.0.0.0/0", "10.0.0.0/8", "192.168.1.7/24", " 10.1.0.0/16", "256.1.1.1/8", "::/0", "nonsense");
  const cidr6 = fc.constantFrom("::/0", "2001:db8::/32", "2001:DB8:0::1/64", "10.0.0.0/8", "fe80::/10");
  const protocol = fc.constantFrom("tcp", "udp", "icmp", "icmpv6", "-1", "6", "17", "1", "58", "50", "TCP", "all");

  const described = (xmlName: string, value: fc.Arbitrary<string>) =>
    elements([leaf(value).map((l) => renderLeaf(xmlName, l)), leaf(freeText, 3).map((l) => renderLeaf("description", l))]).map(join);
  const pair = elements([
    leaf(freeText, 3).map((l) => renderLeaf("description", l)),
    leaf(fc.constantFrom(OWNER, "210987654321"), 2).map((l) => renderLeaf("userId", l)),
    leaf(id("sg")).map((l) => renderLeaf("groupId", l)),
    leaf(id("pcx"), 1).map((l) => renderLeaf("vpcPeeringConnectionId", l)),
    fc.constantFrom("", "<peeringStatus>active</peeringStatus>"),
  ]).map(join);
  const permission = fc.constantFrom("", "\n  ").chain((sep) =>
    elements([
      leaf(protocol, 12).map((l) => renderLeaf("ipProtocol", l)),
      leaf(port).map((l) => renderLeaf("fromPort", l)),
      leaf(port).map((l) => renderLeaf("toPort", l)),
      listOf(pair).map((l) => renderList("groups", l, sep)),
      listOf(described("cidrIp", cidr4)).map((l) => renderList("ipRanges", l, sep)),
      listOf(described("cidrIpv6", cidr6)).map((l) => renderList("ipv6Ranges", l, sep)),
      listOf(described("prefixListId", id("pl"))).map((l) => renderList("prefixListIds", l, sep)),
    ]).map(join),
  );
  const tag = elements([leaf(freeText, 6).map((l) => renderLeaf("key", l)), leaf(freeText).map((l) => renderLeaf("value", l))]).map(join);
  const group = elements([
    leaf(fc.constantFrom(OWNER), 20).map((l) => renderLeaf("ownerId", l)),
    leaf(id("sg"), 20).map((l) => renderLeaf("groupId", l)),
    leaf(freeText, 12).map((l) => renderLeaf("groupName", l)),
    leaf(freeText).map((l) => renderLeaf("groupDescription", l)),
    leaf(id("vpc")).map((l) => renderLeaf("vpcId", l)),
    listOf(permission, 4).map((l) => renderList("ipPermissions", l, "")),
    listOf(permission, 2).map((l) => renderList("ipPermissionsEgress", l, "")),
    listOf(tag).map((l) => renderList("tagSet", l, "")),
    fc.constant(`<securityGroupArn>arn:aws:ec2:us-east-1:${OWNER}:security-group/sg-x</securityGroupArn>`),
  ]).map(join);
  const document = (root: string, itemsXml: string, item: fc.Arbitrary<string>) =>
    fc
      .tuple(listOf(item, 4), leaf(fc.constantFrom("token-2", "eyJ2IjoxfQ==", "a&b<c"), 2), fc.constantFrom("", "\n"))
      .map(
        ([items, token, sep]) =>
          `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">${sep}<requestId>r-1</requestId>` +
          `${sep}${renderList(itemsXml, items, sep)}${sep}${renderLeaf("nextToken", token)}${sep}</${root}>`,
      );

  // DIFF_RUNS=3000 runs the generated cases longer when hunting a difference.
  it("on generated DescribeSecurityGroups responses", async () => {
    await fc.assert(
      fc.asyncProperty(document("DescribeSecurityGroupsResponse", "securityGroupInfo", group), async (xml) => {
        server.answer(xml);
        await samePage(client);
      }),
      { numRuns: Number(process.env.DIFF_RUNS ?? 300) },
    );
    // Most generated groups have some field normalize refuses (the raw members
    // are compared for every group all the same); enough must pass for the
    // canonical forms to be compared too.
    expect(normalised.ok).toBeGreaterThan(10);
    expect(normalised.failed).toBeGreaterThan(50);
  });

  const interfaceXml = elements([
    leaf(id("eni"), 20).map((l) => renderLeaf("networkInterfaceId", l)),
    leaf(fc.constantFrom("interface", "lambda", "nat_gateway", "vpc_endpoint", "network_load_balancer"), 4).map((l) => renderLeaf("interfaceType", l)),
    leaf(fc.constantFrom("amazon-elb", "amazon-rds", "AROAEXAMPLE:fn"), 2).map((l) => renderLeaf("requesterId", l)),
    leaf(fc.oneof(freeText, fc.constantFrom("ELB app/x/1", "RDSNetworkInterface", "AWS Lambda VPC ENI-f"))).map((l) => renderLeaf("description", l)),
    fc.oneof(fc.constant(""), fc.constant("<attachment/>"), leaf(id("i")).map((l) => `<attachment>${renderLeaf("instanceId", l)}<status>attached</status></attachment>`)),
    fc.oneof(fc.constant(""), leaf(fc.constantFrom("203.0.113.9", "")).map((l) => `<association>${renderLeaf("publicIp", l)}</association>`)),
    listOf(leaf(fc.constantFrom("198.51.100.1")).map((l) => `<privateIpAddress>10.0.0.1</privateIpAddress><association>${renderLeaf("publicIp", l)}</association>`)).map((l) => renderList("privateIpAddressesSet", l, "")),
    leaf(fc.constantFrom("2001:db8::1"), 1).map((l) => renderLeaf("ipv6Address", l)),
    listOf(leaf(fc.constantFrom("2001:db8::2")).map((l) => renderLeaf("ipv6Address", l))).map((l) => renderList("ipv6AddressesSet", l, "")),
    leaf(fc.constantFrom("true", "false", "TRUE", "yes"), 2).map((l) => renderLeaf("denyAllIgwTraffic", l)),
    listOf(leaf(id("sg"), 12).map((l) => `${renderLeaf("groupId", l)}<groupName>n</groupName>`)).map((l) => renderList("groupSet", l, "")),
  ]).map(join);

  it("on generated DescribeNetworkInterfaces responses", async () => {
    await fc.assert(
      fc.asyncProperty(document("DescribeNetworkInterfacesResponse", "networkInterfaceSet", interfaceXml), async (xml) => {
        server.answer(xml);
        await sameInterfacePage(client);
      }),
      { numRuns: Number(process.env.DIFF_RUNS ?? 200) },
    );
  });
});
