-- Merges, in one pass, the listings that open a round and that no earlier merge has
-- recorded (no `listing_state` row, so no open sighting of theirs): partition.sql's
-- steps for all of them at once (docs/decisions/0012-first-merges-together.md).
--
-- Runs inside the round's transaction with nothing noted yet, after the caller has made
-- `batch_stage` (one narrow row per file and image id: file_index, the staging file's
-- place in the round; region, image_id, content_hash, view_hash, file_row_number) and
-- checked that no image has two contents in it, and `batch_args` (run_id). Equal to
-- merging the listings one after the other in file order: a content is one version
-- whichever listing brings it, noted from the first file that has it.

-- 1. (first_listings_ended.sql, whose answer names the regions whose versions it
--    ended) Content changed: end the open version.

-- 2. Seen again, unchanged, after an earlier partition of this same run ended it:
--    reopen it rather than store it twice.
UPDATE image_versions AS v
SET valid_to_run = NULL, valid_to = NULL
FROM (SELECT DISTINCT region, image_id, content_hash FROM batch_stage) s, batch_args a
WHERE v.valid_to_run = a.run_id AND v.region = s.region AND v.image_id = s.image_id
  AND v.content_hash = s.content_hash
  AND NOT EXISTS (
      SELECT 1 FROM image_versions o
      WHERE o.valid_to IS NULL AND o.region = v.region AND o.image_id = v.image_id);

-- 3. New content: one version for each image with no open version, from its first file.
INSERT INTO pending_versions
SELECT s.file_index, s.file_row_number, hash(s.region, s.image_id)
FROM batch_stage s
WHERE NOT EXISTS (
    SELECT 1 FROM image_versions v
    WHERE v.valid_to IS NULL AND v.region = s.region AND v.image_id = s.image_id)
QUALIFY row_number() OVER (PARTITION BY s.region, s.image_id ORDER BY s.file_index) = 1;

-- 4. A sighting for every staged row: none of these listings has an open one.
INSERT INTO pending_sightings
SELECT file_index, file_row_number, hash(region, image_id) FROM batch_stage;
