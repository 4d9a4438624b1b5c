-- Short-lived openings and exposure from the record (issue 11, findings 2
-- and 4). Both are derived by joining trail_events with poll history
-- (src/trail/transient-store.ts); nothing here changes what polls recorded.
--
-- A transient opening is a rule added and removed again that no poll saw. It
-- is stored as a change of its own: a change_events row of kind rule-added,
-- judged like any addition (status approved/unapproved as decided), with
-- transient = 1, its CloudTrail times, and reverted_at at its removal (it is
-- closed already: no reminders, no revert matching).
ALTER TABLE change_events ADD COLUMN transient INTEGER NOT NULL DEFAULT 0 CHECK (transient IN (0, 1));

-- When CloudTrail says the change was made (the call's eventTime) and by which
-- event; NULL while no matching event is known (then the poll's time stands).
ALTER TABLE change_events ADD COLUMN changed_at TEXT;
ALTER TABLE change_events ADD COLUMN changed_event_id TEXT;
-- When CloudTrail says it was undone (the reverting change's call, or a
-- transient's removal), and by which event.
ALTER TABLE change_events ADD COLUMN undone_at TEXT;
ALTER TABLE change_events ADD COLUMN undone_event_id TEXT;

-- A transient is reported once: one per adding call and rule, whatever the
-- order or number of joins (the join checks first; this is the backstop).
CREATE UNIQUE INDEX change_events_transient_once ON change_events (target_id, changed_event_id, group_id, rule_key) WHERE transient = 1;
-- The join looks for rule changes still without CloudTrail times.
CREATE INDEX change_events_without_trail_time ON change_events (target_id, detected_at) WHERE changed_at IS NULL AND rule_key IS NOT NULL;

-- The changes view keeps every column in order (0008's definition) and gains,
-- at the end, when the change was made and undone and where each time comes
-- from ('cloudtrail' or 'poll'). Its status reads 'transient' for a transient
-- opening (detected_status keeps approved/unapproved).
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
       -- detected_status keeps what was decided when it was found. A transient
       -- opening stays 'transient' (it was never open when sgwatch looked).
       CASE WHEN c.transient = 1 THEN 'transient'
            WHEN a.change_id IS NOT NULL THEN 'acknowledged'
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
       c.guardrail_reason,
       -- When it was made: CloudTrail's eventTime when a call matches, else the detecting poll's time.
       coalesce(c.changed_at, c.detected_at) AS changed_at,
       CASE WHEN c.changed_at IS NOT NULL THEN 'cloudtrail' ELSE 'poll' END AS changed_from,
       -- When it was undone (NULL: it was not): CloudTrail's time, else the poll that saw it undone.
       coalesce(c.undone_at, c.reverted_at) AS undone_at,
       CASE WHEN c.undone_at IS NOT NULL THEN 'cloudtrail' WHEN c.reverted_at IS NOT NULL THEN 'poll' END AS undone_from
FROM change_events c
JOIN targets t ON t.id = c.target_id
LEFT JOIN acknowledgements a ON a.change_id = c.id
LEFT JOIN change_attributions w ON w.change_id = c.id;
