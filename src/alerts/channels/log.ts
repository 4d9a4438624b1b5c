// The log channel: one structured JSON line per unapproved change (event
// "drift"), carrying every field a person needs to act on it.
import type { Logger } from "pino";
import type { AlertChannel } from "./channel.js";
import type { OutboxAlert } from "../../model/alert-payload.js";
import { describeRule } from "../../model/describe-rule.js";
import { changeText, consoleUrl, exposureText } from "../render/words.js";
import { oneLine } from "../render/sanitize.js";
import { postureItemLine } from "../render/posture.js";
import { transientLine } from "../render/transient.js";

export class LogChannel implements AlertChannel {
  readonly name = "log";
  constructor(private readonly logger: Logger) {}

  async send(alert: OutboxAlert): Promise<void> {
    const p = alert.payload;
    if (p.type === "posture") {
      // One line per finding, like drift: a log search for a group finds it.
      for (const i of p.items) {
        this.logger.warn(
          {
            event: "posture",
            alertId: alert.id,
            severity: i.severity,
            account: p.target.account,
            region: p.target.region,
            target: p.target.label,
            groupId: i.groupId,
            groupName: oneLine(i.groupName),
            rule: describeRule(i.rule),
            reasons: i.reasons,
            guardrailId: i.guardrail?.id ?? null,
            guardrailReason: i.guardrail ? oneLine(i.guardrail.reason, 300) : null,
            revokeCommand: i.revokeCommand,
            interfaces: i.exposure?.interfaces ?? null,
            publicInterfaces: i.exposure?.publicInterfaces ?? null,
            console: consoleUrl(p.target.region, i.groupId),
          },
          postureItemLine(i),
        );
      }
      return;
    }
    if (p.type === "transient") {
      // One line per opening, like drift; every CloudTrail field sanitised.
      for (const i of p.items) {
        const c = i.change;
        this.logger[c.severity === "critical" || c.severity === "high" ? "error" : "warn"](
          {
            event: "transient",
            alertId: alert.id,
            changeId: c.changeId,
            severity: c.severity,
            account: p.target.account,
            region: p.target.region,
            target: p.target.label,
            groupId: c.groupId,
            groupName: oneLine(c.groupName),
            rule: c.rule ? describeRule(c.rule) : null,
            openedAt: i.openedAt,
            closedAt: i.closedAt,
            seconds: i.seconds,
            timesFrom: "cloudtrail",
            openedBy: oneLine(i.openedBy.arn ?? "", 200) || null,
            accessKeyId: i.openedBy.accessKeyId ? oneLine(i.openedBy.accessKeyId, 40) : null,
            sourceIp: i.openedBy.sourceIp ? oneLine(i.openedBy.sourceIp, 64) : null,
            userAgent: i.openedBy.userAgent ? oneLine(i.openedBy.userAgent, 200) : null,
            closedBy: oneLine(i.closedBy.arn ?? "", 200) || null,
            addEventId: oneLine(i.openedBy.eventId, 80),
            removeEventId: oneLine(i.closedBy.eventId, 80),
            previousPollAt: i.previousPollAt,
            nextPollAt: i.nextPollAt,
            guardrailId: c.guardrail?.id ?? null,
            approvalNote: c.approvalNote,
            actorVerdict: i.actor?.verdict ?? null,
            actorProblems: i.actor ? i.actor.problems.map((x) => oneLine(x, 400)) : null,
            console: consoleUrl(p.target.region, c.groupId),
          },
          // The actor verdict before the line the sanitiser may shorten.
          oneLine(`${c.severity} ${c.groupId}: transient${i.actor?.verdict === "unexpected" ? ", unexpected actor" : i.actor ? ", not made by whom the approval names" : ""}: ${transientLine(i)}`, 300),
        );
      }
      return;
    }
    if (p.type !== "drift") {
      const level =
        p.type === "monitoring-restored" || p.type === "trail-restored" || p.type === "approval-unused" || p.type === "attributed" || p.type === "closed" || p.type === "acknowledged"
          ? "info"
          : p.type === "monitoring-blind" ||
              p.type === "trail-blind" ||
              p.type === "unexpected-actor" ||
              ((p.type === "failed-attempts" || p.type === "failed-attempts-more") && (p.severity === "critical" || p.severity === "high"))
            ? "error"
            : "warn";
      this.logger[level]({ event: p.type, alertId: alert.id, ...p }, p.type);
      return;
    }
    for (const c of p.changes) {
      this.logger.warn(
        {
          event: "drift",
          alertId: alert.id,
          changeId: c.changeId,
          severity: c.severity,
          kind: c.kind,
          account: p.target.account,
          region: p.target.region,
          target: p.target.label,
          groupId: c.groupId,
          groupName: oneLine(c.groupName),
          vpcId: c.vpcId,
          direction: c.rule?.direction ?? null,
          protocol: c.rule?.protocol ?? null,
          fromPort: c.rule?.fromPort ?? null,
          toPort: c.rule?.toPort ?? null,
          source: c.rule?.source ?? null,
          rule: c.rule ? describeRule(c.rule) : null,
          detectedAt: p.detectedAt,
          since: p.intervalStart,
          approvalNote: c.approvalNote,
          guardrailId: c.guardrail?.id ?? null,
          guardrailReason: c.guardrail ? oneLine(c.guardrail.reason, 300) : null,
          revokeCommand: c.revokeCommand ?? null,
          revertsChangeId: c.reverts?.changeId ?? null,
          exposureSeconds: c.reverts?.exposureSeconds ?? null,
          // Blast radius: null when interfaces were never read.
          interfaces: c.exposure?.interfaces ?? null,
          publicInterfaces: c.exposure?.publicInterfaces ?? null,
          notReachable: c.notReachable ?? false,
          exposedVia: c.exposedVia ?? null,
          blastRadius: exposureText(c, p.detectedAt),
          console: consoleUrl(p.target.region, c.groupId),
        },
        // The guardrail leads, so the 300-character cap never cuts it off; its reason is in guardrailReason.
        oneLine(`${c.severity} ${c.groupId}: ${c.guardrail ? `breaks guardrail ${oneLine(c.guardrail.id, 64)}: ` : ""}${changeText(c)}`, 300),
      );
    }
  }
}
