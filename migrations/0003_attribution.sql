-- Attribution: who made each change, from CloudTrail. A change is alerted when
-- it is detected; CloudTrail delivers events minutes later, so who made it is
-- a later fact stored beside the change, never a rewrite of it.

-- The CloudTrail event matched to a change.
CREATE TABLE change_attributions (
  change_id      INTEGER PRIMARY KEY REFERENCES change_events (id),
  event_id       TEXT NOT NULL,           -- CloudTrail eventID
  event_name     TEXT NOT NULL,           -- e.g. AuthorizeSecurityGroupIngress
  event_time     TEXT NOT NULL,           -- when the call was made (CloudTrail: whole seconds)
  actor_arn      TEXT,                    -- userIdentity.arn
  actor_type     TEXT,                    -- IAMUser, AssumedRole, Root, …
  actor_name     TEXT,                    -- user name or role session name
  access_key_id  TEXT,
  source_ip      TEXT,                    -- sourceIPAddress (an address, or an AWS service name)
  user_agent     TEXT,
  -- exact: the event names the change's rule/group/tags; likely, possible: see docs (src/attribution/match.ts).
  match_quality  TEXT NOT NULL CHECK (match_quality IN ('exact', 'likely', 'possible')),
  attributed_at  TEXT NOT NULL
);
CREATE INDEX change_attributions_by_actor ON change_attributions (actor_arn, event_time);
CREATE INDEX change_attributions_by_key ON change_attributions (access_key_id, event_time);

-- Where each change stands. NULL: not looked at yet (the attribution job sets
-- pending or n/a); pending: looking, retried until attribution.horizon after
-- detection; attributed: a row in change_attributions; unattributed: gave up;
-- n/a: attribution is off for the change's target.
ALTER TABLE change_events ADD COLUMN attribution_status TEXT
  CHECK (attribution_status IN ('pending', 'attributed', 'unattributed', 'n/a'));
ALTER TABLE change_events ADD COLUMN attribution_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE change_events ADD COLUMN attribution_last_attempt_at TEXT;
-- Changes detected before this version were never looked up.
UPDATE change_events SET attribution_status = 'n/a';
CREATE INDEX change_events_attribution_open ON change_events (id)
  WHERE attribution_status IS NULL OR attribution_status = 'pending';

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
            WHEN c.from_port IS NULL THEN 'all'
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
       coalesce(c.attribution_status, 'pending') AS attribution
FROM change_events c
JOIN targets t ON t.id = c.target_id
LEFT JOIN acknowledgements a ON a.change_id = c.id
LEFT JOIN change_attributions w ON w.change_id = c.id;
