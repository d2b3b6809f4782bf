-- Report `cleanup`: every image the synced accounts own, with a verdict (in use, idle,
-- unknown: see `image_cleanup_as_of` in sql/views.sql) and its evidence, and the EBS
-- snapshot storage its deregistration would free: the snapshots only idle images map,
-- each image showing them whole (`shared_snapshots` says how many other images map too;
-- the totals section counts each once). Monthly cost at the snapshot's tier: `rate`
-- for standard, `archive_rate` for archive. Idle first, largest reclaimable first.
-- Parameters: as-of (epoch microseconds), account, region, rate, archive_rate.
WITH args AS (
    SELECT make_timestamp(?::BIGINT)::TIMESTAMPTZ AS t, ?::VARCHAR AS only_account,
           ?::VARCHAR AS only_region, ?::DOUBLE AS rate, ?::DOUBLE AS archive_rate
), images AS (
    SELECT c.* FROM image_cleanup_as_of((SELECT t FROM args)) c, args a
    WHERE (a.only_account IS NULL OR c.account_id = a.only_account)
      AND (a.only_region IS NULL OR c.region = a.only_region)
)
SELECT i.account_id, i.region, i.image_id, i.name, i.verdict, i.why,
       i.instances, i.launch_templates, i.ssm_parameters, i.recipes,
       array_to_string(i.used_by_accounts, ' ') AS used_by,
       array_to_string(i.shared_with_accounts, ' ') AS shared_with,
       array_to_string(i.copies_in_use, ' ') AS copies_in_use,
       i.public, i.last_launched_time, i.deprecation_time, i.deregistration_protection,
       i.snapshot_count AS snapshots, i.shared_snapshots,
       round(i.snapshot_gib, 2) AS snapshot_gib,
       round(i.reclaimable_gib, 2) AS reclaimable_gib,
       round((i.reclaimable_gib - i.reclaimable_archive_gib) * a.rate
             + i.reclaimable_archive_gib * a.archive_rate, 2) AS reclaimable_monthly_usd,
       CASE WHEN i.sized_by_volume THEN 'volume size (no FullSnapshotSizeInBytes)'
            WHEN i.snapshot_count > 0 THEN 'full snapshot size' END AS sized_by
FROM images i, args a
ORDER BY CASE i.verdict WHEN 'idle' THEN 0 WHEN 'unknown' THEN 1 ELSE 2 END,
         reclaimable_gib DESC, i.account_id, i.region, i.image_id;
