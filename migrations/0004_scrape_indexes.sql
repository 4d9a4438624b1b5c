-- Indexes for /metrics and health scrapes, and for the cycle's lookup of a
-- target's last successful poll: without them a scrape reads every outbox row,
-- and a failing target's last good poll is found by walking back through every
-- failed one.
CREATE INDEX outbox_by_status_channel ON outbox (status, channel);
CREATE INDEX polls_ok_by_target ON polls (target_id, id) WHERE status = 'ok';
