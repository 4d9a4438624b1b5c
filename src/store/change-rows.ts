// A stored change as alerts show it: the columns follow-ups select, and the
// conversion to the alert payload's change.
import type { AlertChange } from "../model/alert-payload.js";
import type { GroupAttributes, Severity, ChangeKind } from "../model/types.js";
import { columnsToRule, type RuleColumns } from "./rule-columns.js";
import { revokeCommand } from "../policy/revoke-command.js";

/** Columns of a change row joined with its target and its group's latest tags (alias c for change_events, t for targets). */
export const CHANGE_ROW_COLUMNS = `c.*, t.account, t.region, t.label,
  (SELECT g.tags FROM group_versions g WHERE g.target_id = c.target_id AND g.group_id = c.group_id ORDER BY g.id DESC LIMIT 1) AS group_tags`;

/** A change row with its target and group tags. */
export interface OpenChangeRow extends RuleColumns {
  /** change_events.id. */
  id: number;
  /** When the detecting poll saw it. */
  detected_at: string;
  /** What happened. */
  kind: ChangeKind;
  /** The group concerned. */
  group_id: string;
  /** The group's name then. */
  group_name: string;
  /** The group's VPC. */
  vpc_id: string | null;
  /** How urgent. */
  severity: Severity;
  /** For description changes: the old description. */
  old_description: string | null;
  /** For group changes: attributes before (JSON). */
  before: string | null;
  /** For group changes: attributes after (JSON). */
  after: string | null;
  /** The nearest approval record and why it did not cover the change. */
  approval_note: string | null;
  /** The guardrail the change broke, if any (migration 0008). */
  guardrail_id: string | null;
  /** That guardrail's reason. */
  guardrail_reason: string | null;
  /** For exposure-added (migration 0010): the public interface, its instance, address and kind. */
  interface_id: string | null;
  instance_id: string | null;
  public_ip: string | null;
  interface_kind: string | null;
  /** The target's account. */
  account: string;
  /** The target's region. */
  region: string;
  /** The target's label. */
  label: string | null;
  /** The detecting poll: its drift alert is the change's thread. */
  poll_id: number;
  /** The group's latest tags (JSON). */
  group_tags: string | null;
  /** Set when the ignore list covered the change (recorded, not alerted). */
  ignored_reason: string | null;
  /** 1 for a transient opening (migration 0011): reported by its own alert, not by its poll's drift alert. */
  transient: number;
  /** The target (targets.id). */
  target_id: number;
}

export function rowToAlertChange(r: OpenChangeRow): AlertChange {
  return {
    changeId: r.id,
    kind: r.kind,
    severity: r.severity,
    groupId: r.group_id,
    groupName: r.group_name,
    vpcId: r.vpc_id,
    rule: r.direction ? columnsToRule(r) : null,
    oldDescription: r.old_description,
    before: r.before ? (JSON.parse(r.before) as Partial<GroupAttributes>) : null,
    after: r.after ? (JSON.parse(r.after) as Partial<GroupAttributes>) : null,
    approvalNote: r.approval_note,
    guardrail: r.guardrail_id === null ? null : { id: r.guardrail_id, reason: r.guardrail_reason ?? "" },
    // A rule that must never exist gets the command that removes it, also in reminders.
    revokeCommand: r.guardrail_id !== null && r.direction ? revokeCommand(r.group_id, columnsToRule(r), r) : null,
    groupTags: r.group_tags ? (JSON.parse(r.group_tags) as Record<string, string>) : {},
    // A reminder of an exposure-added change still names the interface it went public through.
    ...(r.kind === "exposure-added" && r.interface_id && r.public_ip
      ? { exposedVia: { interfaceId: r.interface_id, instanceId: r.instance_id, publicIp: r.public_ip, kind: r.interface_kind ?? "other" } }
      : {}),
  };
}

