-- Alerts that reach the right people, in one thread (issue #12 section 4).
--
-- alert_threads: the subject each channel gave a drift alert. Its Message-ID is
-- derived from (poll, channel), so a follow-up (reminder, who made it, closed)
-- can reply in its thread; replying as "Re: <that subject>" keeps mail apps
-- that group by subject on the same conversation.
CREATE TABLE alert_threads (
  poll_id  INTEGER NOT NULL REFERENCES polls (id),
  channel  TEXT NOT NULL,
  subject  TEXT NOT NULL,
  -- The Message-ID's key when it is not derived from the poll: a route with a
  -- batch window sends several polls' changes in one digest mail, whose thread
  -- their follow-ups join.
  message_key TEXT,
  PRIMARY KEY (poll_id, channel)
);

-- A change to a group on the ignore list is recorded like any other, with the
-- entry's reason here, and not alerted on.
ALTER TABLE change_events ADD COLUMN ignored_reason TEXT;

-- An acknowledgement is announced once, as a reply in the thread of the alert
-- that reported the change. Those made before this migration are not news.
ALTER TABLE acknowledgements ADD COLUMN announced_at TEXT;
UPDATE acknowledgements SET announced_at = acked_at;
