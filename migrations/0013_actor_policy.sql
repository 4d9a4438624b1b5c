-- Unexpected actors (issue 11 finding 3). When attribution finds the
-- CloudTrail event of a change, the caller is held against the target's actor
-- policy (cloudtrail.actors: principals, networks, VPC endpoints) and against
-- the by: principals of the record that approved the change. The verdict is a
-- later fact stored beside the change:
--   allowed     the caller met every condition;
--   unexpected  the caller broke the actor policy: the change is critical and
--               unapproved whatever record covered it (a stolen key);
--   not-by      the approving record names who makes the change (by:) and
--               CloudTrail shows someone else: the change is unapproved;
--   unverified  the approving record names by:, but no CloudTrail event was
--               found before attribution.horizon (or CloudTrail is off for
--               the target): the change is unapproved.
-- For unexpected, not-by and unverified, status becomes 'unapproved' (and
-- severity 'critical' for unexpected); approval_id keeps the record that
-- covered it and actor_problem says which condition failed. The verdict is
-- written in the same transaction as the attribution and the alert it raises,
-- so it is decided, and alerted, once.
--
-- The changes view is re-created with every column of 0012 in the same order
-- and the two new ones at the end.

ALTER TABLE change_events ADD COLUMN actor_verdict TEXT
  CHECK (actor_verdict IN ('allowed', 'unexpected', 'not-by', 'unverified'));
ALTER TABLE change_events ADD COLUMN actor_problem TEXT;

DROP VIEW changes;
CREATE VIEW changes AS
SELECT c.id,
       c.detected_at AS time,
       t.account,
       t.region,
       c.group_id,
       c.group_name,
       c.kind,
       c.direction,
       c.protocol,
       CASE WHEN c.kind NOT LIKE 'rule-%' AND c.kind != 'exposure-added' THEN NULL
            WHEN c.from_port IS NULL OR c.to_port IS NULL THEN 'all'
            WHEN c.protocol IN ('icmp', 'icmpv6') THEN 'type ' || c.from_port || '/code ' || c.to_port
            WHEN c.from_port = c.to_port THEN CAST(c.from_port AS TEXT)
            ELSE c.from_port || '-' || c.to_port END AS ports,
       c.source,
       c.severity,
       -- What the change is now: acknowledged and reverted are later facts;
       -- revert: an unapproved change that undid an earlier unapproved one
       -- (closes names it): the response that closed an incident, not drift.
       -- detected_status keeps what was decided when it was found. A transient
       -- opening stays 'transient' (it was never open when sgwatch looked).
       CASE WHEN c.transient = 1 THEN 'transient'
            WHEN a.change_id IS NOT NULL THEN 'acknowledged'
            WHEN c.reverted_at IS NOT NULL AND c.status = 'unapproved' THEN 'reverted'
            WHEN u.id IS NOT NULL AND c.status = 'unapproved' THEN 'revert'
            ELSE c.status END AS status,
       c.approval_id,
       a.acked_by,
       a.reason AS ack_reason,
       a.ticket AS ack_ticket,
       c.reverted_at,
       CASE WHEN c.exposure_seconds IS NULL THEN NULL
            WHEN c.exposure_seconds < 60 THEN c.exposure_seconds || ' s'
            WHEN c.exposure_seconds < 3600 THEN (c.exposure_seconds / 60) || ' min'
            WHEN c.exposure_seconds < 86400 THEN (c.exposure_seconds / 3600) || ' h ' || ((c.exposure_seconds % 3600) / 60) || ' min'
            ELSE (c.exposure_seconds / 86400) || ' d ' || ((c.exposure_seconds % 86400) / 3600) || ' h' END AS exposure,
       c.status AS detected_status,
       c.description,
       c.old_description,
       c.before,
       c.after,
       c.approval_note,
       c.interval_start AS since_previous_poll,
       c.poll_id,
       w.actor_arn AS who,
       w.source_ip AS who_ip,
       w.access_key_id AS who_key,
       coalesce(c.attribution_status, 'pending') AS attribution,
       -- How sure the match naming `who` is: exact, likely or possible (src/attribution/match.ts).
       w.match_quality AS who_match,
       -- The guardrail the change broke (NULL: none): such a change is critical and never approved.
       c.guardrail_id AS guardrail,
       c.guardrail_reason,
       -- When it was made: CloudTrail's eventTime when a call matches, else the detecting poll's time.
       coalesce(c.changed_at, c.detected_at) AS changed_at,
       CASE WHEN c.changed_at IS NOT NULL THEN 'cloudtrail' ELSE 'poll' END AS changed_from,
       -- When it was undone (NULL: it was not): CloudTrail's time, else the poll that saw it undone.
       coalesce(c.undone_at, c.reverted_at) AS undone_at,
       CASE WHEN c.undone_at IS NOT NULL THEN 'cloudtrail' WHEN c.reverted_at IS NOT NULL THEN 'poll' END AS undone_from,
       -- The change this one undid (NULL: none).
       u.id AS closes,
       -- exposure-added: the interface with a public address the group became reachable through.
       c.interface_id,
       c.interface_kind,
       c.instance_id,
       c.public_ip,
       -- Who made it, held against the actor policy and the approving record's by: (NULL: nothing to check, or not decided yet).
       c.actor_verdict,
       c.actor_problem
FROM change_events c
JOIN targets t ON t.id = c.target_id
LEFT JOIN acknowledgements a ON a.change_id = c.id
LEFT JOIN change_attributions w ON w.change_id = c.id
LEFT JOIN change_events u ON u.reverted_by_change_id = c.id;
