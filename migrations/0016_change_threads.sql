-- Mail threads of alerts that report changes but are not a poll's drift alert
-- (issue #12 section 4: "every follow-up … is a reply in the thread of the
-- alert it follows"). A transient opening is reported by its own alert, sent
-- when the CloudTrail join decides it, not by the deciding poll's drift alert
-- (alert_threads, keyed by poll): a follow-up about it (its acknowledgement)
-- must reply to that alert, so each channel's subject and Message-ID key are
-- remembered per change it reported. Dropped with the change by compaction.
CREATE TABLE change_threads (
  change_id   INTEGER NOT NULL REFERENCES change_events (id),
  channel     TEXT NOT NULL,
  subject     TEXT NOT NULL,
  message_key TEXT NOT NULL,
  PRIMARY KEY (change_id, channel)
);
