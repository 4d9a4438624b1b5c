-- "Which rules are open to the world right now?" (current_rules WHERE
-- world_open AND direction = 'ingress'). The index of 0004 sought on the
-- source alone, and every group's default egress rule is 0.0.0.0/0: at 10,000
-- groups the query read 10,000 egress rows to return 81 ingress ones (7.7 ms).
-- Seeking on source and direction together reads only the rows returned
-- (0.7 ms). Source-only seeks use the new index's first column just as well.
CREATE INDEX rule_versions_current_by_source_direction ON rule_versions (source, direction) WHERE removed_poll_id IS NULL;
DROP INDEX rule_versions_current_by_source;
