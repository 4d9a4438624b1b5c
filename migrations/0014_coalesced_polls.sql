-- History that grows with change, not with time (issue 14 section 1): a
-- target's run of consecutive successful unchanged polls is one `polls` row,
-- extended in place by each further unchanged poll, instead of a row per poll.
--   started_at   the run's first poll started
--   finished_at  its last poll finished (so "when was this target last polled
--                successfully" is the same query as before)
--   poll_count   how many polls the row stands for: sum(poll_count), not
--                count(*), says how many polls there were in a range
--   run          1: a run of unchanged polls, which the target's next
--                unchanged poll extends while it is the target's latest row;
--                0: one poll in full detail (a baseline, a poll with changes,
--                a failure, the first good poll after failures, a poll that
--                saw interfaces move)
-- A failed row written for polls the database could not take when they
-- happened (src/store/record-poll.ts, recordLostPolls) counts all of them.
-- The runtime rule is src/store/poll-runs.ts; this file applies the same rule
-- to the history already stored.
ALTER TABLE polls ADD COLUMN poll_count INTEGER NOT NULL DEFAULT 1 CHECK (poll_count >= 1);
ALTER TABLE polls ADD COLUMN run INTEGER NOT NULL DEFAULT 0 CHECK (run IN (0, 1));

-- Lost-poll rows say how many polls they stand for in their message ("3 polls since …").
UPDATE polls SET poll_count = max(1, CAST(error AS INTEGER))
 WHERE status = 'failed' AND error_code IN ('db-locked', 'db-full', 'db-readonly', 'crash')
   AND error GLOB '[0-9]* could not be recorded (*';

-- Polls something points at keep their row: rule, group and interface
-- intervals, changes and alert threads name them.
CREATE TEMP TABLE poll_refs (id INTEGER PRIMARY KEY);
INSERT OR IGNORE INTO poll_refs SELECT added_poll_id FROM group_versions;
INSERT OR IGNORE INTO poll_refs SELECT removed_poll_id FROM group_versions WHERE removed_poll_id IS NOT NULL;
INSERT OR IGNORE INTO poll_refs SELECT added_poll_id FROM rule_versions;
INSERT OR IGNORE INTO poll_refs SELECT removed_poll_id FROM rule_versions WHERE removed_poll_id IS NOT NULL;
INSERT OR IGNORE INTO poll_refs SELECT added_poll_id FROM interface_versions;
INSERT OR IGNORE INTO poll_refs SELECT removed_poll_id FROM interface_versions WHERE removed_poll_id IS NOT NULL;
INSERT OR IGNORE INTO poll_refs SELECT poll_id FROM change_events;
INSERT OR IGNORE INTO poll_refs SELECT poll_id FROM alert_threads;

-- Each poll that joins a run: successful, not a baseline, no changes, nothing
-- points at it, and the target's previous row was a success. Runs break where
-- a poll that did not read interfaces follows one that did, so the last
-- interface read of a run is its last poll (interfaces_read stays exact), and
-- at UTC midnight (by started_at), so polls per day stay exact.
CREATE TEMP TABLE poll_members (id INTEGER PRIMARY KEY, target_id INTEGER NOT NULL, grp INTEGER NOT NULL);
INSERT INTO poll_members (id, target_id, grp)
WITH s AS (
  SELECT p.id, p.target_id, p.interfaces_read AS rd, substr(p.started_at, 1, 10) AS day,
         (p.status = 'ok' AND p.baseline = 0 AND coalesce(p.change_count, 0) = 0 AND r.id IS NULL
          AND coalesce(lag(p.status) OVER w = 'ok', 0)) AS member
  FROM polls p LEFT JOIN temp.poll_refs r ON r.id = p.id
  WINDOW w AS (PARTITION BY p.target_id ORDER BY p.id)
), b AS (
  SELECT id, target_id, rd, day, member, lag(member) OVER w AS prev_member, lag(rd) OVER w AS prev_rd, lag(day) OVER w AS prev_day
  FROM s WINDOW w AS (PARTITION BY target_id ORDER BY id)
), g AS (
  SELECT id, target_id, member,
         sum(CASE WHEN member AND (coalesce(prev_member, 0) = 0 OR (prev_rd = 1 AND rd = 0) OR prev_day != day) THEN 1 ELSE 0 END)
           OVER (PARTITION BY target_id ORDER BY id ROWS UNBOUNDED PRECEDING) AS grp
  FROM b
)
SELECT id, target_id, grp FROM g WHERE member;

CREATE TEMP TABLE poll_runs (head INTEGER PRIMARY KEY, last_id INTEGER NOT NULL, n INTEGER NOT NULL);
INSERT INTO poll_runs (head, last_id, n)
SELECT min(id), max(id), count(*) FROM temp.poll_members GROUP BY target_id, grp;

-- Each run's first row becomes the run: its start, its last poll's finish and interface read, the count.
UPDATE polls
   SET run = 1,
       poll_count = (SELECT n FROM temp.poll_runs WHERE head = polls.id),
       finished_at = (SELECT l.finished_at FROM temp.poll_runs r JOIN polls l ON l.id = r.last_id WHERE r.head = polls.id),
       interfaces_read = (SELECT l.interfaces_read FROM temp.poll_runs r JOIN polls l ON l.id = r.last_id WHERE r.head = polls.id)
 WHERE id IN (SELECT head FROM temp.poll_runs);

-- The rest of each run goes. Foreign keys are on, so each deleted row is
-- looked up in every table that references polls; these indexes make that a
-- seek instead of a scan of every interval, and go again once it is done.
CREATE INDEX coalesce_gv_added ON group_versions (added_poll_id);
CREATE INDEX coalesce_gv_removed ON group_versions (removed_poll_id);
CREATE INDEX coalesce_rv_added ON rule_versions (added_poll_id);
CREATE INDEX coalesce_rv_removed ON rule_versions (removed_poll_id);
CREATE INDEX coalesce_iv_added ON interface_versions (added_poll_id);
CREATE INDEX coalesce_iv_removed ON interface_versions (removed_poll_id);
DELETE FROM polls WHERE id IN (SELECT id FROM temp.poll_members) AND id NOT IN (SELECT head FROM temp.poll_runs);
DROP INDEX coalesce_gv_added;
DROP INDEX coalesce_gv_removed;
DROP INDEX coalesce_rv_added;
DROP INDEX coalesce_rv_removed;
DROP INDEX coalesce_iv_added;
DROP INDEX coalesce_iv_removed;

DROP TABLE temp.poll_refs;
DROP TABLE temp.poll_members;
DROP TABLE temp.poll_runs;

-- With a row per run rather than per poll, indexes on polls cost little, and
-- the questions people ask of it become seeks: which polls failed (the
-- README's query), and how many polls a target had since a time. Neither
-- covers a column that extending a run writes, so an unchanged poll still
-- touches no index.
CREATE INDEX polls_failed ON polls (id) WHERE status = 'failed';
CREATE INDEX polls_by_target_start ON polls (target_id, started_at);
