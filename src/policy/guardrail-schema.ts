// The `guardrails:` section of the config file. Entries reuse the approval
// records' field parsers and entry schema, so "tcp", 22, "8000-8080" and
// sg-… mean the same in both; exceptions ARE approval entries (judged by the
// approval matcher). The config loader maps every issue's path to its line.

import { z } from "zod";
import { parseProtocol, show } from "../approvals/fields.js";
import {
  accountSchema,
  approvalChangeSchema,
  checkPorts,
  field,
  groupIdSchema,
  portsFor,
  tagsSchema,
  text,
  type GroupSelector,
  type RuleChangeEntry,
} from "../approvals/schema.js";
import { parseForbiddenSource, type ForbidEntry, type Guardrail, type GuardrailException } from "./guardrail.js";

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

const forbidSchema = z
  .strictObject({
    direction: z.enum(["ingress", "egress"]).optional(),
    protocol: field(parseProtocol),
    ports: z.unknown().optional(),
    source: field(parseForbiddenSource),
  })
  .superRefine(
    (raw, ctx) => {
      const e: Record<string, unknown> = isRecord(raw) ? raw : {};
      const protocol = typeof e.protocol === "string" ? e.protocol : null;
      // A forbid entry without ports forbids every port, so tcp needs none (unlike an approval).
      const issue = (protocol === "tcp" || protocol === "udp") && e.ports === undefined ? null : checkPorts(protocol, e.ports);
      if (issue) ctx.addIssue({ code: "custom", path: ["ports"], message: issue });
    },
    { when: () => true },
  )
  .transform((e): ForbidEntry => ({
    direction: e.direction ?? "ingress",
    protocol: e.protocol,
    ports: portsFor(e.protocol, e.ports),
    source: e.source,
  }));

// An exception's allowed rule is an approval entry; `action` may be left out (it can only be add).
const allowSchema = z.preprocess(
  (v) => (isRecord(v) && v.action === undefined ? { ...v, action: "add" } : v),
  approvalChangeSchema.superRefine((e, ctx) => {
    if (e.action !== "add") ctx.addIssue({ code: "custom", path: ["action"], message: `an exception allows rules to exist: only add (or no action), not ${e.action}` });
  }),
);

/** The selector keys shared by a guardrail and its exceptions: at most one of them. */
const selectorKeys = {
  groupId: groupIdSchema.optional(),
  groupName: text("a group name").optional(),
  tags: tagsSchema.optional(),
};

function checkOneSelector(raw: unknown, ctx: z.RefinementCtx): void {
  const r: Record<string, unknown> = isRecord(raw) ? raw : {};
  const given = ["groupId", "groupName", "tags"].filter((k) => r[k] !== undefined);
  if (given.length > 1) ctx.addIssue({ code: "custom", path: [given[1] ?? "groupId"], message: `give at most one of groupId, groupName or tags, not ${given.join(" and ")}` });
}

function toSelector(s: { groupId?: string | undefined; groupName?: string | undefined; tags?: Record<string, string> | undefined }): GroupSelector | null {
  if (s.groupId !== undefined) return { kind: "groupId", groupId: s.groupId };
  if (s.groupName !== undefined) return { kind: "groupName", groupName: s.groupName };
  if (s.tags !== undefined) return { kind: "tags", tags: s.tags };
  return null;
}

const exceptionSchema = z
  .strictObject({ ...selectorKeys, allow: z.array(allowSchema).min(1, { message: "must list at least one allowed rule" }) })
  .superRefine(checkOneSelector, { when: () => true })
  .transform((e): GuardrailException => ({ selector: toSelector(e), allow: e.allow as RuleChangeEntry[] }));

const guardrailSchema = z
  .strictObject({
    id: z.unknown().transform((v, ctx): string => {
      if (typeof v === "string" && /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(v)) return v;
      ctx.addIssue({ code: "custom", message: `expected an id of letters, digits, ".", "_" or "-" (at most 64), got ${show(v)}` });
      return z.NEVER;
    }),
    reason: text("why this rule must never exist"),
    target: z.strictObject({ account: accountSchema.optional(), region: text("a region").optional() }).optional(),
    ...selectorKeys,
    forbid: z.array(forbidSchema).min(1, { message: "must list at least one forbidden rule" }),
    except: z.array(exceptionSchema).default([]),
  })
  .superRefine(checkOneSelector, { when: () => true })
  .transform(
    (g): Guardrail => ({
      id: g.id,
      reason: g.reason,
      target: { account: g.target?.account ?? null, region: g.target?.region ?? null },
      selector: toSelector(g),
      forbid: g.forbid,
      except: g.except,
    }),
  );

/** The `guardrails:` list; ids are unique. */
export const guardrailsSchema = z
  .array(guardrailSchema)
  .superRefine(
    (list, ctx) => {
      const seen = new Map<string, number>();
      list.forEach((g, i) => {
        const id = (g as { id?: unknown } | undefined)?.id;
        if (typeof id !== "string") return;
        const first = seen.get(id);
        if (first === undefined) seen.set(id, i);
        else ctx.addIssue({ code: "custom", path: [i, "id"], message: `"${id}" is already the id of guardrails[${first}]` });
      });
    },
    { when: () => true },
  )
  .default([]);
