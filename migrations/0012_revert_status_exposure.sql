-- What is left of issue 12: the changes view tells the change that undid an
-- unapproved one (status `revert`, `closes` = the id it closed) from drift,
-- and shows the interface an exposure-added change is about; blast radius
-- counts broad sources (severity.broadSources) like the world.
--
-- broad_sources: the thresholds the daemon last judged with (written from
-- severity.broadSources whenever it opens the database), so the
-- current_exposure view says "broad" exactly where the alerts do. Until a
-- daemon writes it, the defaults: IPv4 prefix shorter than /8, IPv6 shorter
-- than /32; a /0 or /1 is always broad.
CREATE TABLE broad_sources (
  id                INTEGER PRIMARY KEY CHECK (id = 1),
  ipv4_shorter_than INTEGER NOT NULL,
  ipv6_shorter_than INTEGER NOT NULL
);
INSERT INTO broad_sources (id, ipv4_shorter_than, ipv6_shorter_than) VALUES (1, 8, 32);

-- "Which change closed #12?" without scanning every change.
CREATE INDEX change_events_by_reverted_by ON change_events (reverted_by_change_id) WHERE reverted_by_change_id IS NOT NULL;

-- The changes view keeps every column of migration 0011 in order and gains,
-- at the end: closes, interface_id, interface_kind, instance_id, public_ip.
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
       c.public_ip
FROM change_events c
JOIN targets t ON t.id = c.target_id
LEFT JOIN acknowledgements a ON a.change_id = c.id
LEFT JOIN change_attributions w ON w.change_id = c.id
LEFT JOIN change_events u ON u.reverted_by_change_id = c.id;

-- current_exposure keeps its columns in order and gains `breadth` at the end
-- (world: exactly 0.0.0.0/0 or ::/0; broad: a range broad_sources calls broad).
DROP VIEW current_exposure;
CREATE VIEW current_exposure AS
SELECT t.account,
       t.region,
       r.group_id,
       g.name AS group_name,
       r.protocol,
       CASE WHEN r.from_port IS NULL OR r.to_port IS NULL THEN 'all'
            WHEN r.protocol IN ('icmp', 'icmpv6') THEN 'type ' || r.from_port || '/code ' || r.to_port
            WHEN r.from_port = r.to_port THEN CAST(r.from_port AS TEXT)
            ELSE r.from_port || '-' || r.to_port END AS ports,
       r.source,
       i.interface_id,
       i.kind,
       i.instance_id,
       i.public_ip,
       max(r.added_at, i.added_at) AS since,
       CASE WHEN r.source IN ('0.0.0.0/0', '::/0') THEN 'world' ELSE 'broad' END AS breadth
FROM rule_versions r
JOIN targets t ON t.id = r.target_id
JOIN interface_versions i ON i.target_id = r.target_id AND i.group_id = r.group_id AND i.removed_poll_id IS NULL AND i.public_ip IS NOT NULL
LEFT JOIN group_versions g ON g.target_id = r.target_id AND g.group_id = r.group_id AND g.removed_poll_id IS NULL
CROSS JOIN broad_sources b
WHERE r.removed_poll_id IS NULL
  AND r.direction = 'ingress'
  AND r.source_kind IN ('ipv4', 'ipv6')
  -- Sources are stored canonical ("a.b.c.d/p", "x::/p"): the prefix is what follows the slash.
  AND (CAST(substr(r.source, instr(r.source, '/') + 1) AS INTEGER) <= 1
       OR CAST(substr(r.source, instr(r.source, '/') + 1) AS INTEGER)
          < CASE r.source_kind WHEN 'ipv4' THEN b.ipv4_shorter_than ELSE b.ipv6_shorter_than END);
