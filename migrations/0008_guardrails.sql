-- Guardrails (issue 12 section 1): a change that breaks a guardrail is stored
-- with the guardrail's id and reason, so the changes view, the CLI and every
-- later alert (reminders read change rows) can say which rule of the house it
-- broke and why, long after the config that named it has changed.
--
-- The changes view is re-created with the same columns in the same order and
-- the two new ones at the end, so every documented query keeps working.

ALTER TABLE change_events ADD COLUMN guardrail_id TEXT;
ALTER TABLE change_events ADD COLUMN guardrail_reason TEXT;

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
       CASE WHEN c.kind NOT LIKE 'rule-%' THEN NULL
            WHEN c.from_port IS NULL OR c.to_port IS NULL THEN 'all'
            WHEN c.protocol IN ('icmp', 'icmpv6') THEN 'type ' || c.from_port || '/code ' || c.to_port
            WHEN c.from_port = c.to_port THEN CAST(c.from_port AS TEXT)
            ELSE c.from_port || '-' || c.to_port END AS ports,
       c.source,
       c.severity,
       -- What the change is now: acknowledged and reverted are later facts;
       -- detected_status keeps what was decided when it was found.
       CASE WHEN a.change_id IS NOT NULL THEN 'acknowledged'
            WHEN c.reverted_at IS NOT NULL AND c.status = 'unapproved' THEN 'reverted'
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
       c.guardrail_reason
FROM change_events c
JOIN targets t ON t.id = c.target_id
LEFT JOIN acknowledgements a ON a.change_id = c.id
LEFT JOIN change_attributions w ON w.change_id = c.id;
