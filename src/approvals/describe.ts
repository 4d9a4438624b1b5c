// Approval records in words, for the database's readable columns, the CLI
// and alerts.
import { isNamePattern } from "../model/group-pattern.js";
import type { ApprovalChange, ApprovalRecord, GroupSelector } from "./schema.js";

export function describeSelector(sel: GroupSelector): string {
  switch (sel.kind) {
    case "groupId":
      return `group ${sel.groupId}`;
    case "groupName":
      return isNamePattern(sel.groupName) ? `groups named like ${sel.groupName}` : `group named ${sel.groupName}`;
    case "tags":
      return `groups tagged ${Object.entries(sel.tags).map(([k, v]) => `${k}=${v}`).join(", ")}`;
  }
}

export function describeEntry(e: ApprovalChange): string {
  if (!("source" in e)) return e.action;
  const ports = e.ports === null ? "all" : e.ports.from === e.ports.to ? String(e.ports.from) : `${e.ports.from}-${e.ports.to}`;
  const proto = e.protocol === "all" || e.protocol === "any" ? e.protocol : `${e.protocol}/${ports}`;
  return `${e.action} ${e.direction} ${proto} ${e.direction === "egress" ? "to" : "from"} ${e.source.value}`;
}

export function describeChanges(r: ApprovalRecord): string {
  return r.changes.map(describeEntry).join("; ");
}
