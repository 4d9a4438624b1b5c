// The change_events table: every detected change with its judgement.
import type { Database } from "better-sqlite3";
import type { JudgedChange } from "../model/judged.js";
import { ruleToColumns } from "./rule-columns.js";
import { ruleKey } from "../model/rule-key.js";
import { sql } from "./statements.js";

/** Where a batch of changes was detected. */
export interface ChangeContext {
  pollId: number;
  targetId: number;
  detectedAt: string;
  intervalStart: string | null;
}

/** Insert the changes; returns their ids in the same order. */
export function insertChanges(db: Database, ctx: ChangeContext, judged: JudgedChange[]): number[] {
  const stmt = sql(db, 
    `INSERT INTO change_events (poll_id, target_id, detected_at, interval_start, kind, group_id, group_name, vpc_id,
       direction, protocol, from_port, to_port, source_kind, source, source_account, peering_id, description,
       old_description, before, after, severity, status, approval_id, approval_ids, approval_note, rule_key,
       guardrail_id, guardrail_reason, interface_id, instance_id, public_ip, interface_kind)
     VALUES (@poll_id, @target_id, @detected_at, @interval_start, @kind, @group_id, @group_name, @vpc_id,
       @direction, @protocol, @from_port, @to_port, @source_kind, @source, @source_account, @peering_id, @description,
       @old_description, @before, @after, @severity, @status, @approval_id, @approval_ids, @approval_note, @rule_key,
       @guardrail_id, @guardrail_reason, @interface_id, @instance_id, @public_ip, @interface_kind)`,
  );
  const link = sql(db, "INSERT INTO change_approvals (change_id, approval_id) VALUES (?, ?)");
  const noRule = {
    direction: null, protocol: null, from_port: null, to_port: null, source_kind: null,
    source: null, source_account: null, peering_id: null, description: null,
  };
  return judged.map(({ change: c, judgement: j }) => {
    const info = stmt.run({
      poll_id: ctx.pollId,
      target_id: ctx.targetId,
      detected_at: ctx.detectedAt,
      interval_start: ctx.intervalStart,
      kind: c.kind,
      group_id: c.groupId,
      group_name: c.groupName,
      vpc_id: c.vpcId,
      ...(c.rule ? ruleToColumns(c.rule) : noRule),
      old_description: c.oldDescription ?? null,
      before: c.before ? JSON.stringify(c.before) : null,
      after: c.after ? JSON.stringify(c.after) : null,
      severity: j.severity,
      status: j.status,
      approval_id: j.approvalId,
      approval_ids: j.approvalIds.length > 0 ? JSON.stringify(j.approvalIds) : null,
      approval_note: j.approvalNote,
      rule_key: c.rule ? ruleKey(c.rule) : null,
      guardrail_id: j.guardrail?.id ?? null,
      guardrail_reason: j.guardrail?.reason ?? null,
      interface_id: c.exposedVia?.interfaceId ?? null,
      instance_id: c.exposedVia?.instanceId ?? null,
      public_ip: c.exposedVia?.publicIp ?? null,
      interface_kind: c.exposedVia?.kind ?? null,
    });
    const id = Number(info.lastInsertRowid);
    for (const approvalId of j.approvalIds) link.run(id, approvalId);
    return id;
  });
}
