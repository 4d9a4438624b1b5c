// Who made a stored CloudTrail call and from where, as the actor policy reads
// it (src/policy/actor.ts): the event's columns, and what only the record
// holds (the session's role, invokedBy). Read by attribution for a change a
// poll saw and by the join for a short-lived opening's adding call.
import type { Database } from "better-sqlite3";
import type { ActorFacts } from "../policy/actor.js";

interface TrailFactsRow {
  identity_arn: string | null;
  identity_type: string | null;
  source_ip: string | null;
  vpc_endpoint_id: string | null;
  record: string;
}

/** The caller of the stored trail event `eventId`; null when it is not stored. */
export function factsOfEvent(db: Database, eventId: string): ActorFacts | null {
  const row = db.prepare("SELECT identity_arn, identity_type, source_ip, vpc_endpoint_id, record FROM trail_events WHERE event_id = ?").get(eventId) as TrailFactsRow | undefined;
  if (row === undefined) return null;
  let issuerArn: string | null = null;
  let invokedBy: string | null = null;
  try {
    const rec = JSON.parse(row.record) as { userIdentity?: { invokedBy?: unknown; sessionContext?: { sessionIssuer?: { arn?: unknown } } } };
    const issuer = rec.userIdentity?.sessionContext?.sessionIssuer?.arn;
    issuerArn = typeof issuer === "string" && issuer !== "" ? issuer : null;
    const by = rec.userIdentity?.invokedBy;
    invokedBy = typeof by === "string" && by !== "" ? by : null;
  } catch {
    // A record that is not JSON still has its columns.
  }
  return { identityArn: row.identity_arn, identityType: row.identity_type, issuerArn, invokedBy, sourceIp: row.source_ip, vpcEndpointId: row.vpc_endpoint_id };
}
