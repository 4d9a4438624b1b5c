// Small schema pieces the configuration's sections share: severities,
// durations, ports, AWS account ids, regions, role names and times.
import { z } from "zod";
import { parseDuration, parseIsoTime } from "../util/time.js";
import { SEVERITIES, type Severity } from "../model/types.js";

export const severity = z.enum(SEVERITIES as [Severity, ...Severity[]]);

/** A duration written as "30s", "15m", "24h", "7d"; parsed to milliseconds. */
export const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === null || ms <= 0) {
    ctx.addIssue({ code: "custom", message: `expected a duration like "30s", "15m", "24h" or "7d", got "${text}"` });
    return z.NEVER;
  }
  return ms;
});

export const port = z.number().int().min(0).max(65535);

/** A prefix length threshold for broad sources, 1..max. */
export const prefixLength = (max: number, family: string) => {
  const message = `expected a prefix length from 1 to ${max} (an ${family} range shorter than it is broad)`;
  return z.number({ message }).int({ message }).min(1, { message }).max(max, { message });
};

export const accountId = z
  .string()
  .regex(/^\d{12}$/, { message: "expected a 12-digit AWS account id (quote it in YAML so leading zeros survive)" });

export const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, { message: "expected an AWS region name like eu-west-1" });

export const roleArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, { message: "expected an IAM role ARN like arn:aws:iam::123456789012:role/sgwatch" });

export const roleName = z
  .string()
  .regex(/^[\w+=,.@/-]{1,64}$/, { message: "expected an IAM role name (or path/name) like sgwatch-readonly" });

/** An ISO-8601 time with its zone, e.g. "2026-06-30T00:00:00Z". */
export const isoInstant = z.string().transform((text, ctx) => {
  const t = parseIsoTime(text, "reject");
  if (!t.ok) {
    ctx.addIssue({ code: "custom", message: `expected an ISO-8601 time with its zone like "2026-06-30T00:00:00Z", got "${text}"` });
    return z.NEVER;
  }
  return new Date(t.ms).toISOString();
});
