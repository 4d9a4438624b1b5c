import { describe, expect, it } from "vitest";
import { diffGroups, groupDigest } from "../../../src/model/diff.js";
import type { Change, GroupState } from "../../../src/model/types.js";
import { DEFAULT_EGRESS, OWNER, group, rule } from "./build.js";

const SSH_WORLD = rule({ fromPort: 22, toPort: 22, source: "0.0.0.0/0" });
const HTTPS_LAN = rule();
const CTX = { groupId: "sg-0abc", groupName: "web", vpcId: "vpc-1", groupTags: {} };

/** Just kind and rule source, for readable expectations about order and content. */
function brief(changes: Change[]): string[] {
  return changes.map((c) => `${c.groupId} ${c.kind}${c.rule ? ` ${c.rule.direction} ${c.rule.source}` : ""}`);
}

describe("diffGroups", () => {
  it.each<[string, GroupState[], GroupState[], Change[]]>([
    ["nothing to nothing", [], [], []],
    ["unchanged group", [group({ rules: [HTTPS_LAN] })], [group({ rules: [HTTPS_LAN] })], []],
    [
      "rule added",
      [group({ rules: [HTTPS_LAN] })],
      [group({ rules: [HTTPS_LAN, SSH_WORLD] })],
      [{ kind: "rule-added", ...CTX, rule: SSH_WORLD }],
    ],
    [
      "rule removed",
      [group({ rules: [HTTPS_LAN, SSH_WORLD] })],
      [group({ rules: [HTTPS_LAN] })],
      [{ kind: "rule-removed", ...CTX, rule: SSH_WORLD }],
    ],
    [
      "description only: one description change, not remove + add",
      [group({ rules: [rule({ description: "old" })] })],
      [group({ rules: [rule({ description: "new" })] })],
      [{ kind: "rule-description-changed", ...CTX, rule: rule({ description: "new" }), oldDescription: "old" }],
    ],
    [
      "description cleared",
      [group({ rules: [rule({ description: "old" })] })],
      [group({ rules: [rule()] })],
      [{ kind: "rule-description-changed", ...CTX, rule: rule(), oldDescription: "old" }],
    ],
    [
      "description set",
      [group({ rules: [rule()] })],
      [group({ rules: [rule({ description: "new" })] })],
      [{ kind: "rule-description-changed", ...CTX, rule: rule({ description: "new" }), oldDescription: null }],
    ],
    [
      "port change is a remove and an add",
      [group({ rules: [rule({ fromPort: 80, toPort: 80 })] })],
      [group({ rules: [rule({ fromPort: 8080, toPort: 8080 })] })],
      [
        { kind: "rule-added", ...CTX, rule: rule({ fromPort: 8080, toPort: 8080 }) },
        { kind: "rule-removed", ...CTX, rule: rule({ fromPort: 80, toPort: 80 }) },
      ],
    ],
    [
      "name change",
      [group({ name: "web" })],
      [group({ name: "web-public" })],
      [{ kind: "group-changed", ...CTX, groupName: "web-public", before: { name: "web" }, after: { name: "web-public" } }],
    ],
    [
      "tag change carries the new tags and only tags in before/after",
      [group({ tags: { env: "prod" } })],
      [group({ tags: { env: "dev", team: "a" } })],
      [{ kind: "group-changed", ...CTX, groupTags: { env: "dev", team: "a" }, before: { tags: { env: "prod" } }, after: { tags: { env: "dev", team: "a" } } }],
    ],
    [
      "vpc change",
      [group({ vpcId: null })],
      [group({ vpcId: "vpc-2" })],
      [{ kind: "group-changed", ...CTX, vpcId: "vpc-2", before: { vpcId: null }, after: { vpcId: "vpc-2" } }],
    ],
    [
      "group created with its default egress",
      [],
      [group({ rules: [DEFAULT_EGRESS] })],
      [
        { kind: "group-created", ...CTX, groupDescription: "web tier", ownerId: OWNER },
        { kind: "rule-added", ...CTX, rule: DEFAULT_EGRESS },
      ],
    ],
    [
      "group deleted: last known name, tags and every rule",
      [group({ name: "old", tags: { env: "prod" }, rules: [HTTPS_LAN] })],
      [],
      [
        { kind: "group-deleted", ...CTX, groupName: "old", groupTags: { env: "prod" } },
        { kind: "rule-removed", ...CTX, groupName: "old", groupTags: { env: "prod" }, rule: HTTPS_LAN },
      ],
    ],
  ])("%s", (_name, stored, observed, expected) => {
    expect(diffGroups(stored, observed)).toEqual(expected);
  });

  it("reports a group born open to the world rule by rule", () => {
    const born = group({ rules: [SSH_WORLD, rule({ protocol: "all", fromPort: null, toPort: null, sourceKind: "ipv6", source: "::/0" }), DEFAULT_EGRESS] });
    expect(brief(diffGroups([], [born]))).toEqual([
      "sg-0abc group-created",
      "sg-0abc rule-added egress 0.0.0.0/0",
      "sg-0abc rule-added ingress ::/0",
      "sg-0abc rule-added ingress 0.0.0.0/0",
    ]);
  });

  it("sees a rule revoked and re-added identically between polls as no change", () => {
    const before = group({ rules: [HTTPS_LAN, SSH_WORLD] });
    const after = group({ rules: [SSH_WORLD, { ...HTTPS_LAN }] });
    expect(diffGroups([before], [after])).toEqual([]);
  });

  it("orders by groupId, group-level change first, then rule key", () => {
    const stored = [group({ groupId: "sg-b", rules: [HTTPS_LAN] }), group({ groupId: "sg-c", rules: [rule({ source: "10.9.0.0/16" })] })];
    const observed = [
      group({ groupId: "sg-c", name: "renamed", rules: [rule({ source: "10.1.0.0/16" })] }),
      group({ groupId: "sg-a" }),
      group({ groupId: "sg-b", rules: [HTTPS_LAN, SSH_WORLD, rule({ fromPort: 22, toPort: 22, source: "10.0.0.0/8" })] }),
    ];
    expect(brief(diffGroups(stored, observed))).toEqual([
      "sg-a group-created",
      "sg-b rule-added ingress 0.0.0.0/0",
      "sg-b rule-added ingress 10.0.0.0/8",
      "sg-c group-changed",
      "sg-c rule-added ingress 10.1.0.0/16",
      "sg-c rule-removed ingress 10.9.0.0/16",
    ]);
  });

  it("accepts the stored state as a map", () => {
    const stored = new Map([["sg-0abc", group()]]);
    expect(diffGroups(stored, [group({ rules: [SSH_WORLD] })])).toEqual([{ kind: "rule-added", ...CTX, rule: SSH_WORLD }]);
  });

  it("does not let callers alias state through the changes", () => {
    const observed = group({ tags: { env: "prod" }, rules: [SSH_WORLD] });
    const [created, added] = diffGroups([], [observed]);
    expect(created?.groupTags).not.toBe(observed.tags);
    expect(added?.rule).not.toBe(observed.rules[0]);
  });
});

describe("groupDigest", () => {
  const base = group({ tags: { a: "1", b: "2" }, rules: [HTTPS_LAN, SSH_WORLD] });
  it("ignores the order of rules and tags", () => {
    expect(groupDigest(group({ tags: { b: "2", a: "1" }, rules: [SSH_WORLD, HTTPS_LAN] }))).toBe(groupDigest(base));
  });
  it.each<[string, GroupState]>([
    ["name", { ...base, name: "x" }],
    ["description", { ...base, description: "x" }],
    ["vpcId", { ...base, vpcId: null }],
    ["ownerId", { ...base, ownerId: "2" }],
    ["a tag value", { ...base, tags: { a: "1", b: "3" } }],
    ["a tag key", { ...base, tags: { a: "1", c: "2" } }],
    ["a rule description", { ...base, rules: [rule({ description: "x" }), SSH_WORLD] }],
    ["a rule description null vs empty", { ...base, rules: [rule({ description: "" }), SSH_WORLD] }],
    ["a rule port", { ...base, rules: [rule({ fromPort: 444, toPort: 444 }), SSH_WORLD] }],
    ["a rule's account", { ...base, rules: [rule({ sourceAccount: "2" }), SSH_WORLD] }],
    ["a rule removed", { ...base, rules: [SSH_WORLD] }],
  ])("changes when %s changes", (_name, other) => {
    expect(groupDigest(other)).not.toBe(groupDigest(base));
  });
  it("is hex SHA-1 and stable across releases (persisted digests stay comparable)", () => {
    // Golden value: if this changes, persisted digests no longer match and
    // DIGEST_VERSION must be bumped deliberately.
    expect(groupDigest(group({ tags: { env: "prod" }, rules: [rule()] }))).toBe("c33d4b0cf42f05adbc1ec908dc1c792cd4bf9ceb");
  });
});
