-- Readable ICMP everywhere, and how sure `who` is.
--
-- For ICMP rules AWS puts the type in FromPort and the code in ToPort, so the
-- views printed "destination unreachable, fragmentation needed" (type 3, code 4)
-- as ports "3-4", while the CLI and the alerts say "type 3/code 4". The views
-- now spell ports exactly as model/describe-rule.ts formatPorts does:
-- 'all', '22', '20-25', or 'type 3/code 4' (-1 meaning any, as AWS writes it).
--
-- The changes view also gains who_match, the quality of the CloudTrail match
-- behind `who`: a "possible" match must not read as a fact.
--
-- SQLite cannot alter a view: each is dropped and re-created, with the same
-- columns in the same order (new ones at the end), so every documented query
-- keeps working.

DROP VIEW current_rules;
CREATE VIEW current_rules AS
SELECT t.account,
       t.region,
       r.group_id,
       g.name AS group_name,
       r.direction,
       r.protocol,
       CASE WHEN r.from_port IS NULL OR r.to_port IS NULL THEN 'all'
            WHEN r.protocol IN ('icmp', 'icmpv6') THEN 'type ' || r.from_port || '/code ' || r.to_port
            WHEN r.from_port = r.to_port THEN CAST(r.from_port AS TEXT)
            ELSE r.from_port || '-' || r.to_port END AS ports,
       r.source,
       r.source_kind,
       r.source_account,
       r.description,
       (r.source IN ('0.0.0.0/0', '::/0')) AS world_open,
       r.added_at AS since
FROM rule_versions r
JOIN targets t ON t.id = r.target_id
LEFT JOIN group_versions g ON g.target_id = r.target_id AND g.group_id = r.group_id AND g.removed_poll_id IS NULL
WHERE r.removed_poll_id IS NULL;

DROP VIEW group_history;
CREATE VIEW group_history AS
SELECT t.account,
       t.region,
       r.group_id,
       (SELECT g.name FROM group_versions g
         WHERE g.target_id = r.target_id AND g.group_id = r.group_id AND g.added_at <= r.added_at
         ORDER BY g.added_at DESC LIMIT 1) AS group_name,
       r.direction,
       r.protocol,
       CASE WHEN r.from_port IS NULL OR r.to_port IS NULL THEN 'all'
            WHEN r.protocol IN ('icmp', 'icmpv6') THEN 'type ' || r.from_port || '/code ' || r.to_port
            WHEN r.from_port = r.to_port THEN CAST(r.from_port AS TEXT)
            ELSE r.from_port || '-' || r.to_port END AS ports,
       r.source,
       r.description,
       r.added_at AS valid_from,
       r.removed_at AS valid_until
FROM rule_versions r
JOIN targets t ON t.id = r.target_id;

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
       w.match_quality AS who_match
FROM change_events c
JOIN targets t ON t.id = c.target_id
LEFT JOIN acknowledgements a ON a.change_id = c.id
LEFT JOIN change_attributions w ON w.change_id = c.id;
