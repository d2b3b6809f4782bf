-- Report `posture`: per account and region at the instant, the image guardrails and
-- what runs against them: Allowed AMIs (state, criteria, who manages it), image block
-- public access, public images the account owns, owned images shared outside the
-- synced accounts (with an account, organization or OU, by their launch permissions)
-- and with how many such grantees, live instances (pending, running,
-- stopping, stopped) on images that are deprecated, disabled, not allowed
-- (ImageAllowed=false) or deregistered (as DescribeInstanceImageMetadata remembers
-- them, or gone from every listing of the store), and recycle-bin images with the
-- snapshot storage their last known mappings hold.
-- Parameters: as-of (epoch microseconds), account, region.
WITH args AS (
    SELECT make_timestamp(?::BIGINT)::TIMESTAMPTZ AS t, string_split(?::VARCHAR, ',') AS only_accounts,
           ?::VARCHAR AS only_region
), places AS (
    SELECT DISTINCT account_id, region FROM sync_partitions, args a
    WHERE finished_at <= a.t
      AND (a.only_accounts IS NULL OR list_contains(a.only_accounts, account_id))
      AND (a.only_region IS NULL OR region = a.only_region)
), settings AS (
    SELECT * FROM account_settings_as_of((SELECT t FROM args))
), owned_public AS (
    SELECT viewer_account_id AS account_id, region, count(*) AS public_images
    FROM image_views_as_of((SELECT t FROM args))
    WHERE scope = 'owned' AND owner_id = viewer_account_id AND public
    GROUP BY ALL
), outside AS (
    SELECT p.account_id, p.region, count(DISTINCT p.image_id) AS images,
           count(DISTINCT p.grantee) AS grantees
    FROM image_launch_permissions_as_of((SELECT t FROM args)) p
    WHERE (p.grantee_type = 'user'
           AND p.grantee NOT IN (SELECT DISTINCT account_id FROM sync_partitions))
       OR p.grantee_type IN ('organization', 'organizational-unit')
    GROUP BY ALL
), present AS (
    SELECT DISTINCT region, image_id FROM image_versions, args a
    WHERE valid_from <= a.t AND (valid_to IS NULL OR valid_to > a.t)
), live AS (
    SELECT i.*, p.image_id IS NOT NULL AS image_present
    FROM instances_as_of((SELECT t FROM args)) i
    LEFT JOIN present p ON p.region = i.region AND p.image_id = i.image_id
    WHERE i.instance_state IN ('pending', 'running', 'stopping', 'stopped')
), on_images AS (
    SELECT account_id, region,
           count(*) AS live_instances,
           count(*) FILTER (WHERE TRY_CAST(image_deprecation_time AS TIMESTAMPTZ) <= (SELECT t FROM args))
               AS on_deprecated,
           count(*) FILTER (WHERE image_state = 'disabled') AS on_disabled,
           count(*) FILTER (WHERE image_allowed = false) AS on_not_allowed,
           count(*) FILTER (WHERE image_state = 'deregistered'
                              OR (image_state IS NULL AND NOT image_present)) AS on_deregistered
    FROM live GROUP BY ALL
), bin AS (
    SELECT r.account_id, r.region, r.image_id,
           (SELECT list_sum([m.ebs.volume_size FOR m IN v.block_device_mappings
                             IF m.ebs.snapshot_id IS NOT NULL])
            FROM image_versions v
            WHERE v.region = r.region AND v.image_id = r.image_id
            ORDER BY v.valid_from DESC LIMIT 1) AS snapshot_gib
    FROM recycle_bin_images_as_of((SELECT t FROM args)) r
), bin_totals AS (
    SELECT account_id, region, count(*) AS recycle_bin_images,
           coalesce(sum(snapshot_gib), 0) AS recycle_bin_snapshot_gib
    FROM bin GROUP BY ALL
)
SELECT p.account_id, p.region,
       s.allowed_images_state, s.allowed_images_managed_by,
       CASE WHEN s.allowed_images_criteria IS NOT NULL
            THEN s.allowed_images_criteria::VARCHAR END AS allowed_images_criteria,
       s.image_block_public_access_state,
       coalesce(op.public_images, 0) AS public_images_owned,
       coalesce(x.images, 0) AS images_shared_outside,
       coalesce(x.grantees, 0) AS outside_grantees,
       coalesce(o.live_instances, 0) AS live_instances,
       coalesce(o.on_deprecated, 0) AS instances_on_deprecated_images,
       coalesce(o.on_disabled, 0) AS instances_on_disabled_images,
       coalesce(o.on_not_allowed, 0) AS instances_on_not_allowed_images,
       coalesce(o.on_deregistered, 0) AS instances_on_deregistered_images,
       coalesce(b.recycle_bin_images, 0) AS recycle_bin_images,
       coalesce(b.recycle_bin_snapshot_gib, 0) AS recycle_bin_snapshot_gib
FROM places p
LEFT JOIN settings s USING (account_id, region)
LEFT JOIN owned_public op USING (account_id, region)
LEFT JOIN outside x USING (account_id, region)
LEFT JOIN on_images o USING (account_id, region)
LEFT JOIN bin_totals b USING (account_id, region)
ORDER BY p.account_id, p.region;
