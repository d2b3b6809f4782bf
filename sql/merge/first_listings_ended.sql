-- Step 1 of first_listings.sql: content changed, end the open version. Returns the
-- region of each version it ends: those regions' epochs move on (src/store/merge.rs).
UPDATE image_versions AS v
SET valid_to_run = a.run_id, valid_to = now()
FROM (SELECT DISTINCT region, image_id, content_hash FROM batch_stage) s, batch_args a
WHERE v.valid_to IS NULL AND v.region = s.region AND v.image_id = s.image_id
  AND v.content_hash <> s.content_hash
RETURNING v.region
