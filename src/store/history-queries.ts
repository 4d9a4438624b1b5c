// Read queries over the stored history, for `sgwatch history`, `rules` and
// `diff`. History is intervals (see migrations/0001_init.sql): a version is
// valid at T when added_at <= T and (removed_at IS NULL OR removed_at > T).
// Every query here reads one target's group by (group_id, added_at) when a
// group is given, so it rides rule_versions_by_group / group_versions_by_group /
// change_events_by_group; `test/unit/history/query-plans.test.ts` checks it.
export * from "./history-groups.js";
export * from "./history-timeline.js";
export * from "./history-at.js";
