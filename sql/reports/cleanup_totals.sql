-- Report `cleanup`, totals: images per verdict, and the snapshot storage their
-- deregistration would free, each snapshot counted once however many idle images map
-- it, at the snapshots' own tiers and as if all were at each rate.
-- Parameters: as-of (epoch microseconds), account, region, rate, archive_rate.
WITH images AS MATERIALIZED (
    -- Only the columns read below, so that the snapshot lists are never built.
    SELECT c.image_id, c.verdict, c.deregistration_protection, c.freed_snapshots,
           c.freed_gib, c.freed_archive_gib, c.freed_sized_by_volume
    FROM image_cleanup_as_of(make_timestamp($1::BIGINT)::TIMESTAMPTZ) c
    WHERE ($2::VARCHAR IS NULL OR list_contains(string_split($2::VARCHAR, ','), c.account_id))
      AND ($3::VARCHAR IS NULL OR c.region = $3::VARCHAR)
), verdicts AS (
    -- Every verdict, with none too.
    SELECT k.verdict, k.rank, count(i.image_id) AS images,
           count(i.image_id) FILTER (WHERE i.deregistration_protection LIKE 'enabled%') AS protected
    FROM (VALUES ('idle', 0), ('unknown', 1), ('in use', 2)) k(verdict, rank)
    LEFT JOIN images i ON i.verdict = k.verdict
    GROUP BY k.verdict, k.rank
), reclaimable AS (
    SELECT coalesce(sum(freed_snapshots), 0) AS snapshots,
           coalesce(sum(freed_gib), 0) AS gib,
           coalesce(sum(freed_archive_gib), 0) AS archive_gib,
           coalesce(sum(freed_sized_by_volume), 0) AS sized_by_volume
    FROM images
)
SELECT v.verdict, v.images, v.protected AS deregistration_protected,
       CASE WHEN v.verdict = 'idle' THEN r.snapshots END AS reclaimable_snapshots,
       CASE WHEN v.verdict = 'idle' THEN round(r.gib, 2) END AS reclaimable_gib,
       CASE WHEN v.verdict = 'idle'
            THEN round((r.gib - r.archive_gib) * $4::DOUBLE + r.archive_gib * $5::DOUBLE, 2)
       END AS monthly_usd_as_stored,
       CASE WHEN v.verdict = 'idle' THEN round(r.gib * $4::DOUBLE, 2) END AS monthly_usd_at_standard_rate,
       CASE WHEN v.verdict = 'idle' THEN round(r.gib * $5::DOUBLE, 2) END AS monthly_usd_at_archive_rate,
       CASE WHEN v.verdict = 'idle' THEN r.sized_by_volume END AS sized_by_volume
FROM verdicts v, reclaimable r
ORDER BY v.rank;
