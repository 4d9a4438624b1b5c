-- The approval workflow: records mirrored into the database (from files) or
-- created there (from the CLI), after-the-fact acknowledgements, reverts with
-- their exposure time, and reminders. Detection-time facts in change_events
-- (status, approval_id) are never rewritten; later facts sit beside them.

-- Every approved change record sgwatch has seen.
CREATE TABLE approval_records (
  id                     TEXT PRIMARY KEY,              -- the ticket, e.g. CHG-1042
  origin                 TEXT NOT NULL CHECK (origin IN ('file', 'cli')),
  file                   TEXT,                          -- origin file: where it is
  line                   INTEGER,
  reason                 TEXT NOT NULL,
  approved_by            TEXT NOT NULL,
  window_from            TEXT NOT NULL,
  window_until           TEXT NOT NULL,
  standing               INTEGER NOT NULL DEFAULT 0 CHECK (standing IN (0, 1)),
  selector               TEXT NOT NULL,                 -- readable: groupId sg-…, groupName web, tags env=prod
  changes_text           TEXT NOT NULL,                 -- readable: "add ingress tcp 443 from 10.0.0.0/8; …"
  record                 TEXT NOT NULL,                 -- the normalised record, JSON
  created_at             TEXT NOT NULL,
  updated_at             TEXT NOT NULL,
  -- A file record whose file (or entry) disappeared: no longer matched; the past is kept.
  withdrawn_at           TEXT,
  revoked_at             TEXT,
  revoked_by             TEXT,
  revoke_reason          TEXT,
  -- Set once the "approved but it never happened" report went out.
  unfulfilled_reported_at TEXT
);

-- Which records covered which change (all of them; change_events.approval_id is the narrowest).
CREATE TABLE change_approvals (
  change_id   INTEGER NOT NULL REFERENCES change_events (id),
  approval_id TEXT NOT NULL,
  PRIMARY KEY (change_id, approval_id)
);
CREATE INDEX change_approvals_by_approval ON change_approvals (approval_id);
INSERT INTO change_approvals (change_id, approval_id)
  SELECT c.id, j.value FROM change_events c, json_each(c.approval_ids) j WHERE c.approval_ids IS NOT NULL;

-- After-the-fact acceptance of an unapproved change.
CREATE TABLE acknowledgements (
  change_id INTEGER PRIMARY KEY REFERENCES change_events (id),
  acked_at  TEXT NOT NULL,
  acked_by  TEXT NOT NULL,
  reason    TEXT NOT NULL,
  ticket    TEXT
);

-- The rule's identity, to find the change a later removal or restoration reverts.
ALTER TABLE change_events ADD COLUMN rule_key TEXT;
UPDATE change_events
   SET rule_key = direction || '|' || protocol || '|' || ifnull(from_port, '') || '|' || ifnull(to_port, '') || '|' ||
                  source_kind || '|' || source || '|' || ifnull(source_account, '') || '|' || ifnull(peering_id, '')
 WHERE kind LIKE 'rule-%';
-- An unapproved added rule that disappeared again (or a removed one restored).
ALTER TABLE change_events ADD COLUMN reverted_at TEXT;
ALTER TABLE change_events ADD COLUMN reverted_by_change_id INTEGER REFERENCES change_events (id);
-- Observed exposure: from the poll that first saw the change to the poll that saw it undone.
ALTER TABLE change_events ADD COLUMN exposure_seconds INTEGER;
ALTER TABLE change_events ADD COLUMN last_reminded_at TEXT;
CREATE INDEX change_events_open_by_rule ON change_events (target_id, group_id, rule_key) WHERE reverted_at IS NULL;

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
       c.poll_id
FROM change_events c
JOIN targets t ON t.id = c.target_id
LEFT JOIN acknowledgements a ON a.change_id = c.id;

CREATE VIEW approvals AS
SELECT r.id,
       CASE WHEN r.revoked_at IS NOT NULL THEN 'revoked'
            WHEN r.withdrawn_at IS NOT NULL THEN 'withdrawn'
            WHEN r.window_until < strftime('%Y-%m-%dT%H:%M:%fZ', 'now') THEN 'expired'
            WHEN r.window_from > strftime('%Y-%m-%dT%H:%M:%fZ', 'now') THEN 'scheduled'
            ELSE 'active' END AS state,
       r.window_from,
       r.window_until,
       r.standing,
       r.selector,
       r.changes_text AS allows,
       r.approved_by,
       r.reason,
       r.origin,
       r.file,
       r.line,
       (SELECT count(*) FROM change_approvals ca WHERE ca.approval_id = r.id) AS changes_covered,
       r.revoked_at,
       r.revoked_by,
       r.revoke_reason
FROM approval_records r;
