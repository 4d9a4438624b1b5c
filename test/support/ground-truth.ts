// Ground truth for the fault, crash and soak tests: what the simulator holds,
// in sgwatch's canonical shape, computed WITHOUT sgwatch's collector or
// normaliser, so a bug there cannot hide by agreeing with itself.
//
// Two independent oracles:
// - simGroups(): the simulator's live state, converted rule by rule with the
//   simulator's own toRuleEffect (the same conversion its mutation log uses);
// - MutationReplay: the mutation log (sim.mutations) replayed from empty.
// The soak test checks that the two agree before trusting either.
//
// And the stored side, read straight from the tables:
// - storedGroups(): the current state (intervals still open);
// - storedGroupsAt(): the state valid at a point in time (the group_history
//   predicate: valid_from <= T < valid_until);
// - changesFromDb(): change_events rows turned back into Change values, to
//   replay them with src/model/apply.ts.
import type { Database } from "better-sqlite3";
import { loadCurrentState } from "../../src/store/state-repo.js";
import { columnsToRule, type RuleColumns } from "../../src/store/rule-columns.js";
import { compareRules } from "../../src/model/rule-key.js";
import { canonicalCidr } from "../../src/model/cidr.js";
import type { Change, ChangeKind, GroupAttributes, GroupState, Rule } from "../../src/model/types.js";
import type { SimState } from "../../src/sim/state.js";
import { toRuleEffect } from "../../src/sim/rule-spec.js";
import type { MutationRecord, RuleEffect } from "../../src/sim/types.js";

/** A group as compared here: what DescribeSecurityGroups can show and the store keeps. */
export interface TruthGroup {
  groupId: string;
  name: string;
  description: string;
  vpcId: string | null;
  ownerId: string;
  tags: Record<string, string>;
  /** Sorted by compareRules. */
  rules: Rule[];
}

function sortedTags(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The rule without its sgr- id, its CIDR in canonical spelling (AWS may echo
 * "2001:db8:0779::/64" where sgwatch stores "2001:db8:779::/64": one rule, one
 * spelling — the normaliser's spelling is property-tested on its own).
 */
function stripRuleId(r: RuleEffect): Rule {
  const { ruleId: _ruleId, ...rule } = r;
  return rule.sourceKind === "ipv4" || rule.sourceKind === "ipv6" ? { ...rule, source: canonicalCidr(rule.source) } : rule;
}

function byGroupId<T extends { groupId: string }>(groups: T[]): T[] {
  return groups.sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
}

function canonical(g: GroupState | TruthGroup): TruthGroup {
  return {
    groupId: g.groupId,
    name: g.name,
    description: g.description,
    vpcId: g.vpcId,
    ownerId: g.ownerId,
    tags: sortedTags(g.tags),
    rules: [...g.rules].map(fixedKeys).sort(compareRules),
  };
}

/** The rule with its keys in one order, so states compare as JSON text too. */
function fixedKeys(r: Rule): Rule {
  return {
    direction: r.direction,
    protocol: r.protocol,
    fromPort: r.fromPort,
    toPort: r.toPort,
    sourceKind: r.sourceKind,
    source: r.source,
    sourceAccount: r.sourceAccount,
    peeringId: r.peeringId,
    description: r.description,
  };
}

/** The simulator's live state of one account × region, canonical, sorted by group id. */
export function simGroups(state: SimState, account: string, region: string): TruthGroup[] {
  const r = state.account(account).existingRegion(region);
  if (!r) return [];
  return byGroupId(
    [...r.groups.values()].map((g) =>
      canonical({
        groupId: g.groupId,
        name: g.groupName,
        description: g.description,
        vpcId: g.vpcId,
        ownerId: g.ownerId,
        tags: Object.fromEntries(g.tags.map((t) => [t.key, t.value])),
        rules: g.rules.map((rule) => stripRuleId(toRuleEffect(rule, g.ownerId))),
      }),
    ),
  );
}

interface ReplayGroup {
  groupId: string;
  name: string;
  description: string;
  vpcId: string;
  ownerId: string;
  tags: Record<string, string>;
  /** By sgr- id, as the log names them. */
  rules: Map<string, Rule>;
}

/**
 * The mutation log replayed from empty for one account × region. Feed it the
 * log incrementally with advance(); state() is the state after what was fed.
 * Throws on a log entry that does not fit (a rule removed that was never added),
 * so a broken log cannot pass as truth.
 */
export class MutationReplay {
  private readonly groups = new Map<string, ReplayGroup>();
  private applied = 0;

  constructor(
    private readonly account: string,
    private readonly region: string,
  ) {}

  /** Mutations of the whole log consumed so far (any account or region). */
  get position(): number {
    return this.applied;
  }

  /** Apply log entries from the current position up to (excluding) `until`. */
  advance(log: readonly MutationRecord[], until: number = log.length): void {
    for (; this.applied < until; this.applied++) {
      const m = log[this.applied] as MutationRecord;
      if (m.account === this.account && m.region === this.region) this.apply(m);
    }
  }

  private group(m: MutationRecord): ReplayGroup {
    const g = this.groups.get(m.groupId);
    if (!g) throw new Error(`replay: mutation #${m.seq} (${m.effect.kind}) on unknown group ${m.groupId}`);
    return g;
  }

  private apply(m: MutationRecord): void {
    const e = m.effect;
    switch (e.kind) {
      case "group-created":
        if (this.groups.has(m.groupId)) throw new Error(`replay: #${m.seq} creates ${m.groupId} twice`);
        this.groups.set(m.groupId, { groupId: m.groupId, name: e.groupName, description: e.description, vpcId: e.vpcId, ownerId: m.account, tags: { ...e.tags }, rules: new Map() });
        return;
      case "group-deleted":
        this.group(m);
        this.groups.delete(m.groupId);
        return;
      case "rules-added": {
        const g = this.group(m);
        for (const r of e.rules) {
          if (g.rules.has(r.ruleId)) throw new Error(`replay: #${m.seq} adds ${r.ruleId} twice`);
          g.rules.set(r.ruleId, stripRuleId(r));
        }
        return;
      }
      case "rules-removed": {
        const g = this.group(m);
        for (const r of e.rules) if (!g.rules.delete(r.ruleId)) throw new Error(`replay: #${m.seq} removes unknown ${r.ruleId}`);
        return;
      }
      case "rules-modified": {
        const g = this.group(m);
        for (const c of e.changes) {
          if (!g.rules.has(c.before.ruleId)) throw new Error(`replay: #${m.seq} modifies unknown ${c.before.ruleId}`);
          g.rules.set(c.after.ruleId, stripRuleId(c.after));
        }
        return;
      }
      case "rule-descriptions-changed": {
        const g = this.group(m);
        for (const c of e.changes) {
          if (!g.rules.has(c.rule.ruleId)) throw new Error(`replay: #${m.seq} re-describes unknown ${c.rule.ruleId}`);
          g.rules.set(c.rule.ruleId, stripRuleId(c.rule));
        }
        return;
      }
      case "tags-set": {
        // Rule tags (sgr-) are not part of the model: sgwatch never sees them.
        if (!e.resourceId.startsWith("sg-")) return;
        const g = this.group(m);
        g.tags = { ...g.tags, ...e.tags };
        return;
      }
      case "tags-removed": {
        if (!e.resourceId.startsWith("sg-")) return;
        const g = this.group(m);
        for (const k of Object.keys(e.tags)) delete g.tags[k];
        return;
      }
    }
  }

  /** The replayed state, canonical, sorted by group id. */
  state(): TruthGroup[] {
    return byGroupId([...this.groups.values()].map((g) => canonical({ ...g, rules: [...g.rules.values()] })));
  }
}

/** The stored current state of a target, canonical, sorted by group id. */
export function storedGroups(db: Database, targetId: number): TruthGroup[] {
  return byGroupId([...loadCurrentState(db, targetId).values()].map(canonical));
}

interface GroupRow {
  group_id: string;
  name: string;
  description: string;
  vpc_id: string | null;
  owner_id: string;
  tags: string;
}

/**
 * The state of a target as history says it was at instant `at`: every group
 * and rule version with added_at <= at < removed_at (or still open) — the
 * predicate the group_history view documents.
 */
export function storedGroupsAt(db: Database, targetId: number, at: string): TruthGroup[] {
  const valid = "target_id = ? AND added_at <= ? AND (removed_at IS NULL OR removed_at > ?)";
  const groups = new Map<string, TruthGroup>();
  for (const g of db.prepare(`SELECT group_id, name, description, vpc_id, owner_id, tags FROM group_versions WHERE ${valid}`).all(targetId, at, at) as GroupRow[]) {
    if (groups.has(g.group_id)) throw new Error(`history: two versions of ${g.group_id} valid at ${at}`);
    groups.set(g.group_id, { groupId: g.group_id, name: g.name, description: g.description, vpcId: g.vpc_id, ownerId: g.owner_id, tags: JSON.parse(g.tags) as Record<string, string>, rules: [] });
  }
  const rules = db
    .prepare(`SELECT group_id, direction, protocol, from_port, to_port, source_kind, source, source_account, peering_id, description FROM rule_versions WHERE ${valid}`)
    .all(targetId, at, at) as Array<RuleColumns & { group_id: string }>;
  for (const r of rules) {
    const g = groups.get(r.group_id);
    if (!g) throw new Error(`history: a rule of ${r.group_id} is valid at ${at} but the group is not`);
    g.rules.push(columnsToRule(r));
  }
  return byGroupId([...groups.values()].map(canonical));
}

interface ChangeRow extends RuleColumns {
  kind: ChangeKind;
  group_id: string;
  group_name: string;
  vpc_id: string | null;
  old_description: string | null;
  before: string | null;
  after: string | null;
}

/**
 * change_events of a target, oldest first, as Change values. change_events
 * keeps no group tags; a created group's tags are those of the group version
 * its poll opened.
 */
export function changesFromDb(db: Database, targetId: number): Change[] {
  const rows = db.prepare("SELECT * FROM change_events WHERE target_id = ? ORDER BY id").all(targetId) as Array<ChangeRow & { poll_id: number }>;
  const openedTags = db.prepare("SELECT tags FROM group_versions WHERE target_id = ? AND group_id = ? AND added_poll_id = ?");
  return rows.map((r) => {
    const tags = r.kind === "group-created" ? (openedTags.get(targetId, r.group_id, r.poll_id) as { tags: string } | undefined)?.tags : undefined;
    const c: Change = { kind: r.kind, groupId: r.group_id, groupName: r.group_name, vpcId: r.vpc_id, groupTags: tags ? (JSON.parse(tags) as Record<string, string>) : {} };
    if (r.kind.startsWith("rule-")) c.rule = columnsToRule(r);
    if (r.kind === "rule-description-changed") c.oldDescription = r.old_description;
    if (r.before !== null) c.before = JSON.parse(r.before) as Partial<GroupAttributes>;
    if (r.after !== null) c.after = JSON.parse(r.after) as Partial<GroupAttributes>;
    return c;
  });
}

/** The state stored by a target's baseline poll (every version it opened). */
export function baselineGroups(db: Database, targetId: number): GroupState[] {
  const poll = db.prepare("SELECT id FROM polls WHERE target_id = ? AND baseline = 1").get(targetId) as { id: number } | undefined;
  if (!poll) throw new Error(`target ${targetId} has no baseline poll`);
  const groups = new Map<string, GroupState>();
  for (const g of db.prepare("SELECT * FROM group_versions WHERE target_id = ? AND added_poll_id = ?").all(targetId, poll.id) as GroupRow[]) {
    groups.set(g.group_id, { groupId: g.group_id, name: g.name, description: g.description, vpcId: g.vpc_id, ownerId: g.owner_id, tags: JSON.parse(g.tags) as Record<string, string>, rules: [] });
  }
  const rules = db.prepare("SELECT * FROM rule_versions WHERE target_id = ? AND added_poll_id = ?").all(targetId, poll.id) as Array<RuleColumns & { group_id: string }>;
  for (const r of rules) groups.get(r.group_id)?.rules.push(columnsToRule(r));
  return byGroupId([...groups.values()].map((g) => ({ ...g, rules: g.rules.sort(compareRules) })));
}

/** Drop what a Change replay cannot know (group description and owner), for comparing replayed states. */
export function withoutImmutables(groups: ReadonlyArray<GroupState | TruthGroup>): Array<Omit<TruthGroup, "description" | "ownerId">> {
  return groups.map((g) => ({ groupId: g.groupId, name: g.name, vpcId: g.vpcId, tags: sortedTags(g.tags), rules: [...g.rules].map(fixedKeys).sort(compareRules) }));
}
