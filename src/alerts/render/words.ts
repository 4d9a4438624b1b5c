// Shared wording for every channel: one change, one target, one line each.
import type { AlertChange, AlertTarget } from "../payload.js";
import { describeRule } from "../../model/describe-rule.js";
import { oneLine } from "./sanitize.js";
import { humanDuration } from "../../util/time.js";

export function targetName(t: AlertTarget): string {
  return t.label ? `${oneLine(t.label, 64)} (${t.account})` : t.account;
}

export function groupLabel(c: Pick<AlertChange, "groupId" | "groupName">): string {
  return c.groupName ? `${c.groupId} (${oneLine(c.groupName, 80)})` : c.groupId;
}

/** What changed, in words, without the group. */
export function changeText(c: AlertChange): string {
  switch (c.kind) {
    case "rule-added":
      return `added ${c.rule ? describeRule(c.rule) : "a rule"}`;
    case "rule-removed":
      return `removed ${c.rule ? describeRule(c.rule) : "a rule"}`;
    case "rule-description-changed":
      return `description of ${c.rule ? describeRule(c.rule) : "a rule"} changed from "${oneLine(c.oldDescription ?? "")}" to "${oneLine(c.rule?.description ?? "")}"`;
    case "group-created":
      return "group created";
    case "group-deleted":
      return "group deleted";
    case "group-changed": {
      const parts: string[] = [];
      for (const key of ["name", "vpcId", "tags"] as const) {
        if (c.before?.[key] === undefined && c.after?.[key] === undefined) continue;
        parts.push(`${key} ${oneLine(JSON.stringify(c.before?.[key] ?? null))} → ${oneLine(JSON.stringify(c.after?.[key] ?? null))}`);
      }
      return `group changed: ${parts.join("; ")}`;
    }
  }
}

/** The AWS console page of a group. */
export function consoleUrl(region: string, groupId: string): string {
  return `https://${region}.console.aws.amazon.com/ec2/home?region=${encodeURIComponent(region)}#SecurityGroup:groupId=${encodeURIComponent(groupId)}`;
}

/** The command that acknowledges the listed changes. */
export function ackCommand(ids: number[]): string {
  return `sgwatch ack ${ids.join(" ")} --by YOUR_NAME --reason "why this change is fine"`;
}

/** "undoes #12, which was in effect for 2 h 13 min", or null. */
export function revertText(c: AlertChange): string | null {
  if (!c.reverts) return null;
  return `undoes unapproved change #${c.reverts.changeId}, which was in effect for ${humanDuration(c.reverts.exposureSeconds * 1000)} (as observed between polls)`;
}
