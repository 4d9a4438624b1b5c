// Fault injection: the failures a monitor must survive without lying —
// throttling, server errors mid-pagination, revoked credentials, slowness,
// dropped connections, broken bodies and endless pagination.

import { createPrng, randomSeed, type Prng } from "./prng.js";

/** The kinds of fault the simulator can inject. */
export const FAULT_KINDS = [
  "throttle",
  "internal-error",
  "auth-failure",
  "unauthorized",
  "latency",
  "connection-reset",
  "truncated-body",
  "malformed-body",
  "repeat-next-token",
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

/** A fault to inject; every scope field left out matches everything. */
export interface FaultSpec {
  /** What to do. */
  kind: FaultKind;
  /** Only calls of this action. */
  action?: string;
  /** Only calls acting in this account. */
  account?: string;
  /** Only calls to this region. */
  region?: string;
  /** Only this 1-based page of a paginated call (page 1 has no NextToken). */
  page?: number;
  /** Apply to the next N matching calls, then expire; omitted = until cleared. */
  count?: number;
  /** Apply to each matching call with this probability (seeded PRNG); omitted = always. */
  probability?: number;
  /** For `latency`: milliseconds added to each matching call. */
  latencyMs?: number;
}

/** A fault in force. */
export interface ActiveFault extends FaultSpec {
  /** Handle for remove(). */
  id: string;
  /** Calls left before it expires; null = unlimited. */
  remaining: number | null;
  /** Calls it has affected so far. */
  hits: number;
}

/** What the server knows about a call when it consults the faults. */
export interface FaultContext {
  action: string;
  account: string;
  region: string;
  /** Page requested (1 when unpaginated or first page). */
  page: number;
}

/** The faults that apply to one call. */
export interface FaultDecision {
  /** Total added latency. */
  latencyMs: number;
  /** The fault that decides the outcome, if any (first added wins). */
  fault: ActiveFault | undefined;
}

/** The simulator's fault table. */
export class FaultInjector {
  private faults: ActiveFault[] = [];
  private prng: Prng;
  private nextId = 1;

  constructor(seed: number = randomSeed()) {
    this.prng = createPrng(seed);
  }

  /** Restarts the probability stream from `seed`, for reproducible benchmarks. */
  seed(seed: number): void {
    this.prng = createPrng(seed);
  }

  /** Adds a fault; throws an Error naming every problem with the spec. */
  add(spec: FaultSpec): string {
    const problems = validateFaultSpec(spec);
    if (problems.length > 0) throw new Error(`invalid fault: ${problems.join("; ")}`);
    const id = `fault-${this.nextId++}`;
    this.faults.push({ ...spec, id, remaining: spec.count ?? null, hits: 0 });
    return id;
  }

  /** Removes one fault; false when it was not there (e.g. already expired). */
  remove(id: string): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return this.faults.length < before;
  }

  /** Removes every fault. */
  clear(): void {
    this.faults = [];
  }

  /** Faults in force (copies). */
  list(): ActiveFault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  /**
   * Decides the faults of one call and consumes their counts. `applies`
   * lets the caller skip kinds that make no sense for the call (a repeating
   * token on an unpaginated action) without using them up.
   */
  decide(ctx: FaultContext, applies: (kind: FaultKind) => boolean = () => true): FaultDecision {
    let latencyMs = 0;
    let fault: ActiveFault | undefined;
    for (const f of this.faults) {
      if (!matches(f, ctx) || !applies(f.kind)) continue;
      if (f.kind !== "latency" && fault !== undefined) continue;
      if (f.probability !== undefined && this.prng.next() >= f.probability) continue;
      f.hits++;
      if (f.remaining !== null) f.remaining--;
      if (f.kind === "latency") latencyMs += f.latencyMs ?? 0;
      else fault = f;
    }
    this.faults = this.faults.filter((f) => f.remaining === null || f.remaining > 0);
    return { latencyMs, fault };
  }
}

function matches(f: FaultSpec, ctx: FaultContext): boolean {
  return (
    (f.action === undefined || f.action === ctx.action) &&
    (f.account === undefined || f.account === ctx.account) &&
    (f.region === undefined || f.region === ctx.region) &&
    (f.page === undefined || f.page === ctx.page)
  );
}

/** Every problem with a spec (empty when valid); specs also arrive as JSON over HTTP. */
export function validateFaultSpec(spec: unknown): string[] {
  if (typeof spec !== "object" || spec === null) return ["a fault must be an object"];
  const s = spec as Record<string, unknown>;
  const problems: string[] = [];
  if (!FAULT_KINDS.includes(s.kind as FaultKind)) problems.push(`kind must be one of ${FAULT_KINDS.join(", ")}`);
  for (const k of ["action", "account", "region"] as const) {
    if (s[k] !== undefined && typeof s[k] !== "string") problems.push(`${k} must be a string`);
  }
  const positiveInt = (v: unknown): boolean => typeof v === "number" && Number.isInteger(v) && v >= 1;
  if (s.page !== undefined && !positiveInt(s.page)) problems.push("page must be an integer >= 1");
  if (s.count !== undefined && !positiveInt(s.count)) problems.push("count must be an integer >= 1");
  if (s.probability !== undefined && !(typeof s.probability === "number" && s.probability >= 0 && s.probability <= 1)) {
    problems.push("probability must be a number in [0, 1]");
  }
  if (s.kind === "latency" && !(typeof s.latencyMs === "number" && s.latencyMs >= 0)) {
    problems.push("latency needs latencyMs >= 0");
  }
  const known = new Set(["kind", "action", "account", "region", "page", "count", "probability", "latencyMs"]);
  for (const k of Object.keys(s)) if (!known.has(k)) problems.push(`unknown field ${k}`);
  return problems;
}
