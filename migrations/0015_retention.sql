-- Retention (issue 14 section 1, history.keep): old detail can be compacted,
-- never silently. Each compaction run is a row here, with what it dropped by
-- kind, written in the same transaction as each batch it deleted, so a run
-- that stopped half way (a crash, a shutdown) still says what it dropped and
-- shows finished_at NULL. `sgwatch status` reads the latest one.
CREATE TABLE retention_runs (
  id                   INTEGER PRIMARY KEY,
  started_at           TEXT NOT NULL,
  finished_at          TEXT,              -- NULL: running, or stopped before the end
  keep                 TEXT NOT NULL,     -- history.keep as configured, e.g. "400d"
  cutoff               TEXT NOT NULL,     -- detail that ended before this was dropped
  changes              INTEGER NOT NULL DEFAULT 0,
  approval_links       INTEGER NOT NULL DEFAULT 0, -- change_approvals rows of dropped changes (tallied in approval_uses_compacted)
  attributions         INTEGER NOT NULL DEFAULT 0,
  rule_intervals       INTEGER NOT NULL DEFAULT 0,
  group_intervals      INTEGER NOT NULL DEFAULT 0,
  interface_intervals  INTEGER NOT NULL DEFAULT 0,
  poll_rows            INTEGER NOT NULL DEFAULT 0,
  alert_threads        INTEGER NOT NULL DEFAULT 0, -- mail thread subjects of dropped polls
  polls                INTEGER NOT NULL DEFAULT 0, -- sum(poll_count) of the dropped rows
  failed_polls         INTEGER NOT NULL DEFAULT 0, -- of which failed
  trail_events         INTEGER NOT NULL DEFAULT 0,
  trail_attempt_groups INTEGER NOT NULL DEFAULT 0
);

-- An approval record keeps its audit when the changes it covered are
-- compacted: how many, and when the first and last were detected, per run.
CREATE TABLE approval_uses_compacted (
  run_id        INTEGER NOT NULL REFERENCES retention_runs (id),
  approval_id   TEXT NOT NULL,
  changes       INTEGER NOT NULL,
  first_detected_at TEXT NOT NULL,
  last_detected_at  TEXT NOT NULL,
  PRIMARY KEY (approval_id, run_id)
);

-- Deleting a poll row with foreign keys on looks it up in every table that
-- references polls; without these, each deleted poll scans every interval
-- table. The removed_* ones are partial (current rows have NULL there): a
-- lookup by `= ?` implies NOT NULL, so SQLite uses them.
CREATE INDEX group_versions_by_added_poll ON group_versions (added_poll_id);
CREATE INDEX group_versions_by_removed_poll ON group_versions (removed_poll_id) WHERE removed_poll_id IS NOT NULL;
CREATE INDEX rule_versions_by_added_poll ON rule_versions (added_poll_id);
CREATE INDEX rule_versions_by_removed_poll ON rule_versions (removed_poll_id) WHERE removed_poll_id IS NOT NULL;
CREATE INDEX interface_versions_by_added_poll ON interface_versions (added_poll_id);
CREATE INDEX interface_versions_by_removed_poll ON interface_versions (removed_poll_id) WHERE removed_poll_id IS NOT NULL;
-- Closed intervals by when they closed: what a compaction batch reads.
CREATE INDEX rule_versions_closed ON rule_versions (removed_at) WHERE removed_at IS NOT NULL;
CREATE INDEX group_versions_closed ON group_versions (removed_at) WHERE removed_at IS NOT NULL;
CREATE INDEX interface_versions_closed ON interface_versions (removed_at) WHERE removed_at IS NOT NULL;
-- Deleting an attempt group looks up the events that name it.
CREATE INDEX trail_events_by_attempt_group ON trail_events (attempt_group_id) WHERE attempt_group_id IS NOT NULL;
-- (change_events.reverted_by_change_id: 0012's partial index serves the same lookup.)

-- changes_covered counts the changes a record covered, compacted ones too.
-- Every column of 0002's definition is kept, in its order.
DROP VIEW approvals;
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
       (SELECT count(*) FROM change_approvals ca WHERE ca.approval_id = r.id)
         + (SELECT ifnull(sum(u.changes), 0) FROM approval_uses_compacted u WHERE u.approval_id = r.id) AS changes_covered,
       r.revoked_at,
       r.revoked_by,
       r.revoke_reason
FROM approval_records r;
