// All simulated accounts and regions, the id source, and the mutation log.
// State is per (account, region) as on AWS: a group in one region is invisible
// from every other.

import { createInterface, parseInterfaceInput, type SimInterface } from "./network-interfaces.js";
import { readFile, writeFile } from "node:fs/promises";
import { createPrng, randomSeed, type Prng } from "./prng.js";
import { RegionState, type RegionHost } from "./region-state.js";
import { parseRoleSpec, RoleBook, type RoleSpec } from "./sts/roles.js";
import type { Caller, FailedCallRecord, MutationEffect, MutationRecord, SimGroup } from "./types.js";

/** The account requests fall back to when their access key is not mapped. */
export const DEFAULT_ACCOUNT = "123456789012";

/** Construction options of a SimState. */
export interface SimStateOptions {
  /** Time source for the mutation log. */
  clock?: () => Date;
  /** Seed for generated ids; the same seed and calls give the same ids. */
  seed?: number;
}

/** The JSON form of a SimState (see toJSON / SimState.fromJSON). */
export interface SerializedState {
  /** Format version. */
  version: 1;
  /** Access key id to account id. */
  accessKeys: Record<string, string>;
  /** account id -> region name -> region contents. */
  accounts: Record<string, Record<string, { defaultVpcId: string; groups: SimGroup[]; interfaces?: SimInterface[] }>>;
  /** IAM roles AssumeRole can hand out sessions for (absent in older files). */
  roles?: RoleSpec[];
}

/** The accounts of the simulator; create one per test, or load one from JSON. */
export class SimState {
  /** Access key id -> account id; unmapped keys act in DEFAULT_ACCOUNT. */
  readonly accessKeys = new Map<string, string>();
  /** IAM roles and the STS sessions assumed from them. */
  readonly roles = new RoleBook();
  /** Every applied mutation, oldest first. */
  readonly mutations: MutationRecord[] = [];
  /** Every mutating API call that failed, oldest first (CloudTrail records those too). */
  readonly failedCalls: FailedCallRecord[] = [];
  /** When false, mutations are applied but not logged (bulk generation of a baseline). */
  logMutations = true;
  /** Time source. */
  clock: () => Date;
  private readonly accounts = new Map<string, AccountState>();
  private readonly prng: Prng;
  private seq = 0;
  private readonly host: RegionHost;

  constructor(opts: SimStateOptions = {}) {
    this.clock = opts.clock ?? (() => new Date());
    this.prng = createPrng(opts.seed ?? randomSeed());
    this.host = {
      newId: (prefix) => `${prefix}-${this.prng.hex(17)}`,
      logging: () => this.logMutations,
      record: (e) => this.record(e.action, e.account, e.region, e.groupId, e.effect, e.caller),
      isReferenced: (region, groupId) => this.isReferenced(region, groupId),
    };
  }

  /** The account with this id, created empty on first use. */
  account(accountId: string): AccountState {
    let a = this.accounts.get(accountId);
    if (a === undefined) {
      a = new AccountState(accountId, this.host);
      this.accounts.set(accountId, a);
    }
    return a;
  }

  /** Ids of accounts that exist. */
  accountIds(): string[] {
    return [...this.accounts.keys()];
  }

  /** The account a request signed with `accessKeyId` acts in: a session's role account, the mapped one, or DEFAULT_ACCOUNT. */
  accountForKey(accessKeyId: string): string {
    return this.roles.session(accessKeyId)?.account ?? this.accessKeys.get(accessKeyId) ?? DEFAULT_ACCOUNT;
  }

  /** The next number of the sequence mutations and failed calls share. */
  nextSeq(): number {
    return ++this.seq;
  }

  /** Logs a failed mutating call (numbered with nextSeq by the caller). */
  recordFailedCall(call: FailedCallRecord): void {
    if (this.logMutations) this.failedCalls.push(call);
  }

  /** Runs `fn` with the mutation log off, e.g. to build a large baseline quickly. */
  withoutMutationLog<T>(fn: () => T): T {
    const was = this.logMutations;
    this.logMutations = false;
    try {
      return fn();
    } finally {
      this.logMutations = was;
    }
  }

  private record(action: string, account: string, region: string, groupId: string, effect: MutationEffect, caller: Caller): void {
    if (!this.logMutations) return;
    this.mutations.push({
      seq: ++this.seq,
      time: this.clock().toISOString(),
      action,
      account,
      region,
      groupId,
      effect,
      accessKeyId: caller.accessKeyId,
      sourceIp: caller.sourceIp,
      userAgent: caller.userAgent,
      requestId: caller.requestId ?? null,
      ...(caller.vpcEndpointId !== undefined ? { vpcEndpointId: caller.vpcEndpointId } : {}),
    });
  }

  private isReferenced(region: string, groupId: string): boolean {
    for (const a of this.accounts.values()) {
      const r = a.existingRegion(region);
      if (r?.referencesGroup(groupId)) return true;
    }
    return false;
  }

  /** A deep, JSON-safe copy of all accounts, key mappings and roles (not the logs, not STS sessions). */
  toJSON(): SerializedState {
    const accounts: SerializedState["accounts"] = {};
    for (const [id, a] of this.accounts) {
      const regions: SerializedState["accounts"][string] = {};
      for (const r of a.regions()) {
        const interfaces = structuredClone([...r.interfaces.values()]);
        regions[r.region] = { defaultVpcId: r.defaultVpcId, groups: structuredClone([...r.groups.values()]), ...(interfaces.length > 0 ? { interfaces } : {}) };
      }
      accounts[id] = regions;
    }
    const roles = this.roles.list().map(({ arn, trustedKeys, externalId }) => ({ arn, trustedKeys: [...trustedKeys], ...(externalId !== undefined ? { externalId } : {}) }));
    return { version: 1, accessKeys: Object.fromEntries(this.accessKeys), accounts, ...(roles.length > 0 ? { roles } : {}) };
  }

  /** Rebuilds a state from toJSON() output; throws an Error naming the first malformed part. */
  static fromJSON(data: unknown, opts: SimStateOptions = {}): SimState {
    const parsed = parseSerialized(data);
    const state = new SimState(opts);
    for (const [k, v] of Object.entries(parsed.accessKeys)) state.accessKeys.set(k, v);
    for (const r of parsed.roles ?? []) state.roles.define(r);
    for (const [accountId, regions] of Object.entries(parsed.accounts)) {
      for (const [regionName, contents] of Object.entries(regions)) {
        const region = state.account(accountId).region(regionName, contents.defaultVpcId);
        for (const g of structuredClone(contents.groups)) region.adoptGroup(g);
        // A state file may name interfaces by kind and groups only; ids, addresses and descriptions are filled in.
        for (const ni of contents.interfaces ?? []) {
          const made = createInterface(region, parseInterfaceInput(ni), (p) => region.newId(p));
          if (typeof ni.interfaceId === "string") {
            region.interfaces.delete(made.interfaceId);
            region.interfaces.set(ni.interfaceId, { ...made, interfaceId: ni.interfaceId, ...(typeof ni.privateIp === "string" ? { privateIp: ni.privateIp } : {}) });
          }
        }
      }
    }
    return state;
  }
}

/** One account's regions. */
export class AccountState {
  private readonly byName = new Map<string, RegionState>();

  constructor(
    /** Account id. */
    readonly id: string,
    private readonly host: RegionHost,
  ) {}

  /** The region, created (with a fresh default VPC id) on first use. */
  region(name: string, defaultVpcId?: string): RegionState {
    let r = this.byName.get(name);
    if (r === undefined) {
      r = new RegionState(this.host, this.id, name, defaultVpcId ?? this.host.newId("vpc"));
      this.byName.set(name, r);
    }
    return r;
  }

  /** The region if it was ever used, without creating it. */
  existingRegion(name: string): RegionState | undefined {
    return this.byName.get(name);
  }

  /** Regions that exist. */
  regions(): RegionState[] {
    return [...this.byName.values()];
  }
}

/** Writes the state as pretty JSON. */
export async function saveStateFile(state: SimState, path: string): Promise<void> {
  await writeFile(path, JSON.stringify(state.toJSON(), null, 2) + "\n", "utf8");
}

/** Reads a state written by saveStateFile. */
export async function loadStateFile(path: string, opts: SimStateOptions = {}): Promise<SimState> {
  const text = await readFile(path, "utf8");
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw new Error(`simulator state file ${path} is not valid JSON`, { cause });
  }
  try {
    return SimState.fromJSON(data, opts);
  } catch (cause) {
    throw new Error(`simulator state file ${path} is malformed`, { cause });
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// Checks the outline and the fields the simulator relies on; deeper garbage
// would surface as odd output, which is acceptable for a test tool.
function parseSerialized(data: unknown): SerializedState {
  if (!isRecord(data)) throw new Error("state must be a JSON object");
  if (data.version !== 1) throw new Error(`unsupported state version ${String(data.version)}`);
  const accessKeys = data.accessKeys ?? {};
  if (!isRecord(accessKeys) || !Object.values(accessKeys).every((v) => typeof v === "string")) {
    throw new Error("accessKeys must map strings to account ids");
  }
  if (!isRecord(data.accounts)) throw new Error("accounts must be an object");
  if (data.roles !== undefined) {
    if (!Array.isArray(data.roles)) throw new Error("roles must be a list of {arn, trustedKeys, externalId?}");
    data.roles.forEach((r: unknown, i: number) => {
      try {
        parseRoleSpec(r);
      } catch (e) {
        throw new Error(`roles[${i}]: ${(e as Error).message}`);
      }
    });
  }
  for (const [accountId, regions] of Object.entries(data.accounts)) {
    if (!isRecord(regions)) throw new Error(`accounts.${accountId} must be an object of regions`);
    for (const [regionName, contents] of Object.entries(regions)) {
      const where = `accounts.${accountId}.${regionName}`;
      if (!isRecord(contents) || typeof contents.defaultVpcId !== "string" || !Array.isArray(contents.groups)) {
        throw new Error(`${where} must have defaultVpcId and groups`);
      }
      contents.groups.forEach((g: unknown, i: number) => {
        const ok =
          isRecord(g) &&
          typeof g.groupId === "string" &&
          typeof g.groupName === "string" &&
          typeof g.vpcId === "string" &&
          typeof g.ownerId === "string" &&
          Array.isArray(g.tags) &&
          Array.isArray(g.rules);
        if (!ok) throw new Error(`${where}.groups[${i}] lacks groupId, groupName, vpcId, ownerId, tags or rules`);
      });
      if (contents.interfaces !== undefined) {
        if (!Array.isArray(contents.interfaces)) throw new Error(`${where}.interfaces must be a list`);
        contents.interfaces.forEach((ni: unknown, i: number) => {
          try {
            parseInterfaceInput(ni);
          } catch (e) {
            throw new Error(`${where}.interfaces[${i}]: ${(e as Error).message}`);
          }
        });
      }
    }
  }
  return data as unknown as SerializedState;
}
