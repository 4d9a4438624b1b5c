-- CloudTrail as a second sensor: every security-group management event the
-- sweep reads (successful and failed), stored once by its eventID, and the
-- sweep's cursor and blind state per target. The sweep never writes poll
-- history; findings join the two stores.

-- Calls that failed for authorisation (a key trying what it may not), grouped
-- per target, identity and window: one failed-attempts alert per group, when
-- the group is first seen; later attempts in its window join it silently.
CREATE TABLE trail_attempt_groups (
  id            INTEGER PRIMARY KEY,
  target_id     INTEGER NOT NULL REFERENCES targets (id),
  identity      TEXT NOT NULL,            -- the identity's ARN, else its access key id
  window_start  TEXT NOT NULL,            -- the first attempt's time; the group takes attempts until window_start + cloudtrail.attemptWindow
  first_at      TEXT NOT NULL,
  last_at       TEXT NOT NULL,
  attempts      INTEGER NOT NULL,
  severity      TEXT NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low')), -- the worst the attempted changes would have been
  alerted_at    TEXT NOT NULL
);
CREATE INDEX trail_attempt_groups_by_identity ON trail_attempt_groups (target_id, identity, window_start);

CREATE TABLE trail_events (
  event_id         TEXT PRIMARY KEY,        -- CloudTrail eventID: each event is stored once
  target_id        INTEGER NOT NULL REFERENCES targets (id),
  event_time       TEXT NOT NULL,           -- when the call was made (ISO-8601 UTC; CloudTrail: whole seconds)
  account          TEXT NOT NULL,           -- recipientAccountId
  region           TEXT NOT NULL,           -- awsRegion
  event_name       TEXT NOT NULL,           -- e.g. AuthorizeSecurityGroupIngress
  group_id         TEXT,                    -- the security group the call named (the first one for CreateTags/DeleteTags)
  group_ids        TEXT NOT NULL,           -- JSON array of every sg- the call named
  -- The canonical rules the request named (JSON: {added, removed, described, modified}, rules as
  -- src/model spells them) and the same in words, for people.
  rules            TEXT NOT NULL,
  rules_text       TEXT NOT NULL,
  error_code       TEXT,                    -- NULL: the call succeeded; else e.g. Client.UnauthorizedOperation
  error_message    TEXT,
  identity_type    TEXT,                    -- userIdentity.type: IAMUser, AssumedRole, Root, AWSService, …
  identity_arn     TEXT,                    -- userIdentity.arn
  access_key_id    TEXT,                    -- userIdentity.accessKeyId
  source_ip        TEXT,                    -- sourceIPAddress (an address, or an AWS service's name)
  user_agent       TEXT,
  vpc_endpoint_id  TEXT,                    -- vpcEndpointId, when the call came through one
  record           TEXT NOT NULL,           -- the CloudTrail record as delivered (JSON)
  stored_at        TEXT NOT NULL,           -- when the sweep stored it: minus event_time, CloudTrail's delivery lag
  attempt_group_id INTEGER REFERENCES trail_attempt_groups (id) -- set for calls that failed for authorisation
);
CREATE INDEX trail_events_by_target_time ON trail_events (target_id, event_time);
CREATE INDEX trail_events_by_group ON trail_events (group_id, event_time);
CREATE INDEX trail_events_by_key ON trail_events (access_key_id, event_time);
CREATE INDEX trail_events_failed ON trail_events (event_time) WHERE error_code IS NOT NULL;

-- Where each target's sweep stands.
CREATE TABLE trail_cursors (
  target_id             INTEGER PRIMARY KEY REFERENCES targets (id),
  -- Every event up to here that had arrived when it was read is stored; the
  -- next sweep reads from here less the overlap window (late events).
  swept_until           TEXT,
  -- A range not read yet, because a sweep stopped at its page bound; read
  -- newest first, so backlog_until moves down toward backlog_from.
  backlog_from          TEXT,
  backlog_until         TEXT,
  -- A range read already, to read again for events delivered late, when a
  -- backlog left no room to re-read it with the new events (see src/trail/sweep.ts).
  recheck_from          TEXT,
  recheck_until         TEXT,
  last_sweep_at         TEXT,
  last_ok_at            TEXT,
  -- Blind bookkeeping, as targets has for polls.
  consecutive_failures  INTEGER NOT NULL DEFAULT 0,
  first_failure_at      TEXT,
  blind_since           TEXT,
  last_error            TEXT
);

CREATE VIEW trail_events_readable AS
SELECT e.event_time AS time,
       e.account,
       e.region,
       t.label,
       e.event_name,
       e.group_id,
       CASE WHEN e.error_code IS NULL THEN 'ok' ELSE 'failed' END AS outcome,
       e.error_code,
       e.error_message,
       e.rules_text AS rules,
       e.identity_arn AS who,
       e.identity_type AS who_type,
       e.access_key_id AS who_key,
       e.source_ip AS who_ip,
       e.user_agent,
       e.vpc_endpoint_id,
       e.event_id,
       e.stored_at
FROM trail_events e
JOIN targets t ON t.id = e.target_id;
