// A stored change as alerts show it: the columns follow-ups select, and the
// conversion to the alert payload's change.
import type { AlertChange } from "../alerts/payload.js";
import type { GroupAttributes, Severity, ChangeKind } from "../model/types.js";
import { columnsToRule, type RuleColumns } from "./rule-columns.js";

/** Columns of a change row joined with its target and its group's latest tags (alias c for change_events, t for targets). */
export const CHANGE_ROW_COLUMNS = `c.*, t.account, t.region, t.label,
  (SELECT g.tags FROM group_versions g WHERE g.target_id = c.target_id AND g.group_id = c.group_id ORDER BY g.id DESC LIMIT 1) AS group_tags`;

/** A change row with its target and group tags. */
export interface OpenChangeRow extends RuleColumns {
  id: number;
  detected_at: string;
  kind: ChangeKind;
  group_id: string;
  group_name: string;
  vpc_id: string | null;
  severity: Severity;
  old_description: string | null;
  before: string | null;
  after: string | null;
  approval_note: string | null;
  account: string;
  region: string;
  label: string | null;
  poll_id: number;
  group_tags: string | null;
  ignored_reason: string | null;
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
    groupTags: r.group_tags ? (JSON.parse(r.group_tags) as Record<string, string>) : {},
  };
}

