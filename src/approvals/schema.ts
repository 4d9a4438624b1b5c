// The approved change record: one zod schema for YAML files and CLI-created
// records. Scalars are parsed by fields.ts; this file adds structure (strict
// objects, so a misspelt key is an error, not a silently wider approval) and
// the cross-field rules. Cross-field checks run even when a field is invalid
// (`when: () => true`) so that one pass reports every problem of a record;
// they therefore read their input defensively.

import { isNamePattern, namePatternProblem } from "../model/group-pattern.js";
import { principalPatternProblem } from "../policy/actor.js";
import { z } from "zod";
import type { Direction } from "../model/types.js";
import {
  parseInstant,
  parsePorts,
  parseProtocol,
  parseSource,
  plainTextProblem,
  show,
  type ApprovalSource,
  type FieldResult,
  type PortRange,
} from "./fields.js";

/** Actions a change entry may allow. */
export const APPROVAL_ACTIONS = [
  "add",
  "remove",
  "modify-description",
  "any",
  "create-group",
  "delete-group",
  "modify-tags",
] as const;
/** One approval action. */
export type ApprovalAction = (typeof APPROVAL_ACTIONS)[number];
/** Actions about a group as a whole: they take no direction, protocol, ports or source. */
export const GROUP_ACTIONS: readonly ApprovalAction[] = ["create-group", "delete-group", "modify-tags"];

/** A change entry that allows rule changes (and, for `any`, group changes too). */
export interface RuleChangeEntry {
  /** add, remove, modify-description, or any (which also covers group-level changes). */
  action: "add" | "remove" | "modify-description" | "any";
  /** ingress or egress (default ingress). */
  direction: Direction;
  /** Canonical protocol (tcp, udp, icmp, icmpv6, all, a number) or "any". */
  protocol: string;
  /** Allowed ports (ICMP: types); null means all. */
  ports: PortRange | null;
  /** Allowed peer, canonical. */
  source: ApprovalSource;
}

/** A change entry that allows a group-level change. */
export interface GroupChangeEntry {
  /** create-group, delete-group or modify-tags. */
  action: "create-group" | "delete-group" | "modify-tags";
}

/** One allowed change of an approval record. */
export type ApprovalChange = RuleChangeEntry | GroupChangeEntry;

/** Which groups a record applies to: exactly one way of selecting. */
export type GroupSelector =
  | { kind: "groupId"; groupId: string }
  | { kind: "groupName"; groupName: string }
  | { kind: "tags"; tags: Record<string, string> };

/** Where a record came from, for messages and the audit trail. */
export type ApprovalOrigin = { kind: "file"; file: string; line: number } | { kind: "cli" };

/** An approval record in normalised form, as the matcher consumes it. */
export interface ApprovalRecord {
  /** The ticket id (e.g. CHG-1042); unique across all records. */
  id: string;
  /** Why the change is made. */
  reason: string;
  /** Who approved it. */
  approvedBy: string;
  /** When the changes may happen, inclusive, canonical UTC ISO text. */
  window: { from: string; until: string };
  /** Account and region the record is limited to; null means any. */
  target: { account: string | null; region: string | null };
  /** Which groups the record applies to. */
  selector: GroupSelector;
  /** A standing approval may have a window longer than the maximum. */
  standing: boolean;
  /** The changes it allows; never empty. */
  changes: ApprovalChange[];
  /**
   * Who will make the changes (ARN globs or service principals); null: anyone.
   * A covered change CloudTrail shows someone else made is not approved.
   */
  by?: string[] | null;
  /** Where it was defined. */
  origin: ApprovalOrigin;
}

/** Validation parameters. */
export interface ApprovalOptions {
  /** Longest window a non-standing record may have, in milliseconds. */
  maxWindowMs: number;
}

/** Default maximum window: seven days. */
export const DEFAULT_MAX_WINDOW_MS = 7 * 24 * 3600 * 1000;

/** Lift a fields.ts parser into a zod schema whose failure is one custom issue (shared with guardrails, src/policy/). */
export function field<T>(parse: (v: unknown) => FieldResult<T>) {
  return z.unknown().transform((v, ctx): T => {
    if (v === undefined) {
      ctx.addIssue({ code: "custom", message: "is required" });
      return z.NEVER;
    }
    const r = parse(v);
    if (r.ok) return r.value;
    ctx.addIssue({ code: "custom", message: r.message });
    return z.NEVER;
  });
}

/** A required non-empty string, trimmed; `what` names it in the message. */
export const text = (what: string) =>
  z.unknown().transform((v, ctx): string => {
    if (typeof v === "string" && v.trim() !== "") {
      const problem = plainTextProblem(v.trim());
      if (problem === null) return v.trim();
      ctx.addIssue({ code: "custom", message: problem });
      return z.NEVER;
    }
    const message = v === undefined ? `is required (${what})` : `expected ${what} (a non-empty string), got ${show(v)}`;
    ctx.addIssue({ code: "custom", message });
    return z.NEVER;
  });

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

const entrySchema = z
  .strictObject({
    action: z.enum(APPROVAL_ACTIONS),
    direction: z.enum(["ingress", "egress"]).optional(),
    protocol: field(parseProtocol).optional(),
    ports: z.unknown().optional(),
    source: field(parseSource).optional(),
  })
  .superRefine(
    (raw, ctx) => {
      // Ports are checked here rather than per field: their bounds depend on the protocol.
      const e: Record<string, unknown> = isRecord(raw) ? raw : {};
      const action = APPROVAL_ACTIONS.find((a) => a === e.action);
      // An unknown action is already reported; guessing which fields it needs would only add noise.
      if (action === undefined) return;
      if (GROUP_ACTIONS.includes(action)) {
        for (const k of ["direction", "protocol", "ports", "source"]) {
          if (e[k] !== undefined) ctx.addIssue({ code: "custom", path: [k], message: `does not apply to action ${action}` });
        }
        return;
      }
      if (e.protocol === undefined) ctx.addIssue({ code: "custom", path: ["protocol"], message: "is required (tcp, udp, icmp, icmpv6, all, any or a number)" });
      if (e.source === undefined) ctx.addIssue({ code: "custom", path: ["source"], message: "is required (a CIDR, pl-…, sg-… or any)" });
      const protocol = typeof e.protocol === "string" ? e.protocol : null;
      const portsIssue = checkPorts(protocol, e.ports);
      if (portsIssue) ctx.addIssue({ code: "custom", path: ["ports"], message: portsIssue });
    },
    { when: () => true },
  )
  .transform((e): ApprovalChange => {
    if (e.action === "create-group" || e.action === "delete-group" || e.action === "modify-tags") return { action: e.action };
    const protocol = e.protocol ?? "any";
    const ports = portsFor(protocol, e.ports);
    return { action: e.action, direction: e.direction ?? "ingress", protocol, ports, source: e.source ?? { kind: "any", value: "any" } };
  });

const isIcmp = (p: string | null) => p === "icmp" || p === "icmpv6";

/** Why `ports` does not fit `protocol`, or null when it does. */
export function checkPorts(protocol: string | null, ports: unknown): string | null {
  if (protocol === null) return ports === undefined ? null : portsError(ports, 65535);
  if (protocol === "tcp" || protocol === "udp") {
    if (ports === undefined) return `is required for ${protocol} (a port, a range such as "8000-8080", or all)`;
    return portsError(ports, 65535);
  }
  if (ports === undefined) return null;
  // ICMP "ports" are ICMP types, which stop at 255.
  if (isIcmp(protocol)) return portsError(ports, 255);
  if (protocol === "any") return portsError(ports, 65535);
  const r = parsePorts(ports);
  if (!r.ok) return r.message;
  return r.value === null ? null : `protocol ${protocol} has no ports; omit ports or use all`;
}

function portsError(ports: unknown, max: number): string | null {
  const r = parsePorts(ports, max);
  return r.ok ? null : r.message;
}

/** The parsed ports of an entry already checked by checkPorts (null: all). */
export function portsFor(protocol: string, ports: unknown): PortRange | null {
  if (ports === undefined) return null;
  const r = parsePorts(ports, isIcmp(protocol) ? 255 : 65535);
  return r.ok ? r.value : null;
}

/** A tag selector: string values only, at least one tag. */
export const tagsSchema = z.record(z.string(), z.unknown()).transform((tags, ctx): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)) {
    // A YAML `CostCenter: 0123` is a number and has lost its zero; make the author quote it.
    const problem = plainTextProblem(k) ?? (typeof v === "string" ? plainTextProblem(v) : null);
    if (problem !== null) ctx.addIssue({ code: "custom", path: [k], message: problem });
    else if (typeof v === "string") out[k] = v;
    else ctx.addIssue({ code: "custom", path: [k], message: `expected a string (quote it), got ${show(v)}` });
  }
  if (Object.keys(tags).length === 0) ctx.addIssue({ code: "custom", message: "must name at least one tag" });
  return out;
});

/** A 12-digit account id as a string. */
export const accountSchema = z.unknown().transform((v, ctx): string => {
  if (typeof v === "string" && /^\d{12}$/.test(v.trim())) return v.trim();
  ctx.addIssue({ code: "custom", message: `expected a 12-digit account id as a quoted string, got ${show(v)}` });
  return z.NEVER;
});

/** `by:` one principal pattern or a list of them (src/policy/actor.ts). */
export const bySchema = z.unknown().transform((v, ctx): string[] => {
  const list = typeof v === "string" ? [v] : v;
  if (!Array.isArray(list) || list.length === 0) {
    ctx.addIssue({ code: "custom", message: `expected a principal ARN pattern or a list of them, got ${show(v)}` });
    return z.NEVER;
  }
  const out: string[] = [];
  list.forEach((item: unknown, i) => {
    const problem = typeof item === "string" && item.trim() !== "" ? (plainTextProblem(item.trim()) ?? principalPatternProblem(item.trim())) : `expected a principal ARN pattern, got ${show(item)}`;
    if (problem !== null) ctx.addIssue({ code: "custom", path: typeof v === "string" ? [] : [i], message: problem });
    else out.push((item as string).trim());
  });
  return out;
});

/** An sg-… id. */
export const groupIdSchema = z.unknown().transform((v, ctx): string => {
  if (typeof v === "string" && /^sg-[0-9a-f]+$/.test(v.trim())) return v.trim();
  ctx.addIssue({ code: "custom", message: `expected a security group id (sg-…), got ${show(v)}` });
  return z.NEVER;
});

/** The record schema for the given options; its output lacks only `origin`. */
export function approvalRecordSchema(opts: ApprovalOptions) {
  return z
    .strictObject({
      id: text("a ticket id"),
      reason: text("a reason"),
      approvedBy: text("who approved it"),
      window: z.strictObject({ from: field(parseInstant), until: field(parseInstant) }),
      target: z.strictObject({ account: accountSchema.optional(), region: text("a region").optional() }).optional(),
      groupId: groupIdSchema.optional(),
      // An exact name, a glob (* ?) or a /regular expression/ (model/group-pattern.ts).
      groupName: text("a group name")
        .superRefine((name, ctx) => {
          const problem = isNamePattern(name) ? namePatternProblem(name) : null;
          if (problem) ctx.addIssue({ code: "custom", message: `"${name}" ${problem}` });
        })
        .optional(),
      tags: tagsSchema.optional(),
      standing: z.boolean().optional(),
      changes: z.array(entrySchema).min(1, { message: "must list at least one change" }),
      // Who will make the changes: checked against CloudTrail when the change is attributed.
      by: bySchema.optional(),
    })
    .superRefine(
      (raw, ctx) => {
        const r: Record<string, unknown> = isRecord(raw) ? raw : {};
        const selectors = ["groupId", "groupName", "tags"].filter((k) => r[k] !== undefined);
        if (selectors.length !== 1) {
          ctx.addIssue({
            code: "custom",
            path: selectors.length > 1 ? [selectors[1] ?? "groupId"] : [],
            message:
              selectors.length === 0
                ? "needs a group selector: exactly one of groupId, groupName or tags"
                : `give exactly one of groupId, groupName or tags, not ${selectors.join(" and ")}`,
          });
        }
        const w = isRecord(r.window) ? r.window : {};
        if (typeof w.from !== "string" || typeof w.until !== "string") return;
        const span = Date.parse(w.until) - Date.parse(w.from);
        if (span < 0) {
          ctx.addIssue({ code: "custom", path: ["window", "until"], message: `${w.until} is before window.from ${w.from}` });
        } else if (span > opts.maxWindowMs && r.standing !== true) {
          ctx.addIssue({
            code: "custom",
            path: ["window", "until"],
            message: `makes the window ${describeDuration(span)} long, more than the maximum ${describeDuration(opts.maxWindowMs)}; shorten it or mark the record standing: true`,
          });
        }
      },
      { when: () => true },
    )
    .transform((r): Omit<ApprovalRecord, "origin"> => ({
      id: r.id,
      reason: r.reason,
      approvedBy: r.approvedBy,
      window: r.window,
      target: { account: r.target?.account ?? null, region: r.target?.region ?? null },
      selector:
        r.groupId !== undefined
          ? { kind: "groupId", groupId: r.groupId }
          : r.groupName !== undefined
            ? { kind: "groupName", groupName: r.groupName }
            : { kind: "tags", tags: r.tags ?? {} },
      standing: r.standing ?? false,
      changes: r.changes,
      // Absent when not given, so records without it read (and are stored) as before.
      ...(r.by !== undefined ? { by: r.by } : {}),
    }));
}

/** The raw shape a YAML record or CLI object may take (before normalising). */
export type ApprovalRecordInput = z.input<ReturnType<typeof approvalRecordSchema>>;
/** One raw change entry. */
export type ApprovalChangeInput = z.input<typeof entrySchema>;

/** The entry schema alone, for the CLI change spec. */
export const approvalChangeSchema = entrySchema;

/** "7 days", "36 hours", "90 minutes": a window length in words. */
export function describeDuration(ms: number): string {
  const minutes = ms / 60_000;
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;
  if (minutes % 1440 === 0) return plural(minutes / 1440, "day");
  if (minutes % 60 === 0) return plural(minutes / 60, "hour");
  return plural(Math.round(minutes), "minute");
}
