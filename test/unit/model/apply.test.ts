import { describe, expect, it } from "vitest";
import { ApplyError, applyChanges } from "../../../src/model/apply.js";
import { diffGroups } from "../../../src/model/diff.js";
import type { Change } from "../../../src/model/types.js";
import { DEFAULT_EGRESS, group, rule } from "./build.js";

const CTX = { groupId: "sg-0abc", groupName: "web", vpcId: "vpc-1", groupTags: {} };

describe("applyChanges", () => {
  it("replays a diff of every kind", () => {
    const a = [group({ rules: [rule({ description: "x" }), rule({ fromPort: 80, toPort: 80 })] }), group({ groupId: "sg-gone", rules: [DEFAULT_EGRESS] })];
    const b = [group({ name: "renamed", tags: { env: "prod" }, vpcId: null, rules: [rule({ fromPort: 22, toPort: 22 }), rule({ description: "y" })] }), group({ groupId: "sg-new", description: "", ownerId: "", rules: [DEFAULT_EGRESS] })];
    expect(applyChanges(a, diffGroups(a, b))).toEqual(b);
  });

  it("does not mutate its input", () => {
    const a = [group({ rules: [rule()] })];
    const frozen = JSON.stringify(a);
    applyChanges(a, [{ kind: "rule-removed", ...CTX, rule: rule() }, { kind: "group-changed", ...CTX, before: { tags: {} }, after: { tags: { a: "1" } } }]);
    expect(JSON.stringify(a)).toBe(frozen);
  });

  it.each<[string, Change[], string]>([
    ["adding a rule that exists", [{ kind: "rule-added", ...CTX, rule: rule() }], "already exists"],
    ["removing a rule that is not there", [{ kind: "rule-removed", ...CTX, rule: rule({ fromPort: 1, toPort: 1 }) }], "is not there"],
    ["removing a rule with another description", [{ kind: "rule-removed", ...CTX, rule: rule({ description: "z" }) }], "has another description"],
    ["description change from the wrong old value", [{ kind: "rule-description-changed", ...CTX, rule: rule({ description: "n" }), oldDescription: "q" }], "has another description"],
    ["name change from the wrong old value", [{ kind: "group-changed", ...CTX, before: { name: "nope" }, after: { name: "x" } }], "name is web, not nope"],
    ["creating a group that exists", [{ kind: "group-created", ...CTX }], "group already exists"],
    ["changing an unknown group", [{ kind: "rule-added", ...CTX, groupId: "sg-other", rule: rule() }], "group does not exist"],
  ])("rejects %s", (_name, changes, message) => {
    const attempt = (): unknown => applyChanges([group({ rules: [rule()] })], changes);
    expect(attempt).toThrow(ApplyError);
    expect(attempt).toThrow(message);
  });

  it("rejects deleting a group without removing its rules", () => {
    expect(() => applyChanges([group({ rules: [rule()] })], [{ kind: "group-deleted", ...CTX }])).toThrow("deleted but 1 rule(s) were never removed");
  });
});
