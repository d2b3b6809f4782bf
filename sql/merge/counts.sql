-- What a partition's merge will do, counted before it does it: the first part of the
-- merge. The rest runs only where the counts say it can change a row: ended.sql and
-- gone.sql when an image changed or is gone, partition.sql when one was added or
-- changed.
--
-- Runs inside the round's transaction, with the temporary tables partition.sql
-- describes (`stage`, `merge_args`).
--
-- With `changed` and `gone` zero, every open sighting of this partition was staged again
-- with the same view: ended.sql would end none, so gone.sql would find none. With
-- `added` and `changed` zero, every staged image has an open sighting of this partition
-- with the same view and an open version with the same content: partition.sql would
-- change no row.

CREATE OR REPLACE TEMP TABLE merge_counts AS
WITH open_sightings AS (
    SELECT g.image_id, g.view_hash
    FROM image_sightings g, merge_args a
    WHERE g.valid_to IS NULL AND g.region = a.region
      AND g.viewer_account_id = a.viewer_account_id AND g.scope = a.scope
), open_versions AS (
    SELECT v.image_id, v.content_hash
    FROM image_versions v, merge_args a
    WHERE v.valid_to IS NULL AND v.region = a.region
)
SELECT
    (SELECT count(*) FROM stage s ANTI JOIN open_sightings o USING (image_id)) AS added,
    (SELECT count(*) FROM stage s
        JOIN open_sightings o USING (image_id)
        LEFT JOIN open_versions v USING (image_id)
        WHERE o.view_hash <> s.view_hash
           OR v.content_hash IS DISTINCT FROM s.content_hash) AS changed,
    (SELECT count(*) FROM open_sightings o ANTI JOIN stage s USING (image_id)) AS gone,
    -- Open versions, of this partition's images or any viewer's, that its content ends:
    -- what makes another listing's last merge out of date (src/store/merge.rs).
    (SELECT count(*) FROM stage s JOIN open_versions v USING (image_id)
        WHERE v.content_hash <> s.content_hash) AS versions_ended;
