-- Placeholder on branch i12-guard only: this number is reserved for another
-- branch's migration (health: 0007, trail: 0008). The runner refuses gaps, so
-- 0009_guardrails needs it to exist here. DELETE THIS FILE WHEN MERGING: the
-- real migration of this number replaces it.
SELECT 1;
