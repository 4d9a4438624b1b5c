-- Indexes for /metrics and health scrapes, and for the cycle's lookup of a
-- target's last successful poll: without them a scrape reads every outbox row,
-- and a failing target's last good poll is found by walking back through every
-- failed one.
CREATE INDEX outbox_by_status_channel ON outbox (status, channel);
CREATE INDEX polls_ok_by_target ON polls (target_id, id) WHERE status = 'ok';

-- "Which rules are open to the world right now?" (current_rules WHERE
-- world_open): a seek on the world CIDRs instead of a scan of every current rule.
CREATE INDEX rule_versions_current_by_source ON rule_versions (source) WHERE removed_poll_id IS NULL;
