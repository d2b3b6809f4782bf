-- Merges what one completed partition adds or changes: new and changed versions, and
-- new sightings. Runs after counts.sql has counted the changes, and after ended.sql when
-- the listing ended any sighting; skipped when nothing was added or changed.
--
-- Runs inside the round's transaction (see round.sql), after the caller has made `stage`
-- (one narrow row per image id: image_id, content_hash, view_hash and the
-- file_row_number of the row that wins) and `merge_args` (one row: run_id, region,
-- viewer_account_id, scope, and file_index, the staging file's place in the round).
-- now() is the transaction's start: every row this merge opens or ends carries that one
-- instant.
--
-- Which rows to insert is decided here, on the narrow `stage`; the rows are only noted
-- (file_index, file_row_number, and a hash of region and image id for conflicts.sql).
-- flush.sql then streams the wide rows of every noted partition from their files in one
-- INSERT per table, so that no hash table ever holds a wide row, and the table gets full
-- row groups that the next checkpoint has no reason to rewrite.

-- 1. Content changed: end the open version.
UPDATE image_versions AS v
SET valid_to_run = a.run_id, valid_to = now()
FROM stage s, merge_args a
WHERE v.valid_to IS NULL AND v.region = a.region AND v.image_id = s.image_id
  AND v.content_hash <> s.content_hash;

-- 2. Seen again, unchanged, after an earlier partition of this same run ended it (the
--    image moved between scopes or viewers): reopen it rather than store it twice.
UPDATE image_versions AS v
SET valid_to_run = NULL, valid_to = NULL
FROM stage s, merge_args a
WHERE v.valid_to_run = a.run_id AND v.region = a.region AND v.image_id = s.image_id
  AND v.content_hash = s.content_hash
  AND NOT EXISTS (
      SELECT 1 FROM image_versions o
      WHERE o.valid_to IS NULL AND o.region = v.region AND o.image_id = v.image_id);

-- 3. New content: one version for each staged image that has no open version. Only the
--    row's place is noted here; flush.sql inserts the wide rows of every partition the
--    round has noted at once.
INSERT INTO pending_versions
SELECT a.file_index, s.file_row_number, hash(a.region, s.image_id)
FROM stage s, merge_args a
WHERE NOT EXISTS (
    SELECT 1 FROM image_versions v
    WHERE v.valid_to IS NULL AND v.region = a.region AND v.image_id = s.image_id);

-- 4. Open a sighting for every staged image this partition has no open sighting of.
INSERT INTO pending_sightings
SELECT a.file_index, s.file_row_number, hash(a.region, s.image_id)
FROM stage s, merge_args a
WHERE NOT EXISTS (
    SELECT 1 FROM image_sightings g
    WHERE g.valid_to IS NULL AND g.region = a.region
      AND g.viewer_account_id = a.viewer_account_id AND g.scope = a.scope
      AND g.image_id = s.image_id);
