// unseenSelectors: which approval records select no group any target has
// seen, by id, name or tags, within the record's account/region, leaving out
// records that allow creating their group.
import { describe, expect, it } from "vitest";
import { unseenSelectors, type SeenGroup } from "../../../src/approvals/unseen.js";
import { record } from "./builders.js";

const SEEN: SeenGroup[] = [
  { account: "111111111111", region: "eu-west-1", groupId: "sg-0a", name: "web", tags: { env: "prod", team: "web" } },
  { account: "222222222222", region: "us-east-1", groupId: "sg-0b", name: "db", tags: { env: "dev" } },
];
const ids = (records: ReturnType<typeof record>[]) => unseenSelectors(records, SEEN).map((u) => u.record.id);
const sel = (id: string, selector: Record<string, unknown>, over: Record<string, unknown> = {}) =>
  record({ id, groupId: undefined, groupName: undefined, tags: undefined, ...selector, ...over });

describe("unseenSelectors", () => {
  it.each([
    ["a seen id", { groupId: "sg-0a" }, {}, []],
    ["an unseen id", { groupId: "sg-0c" }, {}, ["R"]],
    ["a seen name", { groupName: "db" }, {}, []],
    ["a misspelt name", { groupName: "wbe" }, {}, ["R"]],
    ["tags a seen group carries", { tags: { env: "prod" } }, {}, []],
    ["tags no group carries together", { tags: { env: "dev", team: "web" } }, {}, ["R"]],
    ["a seen name, but in another account", { groupName: "web" }, { target: { account: "222222222222" } }, ["R"]],
    ["a seen id, but in another region", { groupId: "sg-0a" }, { target: { region: "us-east-1" } }, ["R"]],
    ["a glob a seen name matches", { groupName: "d*" }, {}, []],
    ["a /regex/ no seen name matches", { groupName: "/^eks-/" }, {}, ["R"]],
    ["a tag a seen group carries, any value", { tags: { team: "*" } }, {}, []],
    ["a tag no seen group carries", { tags: { owner: "*" } }, {}, ["R"]],
    ["an unseen name the record allows to be created", { groupName: "new" }, { changes: [{ action: "create-group" }] }, []],
  ])("%s", (_name, selector, over, expected) => {
    expect(ids([sel("R", selector, over)])).toEqual(expected);
  });

  it("says which selector and scope were not seen", () => {
    const [u] = unseenSelectors([sel("CHG-1", { groupName: "wbe" }, { target: { account: "111111111111", region: "eu-west-1" } })], SEEN);
    expect(u?.message).toBe("CHG-1: selects group named wbe in 111111111111/eu-west-1, which no target has seen; check the selector (a typo approves nothing)");
  });
});
