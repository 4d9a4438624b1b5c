-- Placeholder on branch i12-blast only: this number is reserved for another
-- branch's migration (trail: 0008). The runner refuses gaps, so 0010_blast_radius
-- needs it to exist here. DELETE THIS FILE WHEN MERGING: the real migration
-- of this number replaces it.
SELECT 1;
