// The simulator's own HTTP endpoints under /__sim/, for tests and demos that
// drive a simulator running in another process. JSON in, JSON out.

import type { IncomingMessage, ServerResponse } from "node:http";
import type { FaultInjector, FaultSpec } from "./faults.js";
import { validateFaultSpec } from "./faults.js";
import { DEFAULT_ACCOUNT, SimState } from "./state.js";
import { createInterface, deleteInterface, modifyInterface, parseInterfaceInput } from "./network-interfaces.js";
import type { RegionState } from "./region-state.js";
import { parseRoleSpec, type RoleSpec } from "./sts/roles.js";
import type { CloudTrailSim } from "./cloudtrail/service.js";
import type { MutationRecord, RequestRecord } from "./types.js";

/** What the admin endpoints operate on. */
export interface AdminTarget {
  readonly state: SimState;
  readonly faults: FaultInjector;
  readonly requests: RequestRecord[];
  readonly mutations: MutationRecord[];
  /** The simulated CloudTrail (seeding, counters, key controls). */
  readonly cloudtrail: CloudTrailSim;
  mapAccessKey(accessKeyId: string, accountId: string): void;
  defineRole(role: RoleSpec): void;
  reset(state?: SimState): void;
}

/** Answers one /__sim/ request. */
export function handleAdmin(target: AdminTarget, req: IncomingMessage, res: ServerResponse, body: string): void {
  const path = (req.url ?? "").split("?")[0] ?? "";
  const method = req.method ?? "GET";
  try {
    const route = `${method} ${path}`;
    switch (route) {
      case "GET /__sim/state":
        return json(res, 200, target.state.toJSON());
      case "POST /__sim/reset": {
        const data = parseJson(body);
        target.reset(data === undefined ? undefined : SimState.fromJSON(data, { clock: target.state.clock }));
        return json(res, 200, { reset: true });
      }
      case "GET /__sim/faults":
        return json(res, 200, target.faults.list());
      case "POST /__sim/faults": {
        const data = parseJson(body);
        const specs: unknown[] = Array.isArray(data) ? data : [data];
        const problems = specs.flatMap((s, i) => validateFaultSpec(s).map((p) => `[${i}] ${p}`));
        if (problems.length > 0) return json(res, 400, { error: "invalid fault", problems });
        const ids = specs.map((s) => target.faults.add(s as FaultSpec));
        return json(res, 201, { ids });
      }
      case "DELETE /__sim/faults": {
        const n = target.faults.list().length;
        target.faults.clear();
        return json(res, 200, { cleared: n });
      }
      case "GET /__sim/requests":
        return json(res, 200, target.requests);
      case "GET /__sim/mutations":
        return json(res, 200, target.mutations);
      case "POST /__sim/access-keys": {
        const data = parseJson(body);
        const ok =
          typeof data === "object" &&
          data !== null &&
          typeof (data as Record<string, unknown>).accessKeyId === "string" &&
          typeof (data as Record<string, unknown>).accountId === "string";
        if (!ok) return json(res, 400, { error: "expected {accessKeyId, accountId}" });
        const { accessKeyId, accountId } = data as { accessKeyId: string; accountId: string };
        target.mapAccessKey(accessKeyId, accountId);
        return json(res, 200, { mapped: true });
      }
      case "GET /__sim/roles":
        return json(res, 200, target.state.roles.list().map(({ arn, trustedKeys, externalId }) => ({ arn, trustedKeys, ...(externalId !== undefined ? { externalId } : {}) })));
      case "POST /__sim/roles": {
        const data = parseJson(body);
        const specs: unknown[] = Array.isArray(data) ? data : [data];
        // All checked before any is defined; a bad one is answered 400 naming the problem.
        const roles: RoleSpec[] = specs.map((s, i) => {
          try {
            return parseRoleSpec(s);
          } catch (e) {
            throw new Error(`[${i}] ${e instanceof Error ? e.message : String(e)}`);
          }
        });
        for (const r of roles) target.defineRole(r);
        return json(res, 201, { defined: specs.length });
      }
      case "POST /__sim/cloudtrail/records": {
        // CloudTrail records in their documented form, e.g. a trail's log file: {"Records": [...]}.
        const added = target.cloudtrail.seed(parseJson(body));
        return json(res, 201, { added });
      }
      case "GET /__sim/cloudtrail/stats":
        return json(res, 200, target.cloudtrail.allLookupStats());
      case "POST /__sim/cloudtrail/keys": {
        const data = parseJson(body);
        const d = typeof data === "object" && data !== null ? (data as Record<string, unknown>) : {};
        if (typeof d.accessKeyId !== "string") return json(res, 400, { error: "expected {accessKeyId, deny?: true | [actions] | false, sourceIp?, vpcEndpointId?}" });
        if (d.deny === true) target.cloudtrail.keys.deny(d.accessKeyId);
        else if (Array.isArray(d.deny) && d.deny.every((a) => typeof a === "string")) target.cloudtrail.keys.deny(d.accessKeyId, d.deny as string[]);
        else if (d.deny === false) target.cloudtrail.keys.allow(d.accessKeyId);
        else if (d.deny !== undefined) return json(res, 400, { error: "deny must be true, false or a list of action names" });
        if (d.sourceIp !== undefined || d.vpcEndpointId !== undefined) {
          if ((d.sourceIp !== undefined && typeof d.sourceIp !== "string") || (d.vpcEndpointId !== undefined && typeof d.vpcEndpointId !== "string")) {
            return json(res, 400, { error: "sourceIp and vpcEndpointId must be strings" });
          }
          target.cloudtrail.keys.setNetwork(d.accessKeyId, {
            ...(typeof d.sourceIp === "string" ? { sourceIp: d.sourceIp } : {}),
            ...(typeof d.vpcEndpointId === "string" ? { vpcEndpointId: d.vpcEndpointId } : {}),
          });
        }
        return json(res, 200, { updated: true });
      }
      case "POST /__sim/cloudtrail/rate-limit": {
        const data = parseJson(body);
        const perSecond = typeof data === "object" && data !== null ? (data as Record<string, unknown>).perSecond : undefined;
        if (!(perSecond === null || (typeof perSecond === "number" && Number.isInteger(perSecond) && perSecond > 0))) {
          return json(res, 400, { error: "expected {perSecond: a positive whole number, or null for unlimited}" });
        }
        target.cloudtrail.lookupRateLimit = perSecond;
        return json(res, 200, { perSecond });
      }
      case "POST /__sim/network-interfaces": {
        // {account?, region?, kind, groupIds, instanceId?, publicIp?, description?} → the interface made.
        const data = parseJson(body);
        const region = regionOf(target, data);
        const ni = createInterface(region, parseInterfaceInput(data), (p) => region.newId(p));
        return json(res, 201, ni);
      }
    }
    if (path.startsWith("/__sim/network-interfaces/") && (method === "POST" || method === "DELETE")) {
      // POST {account?, region?, groupIds?, publicIp? (null: disassociate)} changes it; DELETE removes it.
      const id = decodeURIComponent(path.slice("/__sim/network-interfaces/".length));
      const data = parseJson(body);
      const region = regionOf(target, data ?? {});
      if (method === "DELETE") {
        deleteInterface(region, id);
        return json(res, 200, { deleted: id });
      }
      const o = (data ?? {}) as Record<string, unknown>;
      if (o.groupIds !== undefined && !(Array.isArray(o.groupIds) && o.groupIds.every((g) => typeof g === "string"))) return json(res, 400, { error: "groupIds must be a list of group ids" });
      if (o.publicIp !== undefined && o.publicIp !== null && typeof o.publicIp !== "string") return json(res, 400, { error: "publicIp must be an IPv4 address or null" });
      const ni = modifyInterface(region, id, {
        ...(o.groupIds !== undefined ? { groupIds: o.groupIds as string[] } : {}),
        ...(o.publicIp !== undefined ? { publicIp: o.publicIp as string | null } : {}),
      });
      return json(res, 200, ni);
    }
    if (method === "DELETE" && path.startsWith("/__sim/faults/")) {
      const removed = target.faults.remove(decodeURIComponent(path.slice("/__sim/faults/".length)));
      return json(res, removed ? 200 : 404, { removed });
    }
    json(res, 404, { error: `no admin route ${route}` });
  } catch (e) {
    json(res, 400, { error: e instanceof Error ? e.message : String(e) });
  }
}

/** The region an admin request names ({account?, region?}; default account, us-east-1). */
function regionOf(target: AdminTarget, data: unknown): RegionState {
  const o = (typeof data === "object" && data !== null ? data : {}) as Record<string, unknown>;
  if (o.account !== undefined && typeof o.account !== "string") throw new Error("account must be a string");
  if (o.region !== undefined && typeof o.region !== "string") throw new Error("region must be a string");
  return target.state.account((o.account as string | undefined) ?? DEFAULT_ACCOUNT).region((o.region as string | undefined) ?? "us-east-1");
}

function parseJson(body: string): unknown {
  if (body.trim() === "") return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch (cause) {
    throw new Error("request body is not valid JSON", { cause });
  }
}

function json(res: ServerResponse, status: number, data: unknown): void {
  const text = JSON.stringify(data);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
