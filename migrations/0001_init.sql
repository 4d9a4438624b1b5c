-- sgwatch schema, version 1.
-- History is kept as intervals: a row lives from the poll that first saw it
-- (added_poll_id/added_at) to the poll that no longer saw it
-- (removed_poll_id/removed_at; NULL while current). An unchanged poll adds one
-- row to `polls` and nothing else. Timestamps are ISO-8601 UTC text.

-- One row per monitored account × region.
CREATE TABLE targets (
  id                   INTEGER PRIMARY KEY,
  account              TEXT NOT NULL,
  region               TEXT NOT NULL,
  label                TEXT,
  created_at           TEXT NOT NULL,
  -- Failure bookkeeping for monitoring-blind / monitoring-restored alerts.
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  blind_since          TEXT,
  last_error           TEXT,
  UNIQUE (account, region)
);

-- Every poll attempt, successful or not. A failed poll changes nothing else.
CREATE TABLE polls (
  id           INTEGER PRIMARY KEY,
  target_id    INTEGER NOT NULL REFERENCES targets (id),
  started_at   TEXT NOT NULL,
  finished_at  TEXT NOT NULL,
  status       TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
  -- 1 for the first successful poll of a target: recorded, not alerted.
  baseline     INTEGER NOT NULL DEFAULT 0 CHECK (baseline IN (0, 1)),
  pages        INTEGER,
  group_count  INTEGER,
  rule_count   INTEGER,
  change_count INTEGER,
  error_code   TEXT,
  error        TEXT
);
CREATE INDEX polls_by_target ON polls (target_id, id);

-- Versions of each group's attributes. A rename or a tag change closes one
-- version and opens the next.
CREATE TABLE group_versions (
  id              INTEGER PRIMARY KEY,
  target_id       INTEGER NOT NULL REFERENCES targets (id),
  group_id        TEXT NOT NULL,
  name            TEXT NOT NULL,
  description     TEXT NOT NULL,
  vpc_id          TEXT,
  owner_id        TEXT NOT NULL,
  tags            TEXT NOT NULL, -- JSON object, keys sorted
  added_poll_id   INTEGER NOT NULL REFERENCES polls (id),
  added_at        TEXT NOT NULL,
  removed_poll_id INTEGER REFERENCES polls (id),
  removed_at      TEXT
);
CREATE UNIQUE INDEX group_versions_current ON group_versions (target_id, group_id) WHERE removed_poll_id IS NULL;
CREATE INDEX group_versions_by_group ON group_versions (group_id, added_at);

-- Versions of each canonical rule. A description edit closes one version and
-- opens the next, so "what did sg-X look like at T" includes descriptions.
CREATE TABLE rule_versions (
  id              INTEGER PRIMARY KEY,
  target_id       INTEGER NOT NULL REFERENCES targets (id),
  group_id        TEXT NOT NULL,
  rule_key        TEXT NOT NULL,
  direction       TEXT NOT NULL CHECK (direction IN ('ingress', 'egress')),
  protocol        TEXT NOT NULL,
  from_port       INTEGER,
  to_port         INTEGER,
  source_kind     TEXT NOT NULL CHECK (source_kind IN ('ipv4', 'ipv6', 'prefix-list', 'security-group')),
  source          TEXT NOT NULL,
  source_account  TEXT,
  peering_id      TEXT,
  description     TEXT,
  added_poll_id   INTEGER NOT NULL REFERENCES polls (id),
  added_at        TEXT NOT NULL,
  removed_poll_id INTEGER REFERENCES polls (id),
  removed_at      TEXT
);
CREATE UNIQUE INDEX rule_versions_current ON rule_versions (target_id, group_id, rule_key) WHERE removed_poll_id IS NULL;
CREATE INDEX rule_versions_by_group ON rule_versions (group_id, added_at);

-- Every detected change, judged against the approval records.
CREATE TABLE change_events (
  id              INTEGER PRIMARY KEY,
  poll_id         INTEGER NOT NULL REFERENCES polls (id),
  target_id       INTEGER NOT NULL REFERENCES targets (id),
  detected_at     TEXT NOT NULL,
  -- The previous successful poll: the change happened in (interval_start, detected_at].
  interval_start  TEXT,
  kind            TEXT NOT NULL CHECK (kind IN ('group-created', 'group-deleted', 'group-changed',
                                               'rule-added', 'rule-removed', 'rule-description-changed')),
  group_id        TEXT NOT NULL,
  group_name      TEXT NOT NULL,
  vpc_id          TEXT,
  direction       TEXT,
  protocol        TEXT,
  from_port       INTEGER,
  to_port         INTEGER,
  source_kind     TEXT,
  source          TEXT,
  source_account  TEXT,
  peering_id      TEXT,
  description     TEXT,
  old_description TEXT,
  before          TEXT, -- JSON, group-changed only
  after           TEXT, -- JSON, group-changed only
  severity        TEXT NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low')),
  status          TEXT NOT NULL CHECK (status IN ('approved', 'unapproved')),
  approval_id     TEXT,  -- the covering record (the narrowest when several)
  approval_ids    TEXT,  -- JSON array of every covering record
  approval_note   TEXT   -- for unapproved changes: the nearest record and why it did not cover
);
CREATE INDEX change_events_by_time ON change_events (detected_at);
CREATE INDEX change_events_by_group ON change_events (group_id, detected_at);
CREATE INDEX change_events_by_status ON change_events (status, severity, detected_at);
CREATE INDEX change_events_by_poll ON change_events (poll_id);

-- Alerts to deliver, written in the same transaction as the changes that
-- caused them, so a crash or an SMTP outage delays an alert, never loses it.
CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY,
  created_at      TEXT NOT NULL,
  -- When delivery (re)started: created_at, or the time of `sgwatch alerts retry`.
  -- An alert that cannot be delivered within alerts.retry.maxAge of it is marked dead.
  queued_at       TEXT NOT NULL,
  channel         TEXT NOT NULL,
  kind            TEXT NOT NULL,
  severity        TEXT NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low')),
  payload         TEXT NOT NULL, -- JSON, everything the channel needs to render
  status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  last_error      TEXT,
  sent_at         TEXT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

-- ---------------------------------------------------------------------------
-- Views for people at the sqlite3 shell: no joins needed.

-- "tcp 22-22" reads worse than "tcp 22"; one spelling of ports for every view.
CREATE VIEW current_rules AS
SELECT t.account,
       t.region,
       r.group_id,
       g.name AS group_name,
       r.direction,
       r.protocol,
       CASE WHEN r.from_port IS NULL THEN 'all'
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

CREATE VIEW current_groups AS
SELECT t.account, t.region, g.group_id, g.name, g.vpc_id, g.description, g.tags, g.added_at AS since
FROM group_versions g
JOIN targets t ON t.id = g.target_id
WHERE g.removed_poll_id IS NULL;

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
       c.status,
       c.approval_id,
       c.description,
       c.old_description,
       c.before,
       c.after,
       c.approval_note,
       c.interval_start AS since_previous_poll,
       c.poll_id
FROM change_events c
JOIN targets t ON t.id = c.target_id;

-- Every version of every group's rules, as intervals: valid_from inclusive,
-- valid_until exclusive (NULL = still current). "What did sg-X look like at T":
--   SELECT * FROM group_history WHERE group_id = 'sg-X'
--     AND valid_from <= T AND (valid_until IS NULL OR valid_until > T);
CREATE VIEW group_history AS
SELECT t.account,
       t.region,
       r.group_id,
       (SELECT g.name FROM group_versions g
         WHERE g.target_id = r.target_id AND g.group_id = r.group_id AND g.added_at <= r.added_at
         ORDER BY g.added_at DESC LIMIT 1) AS group_name,
       r.direction,
       r.protocol,
       CASE WHEN r.from_port IS NULL THEN 'all'
            WHEN r.from_port = r.to_port THEN CAST(r.from_port AS TEXT)
            ELSE r.from_port || '-' || r.to_port END AS ports,
       r.source,
       r.description,
       r.added_at AS valid_from,
       r.removed_at AS valid_until
FROM rule_versions r
JOIN targets t ON t.id = r.target_id;

-- Distinct problems found in approval files, so each one alerts once, not on
-- every cycle: a typo must neither silence alerts nor flood them.
CREATE TABLE approval_problems (
  key        TEXT PRIMARY KEY,
  file       TEXT NOT NULL,
  line       INTEGER,
  message    TEXT NOT NULL,
  first_seen TEXT NOT NULL,
  last_seen  TEXT NOT NULL
);
