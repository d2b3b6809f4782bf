-- Report `cleanup`, totals: images per verdict, and the snapshot storage their
-- deregistration would free, each snapshot counted once however many idle images map
-- it, at the snapshots' own tiers and as if all were at each rate.
-- Parameters: as-of (epoch microseconds), account, region, rate, archive_rate.
WITH args AS (
    SELECT make_timestamp(?::BIGINT)::TIMESTAMPTZ AS t, ?::VARCHAR AS only_account,
           ?::VARCHAR AS only_region, ?::DOUBLE AS rate, ?::DOUBLE AS archive_rate
), images AS (
    SELECT c.* FROM image_cleanup_as_of((SELECT t FROM args)) c, args a
    WHERE (a.only_account IS NULL OR c.account_id = a.only_account)
      AND (a.only_region IS NULL OR c.region = a.only_region)
), snaps AS (
    SELECT s.* FROM snapshot_cleanup_as_of((SELECT t FROM args)) s, args a
    WHERE (a.only_account IS NULL OR s.account_id = a.only_account)
      AND (a.only_region IS NULL OR s.region = a.only_region)
), verdicts AS (
    -- Every verdict, with none too.
    SELECT k.verdict, k.rank, count(i.image_id) AS images,
           count(i.image_id) FILTER (WHERE i.deregistration_protection LIKE 'enabled%') AS protected
    FROM (VALUES ('idle', 0), ('unknown', 1), ('in use', 2)) k(verdict, rank)
    LEFT JOIN images i ON i.verdict = k.verdict
    GROUP BY k.verdict, k.rank
), reclaimable AS (
    SELECT count(*) AS snapshots, coalesce(sum(gib), 0) AS gib,
           coalesce(sum(gib * CASE storage_tier WHEN 'archive' THEN a.archive_rate ELSE a.rate END), 0) AS as_stored,
           coalesce(sum(gib), 0) * (SELECT rate FROM args) AS at_standard,
           coalesce(sum(gib), 0) * (SELECT archive_rate FROM args) AS at_archive,
           count(*) FILTER (WHERE size_from = 'volume size') AS sized_by_volume
    FROM snaps, args a WHERE reclaimable
)
SELECT v.verdict, v.images, v.protected AS deregistration_protected,
       CASE WHEN v.verdict = 'idle' THEN r.snapshots END AS reclaimable_snapshots,
       CASE WHEN v.verdict = 'idle' THEN round(r.gib, 2) END AS reclaimable_gib,
       CASE WHEN v.verdict = 'idle' THEN round(r.as_stored, 2) END AS monthly_usd_as_stored,
       CASE WHEN v.verdict = 'idle' THEN round(r.at_standard, 2) END AS monthly_usd_at_standard_rate,
       CASE WHEN v.verdict = 'idle' THEN round(r.at_archive, 2) END AS monthly_usd_at_archive_rate,
       CASE WHEN v.verdict = 'idle' THEN r.sized_by_volume END AS sized_by_volume
FROM verdicts v, reclaimable r
ORDER BY v.rank;
