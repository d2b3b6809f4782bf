-- The sightings a completed partition ended: run before partition.sql, and only when
-- counts.sql found an image changed or gone (otherwise every open sighting was listed
-- again, with the same view). The temporary tables are partition.sql's.

-- End this partition's sightings that the listing no longer returns, or returns with
-- another view.
UPDATE image_sightings AS g
SET valid_to_run = a.run_id, valid_to = now()
FROM merge_args a
WHERE g.valid_to IS NULL AND g.region = a.region
  AND g.viewer_account_id = a.viewer_account_id AND g.scope = a.scope
  AND NOT EXISTS (
      SELECT 1 FROM stage s
      WHERE s.image_id = g.image_id AND s.view_hash = g.view_hash);
