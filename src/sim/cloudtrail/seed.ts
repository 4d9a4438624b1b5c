// CloudTrail records seeded into the simulator, in their documented JSON form:
// a trail's log file ({"Records": [...]}, as delivered to S3), a JSON array of
// records, or one record. Records captured from a real account can so be
// replayed against sgwatch. Each record is checked for the fields LookupEvents
// needs; a bad one is refused with its index and the field.

import { readFile } from "node:fs/promises";
import type { Json, SimTrailEvent, TrailResource } from "./events.js";
import { lookupUsername, type UserIdentity } from "./identity.js";

type Obj = { [key: string]: Json };

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function list(v: Json | undefined): Json[] {
  if (Array.isArray(v)) return v;
  if (isObj(v) && Array.isArray(v.items)) return v.items;
  return [];
}

function str(v: Json | undefined): string | null {
  return typeof v === "string" && v !== "" ? v : null;
}

/** The records of a seed document; throws an Error naming what is wrong. */
export function seedRecords(data: unknown): Obj[] {
  const records: unknown[] = Array.isArray(data) ? data : isObj(data) && Array.isArray(data.Records) ? data.Records : isObj(data) ? [data] : [];
  if (records.length === 0 && !(Array.isArray(data) || (isObj(data) && Array.isArray(data.Records)))) {
    throw new Error('expected CloudTrail records: {"Records": [...]}, an array of records, or one record');
  }
  return records.map((r, i) => {
    if (!isObj(r)) throw new Error(`record ${i}: expected a JSON object`);
    for (const key of ["eventID", "eventTime", "eventName", "eventSource", "awsRegion"]) {
      if (str(r[key]) === null) throw new Error(`record ${i}: ${key} is missing or not a string`);
    }
    if (Number.isNaN(Date.parse(String(r.eventTime)))) throw new Error(`record ${i}: eventTime "${String(r.eventTime)}" is not a time`);
    const account = str(r.recipientAccountId) ?? (isObj(r.userIdentity) ? str(r.userIdentity.accountId) : null);
    if (account === null) throw new Error(`record ${i}: neither recipientAccountId nor userIdentity.accountId names the account`);
    return r;
  });
}

/** Reads a seed file (see seedRecords); errors name the file. */
export async function loadSeedFile(path: string): Promise<Obj[]> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(path, "utf8"));
  } catch (cause) {
    throw new Error(`CloudTrail records file ${path} cannot be read as JSON`, { cause });
  }
  try {
    return seedRecords(data);
  } catch (cause) {
    throw new Error(`CloudTrail records file ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

// What LookupEvents' ResourceName/ResourceType match: the groups, rules and
// tagged resources the record names.
function resourcesOf(r: Obj): TrailResource[] {
  const rp = isObj(r.requestParameters) ? r.requestParameters : {};
  const re = isObj(r.responseElements) ? r.responseElements : {};
  const ids = new Set<string>();
  for (const v of [rp.groupId, re.groupId]) if (str(v) !== null) ids.add(v as string);
  for (const x of list(rp.resourcesSet)) if (isObj(x) && str(x.resourceId) !== null) ids.add(x.resourceId as string);
  const modify = isObj(rp.ModifySecurityGroupRulesRequest) ? rp.ModifySecurityGroupRulesRequest : null;
  if (modify !== null && str(modify.GroupId) !== null) ids.add(modify.GroupId as string);
  return [...ids].map((id) => ({
    ResourceType: id.startsWith("sgr-") ? "AWS::EC2::SecurityGroupRule" : id.startsWith("sg-") ? "AWS::EC2::SecurityGroup" : "AWS::EC2::Resource",
    ResourceName: id,
  }));
}

/** A checked record (seedRecords) as an event LookupEvents can return; `seq` orders events of the same millisecond. */
export function seededTrailEvent(r: Obj, seq: number): SimTrailEvent {
  const happenedAtMs = Date.parse(String(r.eventTime));
  const identity = (isObj(r.userIdentity) ? r.userIdentity : {}) as unknown as UserIdentity;
  return {
    seq,
    happenedAtMs,
    eventTimeSeconds: Math.floor(happenedAtMs / 1000),
    eventId: String(r.eventID),
    eventName: String(r.eventName),
    eventSource: String(r.eventSource),
    accessKeyId: typeof identity.accessKeyId === "string" ? identity.accessKeyId : "",
    username: typeof identity.arn === "string" || typeof identity.userName === "string" ? lookupUsername(identity) : "",
    readOnly: r.readOnly === true || r.readOnly === "true" ? "true" : "false",
    resources: resourcesOf(r),
    record: r,
  };
}

/** The account a checked record belongs to. */
export function seededAccount(r: Obj): string {
  return str(r.recipientAccountId) ?? (isObj(r.userIdentity) ? (str(r.userIdentity.accountId) ?? "") : "");
}
