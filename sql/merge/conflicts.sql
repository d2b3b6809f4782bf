-- Whether the partition about to merge could see the rows the round has noted but not
-- yet inserted: run after `stage` and `merge_args` are made, before counts.sql.
--
-- Every statement of a partition's merge reads the tables only for the image ids it
-- listed (`stage`) and those of its own open sightings, in its own region. When neither
-- meets a noted row's (region, image id), the noted rows change nothing it decides, and
-- inserting them later stores what inserting them first would have. Otherwise the
-- caller flushes first. A hash collision can only ask for a flush that was not needed.
WITH touched AS (
    SELECT hash(a.region, s.image_id) AS key FROM stage s, merge_args a
    UNION ALL
    SELECT hash(a.region, g.image_id)
    FROM image_sightings g, merge_args a
    WHERE g.valid_to IS NULL AND g.region = a.region
      AND g.viewer_account_id = a.viewer_account_id AND g.scope = a.scope
)
SELECT EXISTS (SELECT 1 FROM pending_versions WHERE key IN (SELECT key FROM touched))
    OR EXISTS (SELECT 1 FROM pending_sightings WHERE key IN (SELECT key FROM touched));
