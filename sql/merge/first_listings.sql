-- Merges, in one pass, the listings that open a round and that no earlier merge has
-- recorded (no `listing_state` row, so no open sighting of theirs): partition.sql's
-- steps for all of them at once (docs/decisions/0012-first-merges-together.md).
--
-- Runs inside the round's transaction with nothing noted yet, after the caller has made
-- `batch_stage` (one narrow row per listing and image id: listing, the listing's place
-- among them; file_index, its staging file's place in the round, and file_row_number,
-- the row's in that file; region, image_id, content_hash, view_hash) and checked that no
-- image has two contents in it, and `batch_args` (run_id). Equal to merging the listings
-- one after the other in their order: a content is one version whichever listing
-- brings it, noted from the first listing that has it.
--
-- The store's versions are read once (`batch_known`); the caller runs the statements
-- below, in order, separated by the `-- step` lines, and skips steps 1 and 3 when
-- `batch_known` and `batch_reopened` say they would change nothing.

-- step 0: the batch's images with an open version, and whether it holds their content.
CREATE OR REPLACE TEMP TABLE batch_known AS
SELECT v.rowid AS version_row, v.region, v.image_id, v.content_hash = s.content_hash AS same
FROM image_versions v
JOIN (SELECT DISTINCT region, image_id, content_hash FROM batch_stage) s
  ON v.region = s.region AND v.image_id = s.image_id
WHERE v.valid_to IS NULL;

-- step 1: content changed: end the open version.
UPDATE image_versions AS v
SET valid_to_run = a.run_id, valid_to = now()
FROM batch_args a
WHERE v.rowid IN (SELECT version_row FROM batch_known WHERE NOT same);

-- step 2: seen again, unchanged, after an earlier partition of this same run ended it
-- (and no open version holds it now): reopen it rather than store it twice.
CREATE OR REPLACE TEMP TABLE batch_reopened AS
SELECT v.rowid AS version_row, v.region, v.image_id
FROM image_versions v
JOIN (SELECT DISTINCT region, image_id, content_hash FROM batch_stage) s
  ON v.region = s.region AND v.image_id = s.image_id AND v.content_hash = s.content_hash,
     batch_args a
WHERE v.valid_to_run = a.run_id
  AND NOT EXISTS (SELECT 1 FROM batch_known k
                  WHERE k.same AND k.region = s.region AND k.image_id = s.image_id);

-- step 3
UPDATE image_versions SET valid_to_run = NULL, valid_to = NULL
WHERE rowid IN (SELECT version_row FROM batch_reopened);

-- step 4: new content: one version for each image with no open version, from its first
-- listing.
INSERT INTO pending_versions
SELECT s.file_index, s.file_row_number, hash(s.region, s.image_id)
FROM batch_stage s
WHERE NOT EXISTS (SELECT 1 FROM batch_known k
                  WHERE k.same AND k.region = s.region AND k.image_id = s.image_id)
  AND NOT EXISTS (SELECT 1 FROM batch_reopened r
                  WHERE r.region = s.region AND r.image_id = s.image_id)
QUALIFY row_number() OVER (PARTITION BY s.region, s.image_id ORDER BY s.listing) = 1;

-- step 5: a sighting for every staged row: none of these listings has an open one.
INSERT INTO pending_sightings
SELECT file_index, file_row_number, hash(region, image_id) FROM batch_stage;
