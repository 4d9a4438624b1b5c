// The `guardrails:` config section through the real config loader: a good
// section is normalised; every problem comes back at once with its key path
// and line, like every other config problem.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ConfigError, parseConfigText } from "../../../src/config/load.js";
import { ruleViolation } from "../../../src/policy/violation.js";
import { REPO_ROOT } from "../../support/cli.js";
import { rule } from "../model/build.js";

const FILE = "/etc/sgwatch/config.yaml";
const HEAD = `targets:\n  - account: "123456789012"\n    regions: [us-east-1]\n`;

function problems(text: string): string[] {
  try {
    parseConfigText(text, FILE, {});
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.line ?? "-"} ${p.key}: ${p.message}`);
    throw err;
  }
  return [];
}

describe("guardrails: in the config", () => {
  it("defaults to none, and broad sources to /8 and /32", () => {
    const c = parseConfigText(HEAD, FILE, {});
    expect(c.guardrails).toEqual([]);
    expect(c.severity.broadSources).toEqual({ ipv4ShorterThan: 8, ipv6ShorterThan: 32 });
  });

  it("normalises a guardrail with a selector, forbidden rules and an exception", () => {
    const c = parseConfigText(
      HEAD +
        `guardrails:
  - id: no-wide-sources
    reason: nothing from a /8 or wider
    target: { account: "123456789012" }
    forbid:
      - { protocol: any, source: "/8 or wider" }
      - { direction: egress, protocol: tcp, ports: "20-25", source: "ipv6 /32 or wider" }
    except:
      - tags: { public: "true" }
        allow: [{ protocol: tcp, ports: 443, source: any }]
`,
      FILE,
      {},
    );
    expect(c.guardrails).toEqual([
      {
        id: "no-wide-sources",
        reason: "nothing from a /8 or wider",
        target: { account: "123456789012", region: null },
        selector: null,
        forbid: [
          { direction: "ingress", protocol: "any", ports: null, source: { kind: "wider", family: 4, prefix: 8, value: "/8 or wider" } },
          { direction: "egress", protocol: "tcp", ports: { from: 20, to: 25 }, source: { kind: "wider", family: 6, prefix: 32, value: "ipv6 /32 or wider" } },
        ],
        except: [
          {
            selector: { kind: "tags", tags: { public: "true" } },
            allow: [{ action: "add", direction: "ingress", protocol: "tcp", ports: { from: 443, to: 443 }, source: { kind: "any", value: "any" } }],
          },
        ],
      },
    ]);
  });

  it("reports every problem with its key path and line", () => {
    const text =
      HEAD +
      `guardrails:
  - id: no-world-ssh
    reason: SSH stays closed
    forbid:
      - { protocol: tcp, ports: 70000, source: world }
      - { protocol: tcpp, source: wrld }
    except:
      - groupName: web
        tags: { public: "true" }
        allow: [{ action: remove, protocol: tcp, ports: 443, source: any }]
  - id: no-world-ssh
    forbid: []
    colour: red
severity:
  broadSources: { ipv4ShorterThan: 0 }
`;
    expect(problems(text)).toEqual([
      '8 guardrails[0].forbid[0].ports: 70000 is out of range 0-65535',
      '9 guardrails[0].forbid[1].protocol: "tcpp" is not a protocol (tcp, udp, icmp, icmpv6, all, any or a number 0-255)',
      '9 guardrails[0].forbid[1].source: "wrld" is not a valid CIDR (or world, broad, "/8 or wider", "ipv6 /32 or wider")',
      "13 guardrails[0].except[0].allow[0].action: an exception allows rules to exist: only add (or no action), not remove",
      "12 guardrails[0].except[0].tags: give at most one of groupId, groupName or tags, not groupName and tags",
      "14 guardrails[1].reason: is required (why this rule must never exist)",
      "15 guardrails[1].forbid: must list at least one forbidden rule",
      '16 guardrails[1].colour: unknown key "colour" (config.example.yaml lists every key)',
      '14 guardrails[1].id: "no-world-ssh" is already the id of guardrails[0]',
      "18 severity.broadSources.ipv4ShorterThan: expected a prefix length from 1 to 32 (an IPv4 range shorter than it is broad)",
    ]);
  });

  it("config.example.yaml's guardrails load and mean what its comments say", () => {
    const file = path.join(REPO_ROOT, "config.example.yaml");
    const c = parseConfigText(readFileSync(file, "utf8"), file, {});
    expect(c.guardrails.map((g) => g.id)).toEqual(["no-world-admin", "no-wide-sources"]);
    const place = { account: "123456789012", region: "us-east-1" };
    const plain = { groupId: "sg-0a", groupName: "app", groupTags: {} };
    const hit = (over: Parameters<typeof rule>[0], group = plain) => ruleViolation(rule(over), group, place, c.guardrails, c.severity.broadSources)?.id ?? null;
    expect(hit({ fromPort: 22, toPort: 22, source: "0.0.0.0/0" })).toBe("no-world-admin");
    expect(hit({ fromPort: 443, toPort: 443, source: "10.0.0.0/8" })).toBe("no-wide-sources");
    expect(hit({ fromPort: 443, toPort: 443, source: "0.0.0.0/0" }, { ...plain, groupTags: { public: "true" } })).toBeNull();
  });
});
