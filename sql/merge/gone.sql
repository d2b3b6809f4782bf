-- The versions a completed partition left without any open sighting: run after
-- partition.sql, and only when ended.sql ran. The temporary tables are partition.sql's.

-- An image with no open sighting left is gone: end its version. An image the partition
-- listed is not: its sighting is open, or noted for the round's flush (partition.sql).
UPDATE image_versions AS v
SET valid_to_run = a.run_id, valid_to = now()
FROM merge_args a
WHERE v.valid_to IS NULL AND v.region = a.region
  AND v.image_id IN (
      SELECT g.image_id FROM image_sightings g
      WHERE g.region = a.region AND g.viewer_account_id = a.viewer_account_id
        AND g.scope = a.scope AND g.valid_to_run = a.run_id)
  AND NOT EXISTS (
      SELECT 1 FROM image_sightings g
      WHERE g.valid_to IS NULL AND g.region = v.region AND g.image_id = v.image_id)
  AND NOT EXISTS (SELECT 1 FROM stage s WHERE s.image_id = v.image_id);
