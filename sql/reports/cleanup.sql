-- Report `cleanup`: every image the synced accounts own, with a verdict (in use, idle,
-- unknown: see `image_cleanup_as_of` in sql/views.sql) and its evidence, and the EBS
-- snapshot storage its deregistration would free: the snapshots only idle images map,
-- each image showing them whole (`shared_snapshots` says how many other images map too;
-- the totals section counts each once). Monthly cost at the snapshot's tier: `rate`
-- for standard, `archive_rate` for archive. Idle first, largest reclaimable first.
-- Parameters: as-of (epoch microseconds), account, region, rate, archive_rate. They are
-- used as they are, not through a one-row CTE: the as-of instant is then a constant the
-- macro's filters reach, and no cross product with a one-row relation holds the rows.
SELECT i.account_id, i.region, i.image_id, i.name, i.verdict, i.why,
       i.instances, i.launch_templates, i.ssm_parameters, i.recipes,
       array_to_string(i.used_by_accounts, ' ') AS used_by,
       array_to_string(i.shared_with_accounts, ' ') AS shared_with,
       array_to_string(i.copies_in_use, ' ') AS copies_in_use,
       i.public, i.last_launched_time, i.deprecation_time, i.deregistration_protection,
       i.snapshot_count AS snapshots, i.shared_snapshots,
       round(i.snapshot_gib, 2) AS snapshot_gib,
       round(i.reclaimable_gib, 2) AS reclaimable_gib,
       round((i.reclaimable_gib - i.reclaimable_archive_gib) * $4::DOUBLE
             + i.reclaimable_archive_gib * $5::DOUBLE, 2) AS reclaimable_monthly_usd,
       CASE WHEN i.sized_by_volume THEN 'volume size (no FullSnapshotSizeInBytes)'
            WHEN i.snapshot_count > 0 THEN 'full snapshot size' END AS sized_by
FROM image_cleanup_as_of(make_timestamp($1::BIGINT)::TIMESTAMPTZ) i
WHERE ($2::VARCHAR IS NULL OR list_contains(string_split($2::VARCHAR, ','), i.account_id))
  AND ($3::VARCHAR IS NULL OR i.region = $3::VARCHAR)
ORDER BY CASE i.verdict WHEN 'idle' THEN 0 WHEN 'unknown' THEN 1 ELSE 2 END,
         reclaimable_gib DESC, i.account_id, i.region, i.image_id;
