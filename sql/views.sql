-- The documented read surface. Re-created (CREATE OR REPLACE) when the store is opened
-- for writing and holds another release's views (table `amiq_views` keeps the
-- fingerprint of this text), so a new release's views replace the old ones; the tables
-- under them change only through numbered migrations.

-- What each viewer account was shown, under each scope, at instant t: one row per
-- (viewer_account_id, scope, region, image_id), the shared content joined with the
-- viewer's own view (tags, last launched time, image allowed). The
-- members are those of src/shape.rs (a test checks the list), in the order the store
-- first kept them; `unknown_members` holds what the reader did not know.
CREATE OR REPLACE MACRO image_views_as_of(t) AS TABLE
SELECT
    g.viewer_account_id, g.scope, v.region, v.image_id,
    v.image_location, v.state, v.owner_id, v.creation_date, v.creation_date_ts,
    v.public, v.product_codes, v.architecture, v.image_type, v.kernel_id,
    v.ramdisk_id, v.platform, v.platform_details, v.usage_operation,
    v.block_device_mappings, v.description, v.ena_support, v.hypervisor,
    v.image_owner_alias, v.name, v.root_device_name, v.root_device_type,
    v.sriov_net_support, v.state_reason, g.tags, v.virtualization_type, v.boot_mode,
    v.tpm_support, v.deprecation_time, v.deprecation_time_ts, v.imds_support,
    v.source_instance_id, v.deregistration_protection,
    g.last_launched_time, g.last_launched_time_ts, g.image_allowed,
    v.source_image_id, v.source_image_region, v.free_tier_eligible,
    v.public_ssm_parameter_name, v.image_watermarks, v.scan_results,
    v.instance_type_specification, v.unknown_members,
    greatest(v.valid_from, g.valid_from) AS seen_since
FROM image_sightings g
JOIN image_versions v ON v.region = g.region AND v.image_id = g.image_id
WHERE g.valid_from <= t AND (g.valid_to IS NULL OR g.valid_to > t)
  AND v.valid_from <= t AND (v.valid_to IS NULL OR v.valid_to > t);

-- The inventory at instant t: one row per (region, image_id). Where viewers were shown
-- different tags, last launched times or image-allowed flags, the owner's view wins,
-- then an owned or shared listing over a catalog, then the lowest account id.
CREATE OR REPLACE MACRO images_as_of(t) AS TABLE
SELECT * EXCLUDE (viewer_account_id, scope, seen_since)
FROM image_views_as_of(t)
QUALIFY row_number() OVER (
    PARTITION BY region, image_id
    ORDER BY (viewer_account_id = owner_id) DESC, (scope IN ('owned', 'shared')) DESC,
             viewer_account_id, scope) = 1;

-- The instant a run's last partition was merged: `images_as_of(run_time(42))` is the
-- inventory as run 42 left it.
CREATE OR REPLACE MACRO run_time(r) AS (
    SELECT max(finished_at) FROM sync_partitions WHERE run_id = r);

-- The current inventory.
CREATE OR REPLACE VIEW images AS
SELECT * FROM images_as_of('infinity'::TIMESTAMPTZ);

-- Every version of every image, with when it was valid (valid_to NULL: still valid).
CREATE OR REPLACE VIEW image_history AS
SELECT region, image_id, valid_from, valid_to, valid_from_run, valid_to_run,
       * EXCLUDE (region, image_id, valid_from, valid_to, valid_from_run, valid_to_run,
                  content_hash)
FROM image_versions;

-- Per account, region and scope: the last completed listing and the last attempt.
-- `dataset` is `images` for the image scopes; a dataset beside images is recorded under
-- its own name as scope.
CREATE OR REPLACE VIEW coverage AS
SELECT account_id, any_value(account_name) AS account_name, region, scope,
       CASE WHEN scope IN ('references', 'instances', 'snapshots', 'recycle-bin', 'settings',
                         'lineage', 'launch-permissions', 'usage-reports')
            THEN scope ELSE 'images' END AS dataset,
       bool_or(catalog) AS catalog,
       max(run_id) FILTER (WHERE status = 'completed') AS last_completed_run,
       max(finished_at) FILTER (WHERE status = 'completed') AS last_completed_at,
       max(run_id) AS last_run,
       arg_max(status, run_id) AS last_status,
       arg_max(error, run_id) AS last_error
FROM sync_partitions
GROUP BY account_id, region, scope;

-- The datasets beside images (sql/migrations/0003_datasets.sql), each as of instant t
-- and current: one row per record of each (account_id, region) listing, with the
-- instant since which it has been as it is (`seen_since`). Timestamps are TIMESTAMPTZ
-- columns named `*_ts`, as in `images`.

-- DescribeImageReferences: which of the account's resources name which image.
CREATE OR REPLACE MACRO image_references_as_of(t) AS TABLE
SELECT account_id, region, image_id, resource_type, arn, valid_from AS seen_since
FROM image_references_history
WHERE valid_from <= t AND (valid_to IS NULL OR valid_to > t);
CREATE OR REPLACE VIEW image_references AS
SELECT * FROM image_references_as_of('infinity'::TIMESTAMPTZ);

-- DescribeInstanceImageMetadata: instances and the image EC2 remembers for each.
CREATE OR REPLACE MACRO instances_as_of(t) AS TABLE
SELECT account_id, region, instance_id, instance_type, instance_state, launch_time_ts,
       availability_zone, zone_id, instance_owner_id, tags, image_id, image_name,
       image_owner_id, image_owner_alias, image_state, image_creation_date,
       image_deprecation_time, image_allowed, image_is_public, valid_from AS seen_since
FROM instances_history
WHERE valid_from <= t AND (valid_to IS NULL OR valid_to > t);
CREATE OR REPLACE VIEW instances AS
SELECT * FROM instances_as_of('infinity'::TIMESTAMPTZ);

-- DescribeSnapshots OwnerIds=self.
CREATE OR REPLACE MACRO snapshots_as_of(t) AS TABLE
SELECT account_id, region, snapshot_id, volume_id, volume_size,
       full_snapshot_size_in_bytes, storage_tier, start_time_ts, encrypted, state,
       description, owner_id, tags, valid_from AS seen_since
FROM snapshots_history
WHERE valid_from <= t AND (valid_to IS NULL OR valid_to > t);
CREATE OR REPLACE VIEW snapshots AS
SELECT * FROM snapshots_as_of('infinity'::TIMESTAMPTZ);

-- ListImagesInRecycleBin: deregistered images still kept, and billed, until they leave.
CREATE OR REPLACE MACRO recycle_bin_images_as_of(t) AS TABLE
SELECT account_id, region, image_id, name, description, recycle_bin_enter_time_ts,
       recycle_bin_exit_time_ts, valid_from AS seen_since
FROM recycle_bin_history
WHERE valid_from <= t AND (valid_to IS NULL OR valid_to > t);
CREATE OR REPLACE VIEW recycle_bin_images AS
SELECT * FROM recycle_bin_images_as_of('infinity'::TIMESTAMPTZ);

-- GetAllowedImagesSettings and GetImageBlockPublicAccessState, per account and region.
CREATE OR REPLACE MACRO account_settings_as_of(t) AS TABLE
SELECT account_id, region, allowed_images_state, allowed_images_criteria,
       allowed_images_managed_by, image_block_public_access_state,
       image_block_public_access_managed_by, valid_from AS seen_since
FROM account_settings_history
WHERE valid_from <= t AND (valid_to IS NULL OR valid_to > t);
CREATE OR REPLACE VIEW account_settings AS
SELECT * FROM account_settings_as_of('infinity'::TIMESTAMPTZ);


-- The organization's member accounts and where each sits in its tree of OUs, as the
-- last listing of the organization before t found them (`[organization]`).
CREATE OR REPLACE MACRO accounts_as_of(t) AS TABLE
SELECT member_account_id AS account_id, name, email, status, joined_method, joined_time_ts,
       parent_id, parent_name, ou_path, ou_path_ids, account_id AS listed_by,
       valid_from AS seen_since
FROM accounts_history
WHERE valid_from <= t AND (valid_to IS NULL OR valid_to > t);
CREATE OR REPLACE VIEW accounts AS
SELECT * FROM accounts_as_of('infinity'::TIMESTAMPTZ);

-- GetImageAncestry: each owned copy's chain to its root, position 0 the image itself.
CREATE OR REPLACE MACRO image_lineage_as_of(t) AS TABLE
SELECT account_id, region, image_id, position, ancestor_image_id, ancestor_creation_date,
       TRY_CAST(ancestor_creation_date AS TIMESTAMPTZ) AS ancestor_creation_date_ts,
       ancestor_owner_alias, ancestor_source_image_id, ancestor_source_image_region,
       valid_from AS seen_since
FROM lineage_history
WHERE valid_from <= t AND (valid_to IS NULL OR valid_to > t);
CREATE OR REPLACE VIEW image_lineage AS
SELECT * FROM image_lineage_as_of('infinity'::TIMESTAMPTZ);

-- DescribeImageAttribute launchPermission: who may launch each owned image besides its
-- owner: `group` `all` (public), a `user` (an account id), an `organization` or an
-- `organizational-unit` (their ARNs).
CREATE OR REPLACE MACRO image_launch_permissions_as_of(t) AS TABLE
SELECT account_id, region, image_id, grantee_type, grantee, valid_from AS seen_since
FROM launch_permissions_history
WHERE valid_from <= t AND (valid_to IS NULL OR valid_to > t);
CREATE OR REPLACE VIEW image_launch_permissions AS
SELECT * FROM image_launch_permissions_as_of('infinity'::TIMESTAMPTZ);

-- DescribeImageUsageReports: the owner's reports on how its images are used, in every
-- account (`account_ids` NULL) or those listed; `entries` once the report is available.
CREATE OR REPLACE MACRO image_usage_reports_as_of(t) AS TABLE
SELECT account_id, region, report_id, image_id, state, state_reason, creation_time_ts,
       expiration_time_ts, account_ids, resource_types, entries, tags,
       valid_from AS seen_since
FROM usage_reports_history
WHERE valid_from <= t AND (valid_to IS NULL OR valid_to > t);
CREATE OR REPLACE VIEW image_usage_reports AS
SELECT * FROM image_usage_reports_as_of('infinity'::TIMESTAMPTZ);

-- DescribeImageUsageReportEntries: one row per account and resource type a report
-- counted (`used_by_account_id` runs `usage_count` instances or keeps that many launch
-- templates on the image).
CREATE OR REPLACE MACRO image_usage_report_entries_as_of(t) AS TABLE
SELECT account_id, region, report_id, image_id, creation_time_ts AS report_creation_time_ts,
       e.account_id AS used_by_account_id, e.resource_type AS resource_type,
       e.usage_count AS usage_count
FROM (SELECT account_id, region, report_id, image_id, creation_time_ts, unnest(entries) AS e
      FROM image_usage_reports_as_of(t));
CREATE OR REPLACE VIEW image_usage_report_entries AS
SELECT * FROM image_usage_report_entries_as_of('infinity'::TIMESTAMPTZ);

-- What each image the synced accounts own is to a cleanup, at instant t: one row per
-- owned image with its verdict and the evidence for it. `report cleanup` reads it.
--   in use:  a synced account's resource names it (DescribeImageReferences: instances,
--            launch template versions, SSM parameters, Image Builder recipes), or an
--            instance of a synced account runs or is stopped on it
--            (DescribeInstanceImageMetadata);
--            or an account outside the synced set does, as its newest usage report
--            counts (DescribeImageUsageReportEntries: instances, launch templates);
--   unknown: nothing names it, but the answer cannot be complete: the references of an
--            account that can use it (its owner, or a synced account it is shared
--            with) were never synced or last failed, or it is public or shared with an
--            account, organization or OU outside the synced set (launch permissions)
--            and no available usage report counting instances and launch templates in
--            every account (or, for an account, in that account) covers it;
--   idle:    nothing names it and every account that can use it was asked.
-- An image with copies in use (`copies_in_use`, from the lineage dataset) keeps its
-- verdict, and `why` names them: deleting it does not break them, but it is their
-- source.
-- `snapshots` lists the EBS snapshots its mappings name, each with its size
-- (`FullSnapshotSizeInBytes` where DescribeSnapshots gave it, else the volume size:
-- `size_from` says which), its tier, how many images of synced accounts map it, and
-- whether deregistering the idle images frees it: only when every image that maps it
-- is idle, so a snapshot several images share is freed once (`counted_here` at one of
-- them), and not while one of them is in use. The same in numbers: `snapshot_gib`,
-- `reclaimable_gib` (of which `reclaimable_archive_gib` in the archive tier), and the
-- `freed_*` columns, which count each freed snapshot at one image so that they add up.
CREATE OR REPLACE MACRO image_cleanup_as_of(t) AS TABLE
WITH owned AS MATERIALIZED (
    -- Narrow: the owners' own listings, with only the members the report shows.
    SELECT v.owner_id, v.region, v.image_id, v.name, v.state, v.public, v.creation_date,
           v.deprecation_time, v.deregistration_protection, g.last_launched_time,
           list_distinct([m.ebs.snapshot_id FOR m IN v.block_device_mappings
                          IF m.ebs.snapshot_id IS NOT NULL]) AS snapshot_ids
    FROM image_sightings g
    JOIN image_versions v ON v.region = g.region AND v.image_id = g.image_id
    WHERE g.scope = 'owned' AND g.viewer_account_id = v.owner_id
      AND g.valid_from <= t AND (g.valid_to IS NULL OR g.valid_to > t)
      AND v.valid_from <= t AND (v.valid_to IS NULL OR v.valid_to > t)
), synced AS (
    SELECT DISTINCT account_id FROM sync_partitions
), grants AS (
    -- Who may launch each owned image besides its owner (the launch-permissions dataset).
    SELECT p.region, p.image_id, p.grantee_type, p.grantee,
           p.grantee_type = 'user' AND p.grantee IN (SELECT account_id FROM synced) AS synced
    FROM image_launch_permissions_as_of(t) p
    SEMI JOIN owned o ON o.region = p.region AND o.image_id = p.image_id
                     AND o.owner_id = p.account_id
    WHERE NOT (p.grantee_type = 'user' AND p.grantee = p.account_id)
), users AS (
    -- Every synced account that can use an owned image: its owner and the synced
    -- accounts it is shared with (seen in their shared listings or its permissions).
    SELECT region, image_id, owner_id AS account_id FROM owned
    UNION
    SELECT g.region, g.image_id, g.viewer_account_id
    FROM image_sightings g
    JOIN owned o ON o.region = g.region AND o.image_id = g.image_id
    WHERE g.scope = 'shared' AND g.viewer_account_id <> o.owner_id
      AND g.valid_from <= t AND (g.valid_to IS NULL OR g.valid_to > t)
    UNION
    SELECT region, image_id, grantee FROM grants WHERE synced
), report AS (
    -- Each owned image's newest available usage report that counts instances and
    -- launch templates.
    SELECT r.region, r.image_id, r.report_id, r.creation_time_ts, r.account_ids, r.entries
    FROM image_usage_reports_as_of(t) r
    SEMI JOIN owned o ON o.region = r.region AND o.image_id = r.image_id
                     AND o.owner_id = r.account_id
    WHERE r.state = 'available'
      AND list_has_all(r.resource_types, ['ec2:Instance', 'ec2:LaunchTemplate'])
    QUALIFY row_number() OVER (PARTITION BY r.region, r.image_id
                               ORDER BY r.creation_time_ts DESC, r.report_id DESC) = 1
), outside AS (
    -- Who may use an owned image outside the synced accounts and its usage report
    -- does not cover: everyone for a public image, else the grantee.
    SELECT x.region, x.image_id,
           CASE x.grantee_type WHEN 'group' THEN 'public: any account may use it'
                               WHEN 'user' THEN 'shared with ' || x.grantee
                                                || ' outside the synced accounts'
                               ELSE 'shared with ' || x.grantee_type || ' ' || x.grantee END
           || CASE WHEN r.report_id IS NULL THEN ' and no usage report covers it'
                   ELSE ' and its usage report ' || r.report_id || ' does not cover it' END
               AS gap
    FROM (SELECT region, image_id, grantee_type, grantee FROM grants
          WHERE NOT synced AND grantee_type <> 'group'
          UNION ALL
          SELECT region, image_id, 'group', 'all' FROM owned WHERE public) x
    LEFT JOIN report r ON r.region = x.region AND r.image_id = x.image_id
    WHERE r.report_id IS NULL
       OR (r.account_ids IS NOT NULL
           AND NOT (x.grantee_type = 'user' AND list_contains(r.account_ids, x.grantee)))
), asked AS (
    -- Each account's last references listing per region at t.
    SELECT account_id, region, arg_max(status, finished_at) AS status
    FROM sync_partitions
    WHERE scope = 'references' AND finished_at <= t
    GROUP BY account_id, region
), gaps AS (
    -- Why the answer may be incomplete: users outside first, then the synced accounts
    -- whose references are missing.
    SELECT region, image_id, string_agg(gap, '; ' ORDER BY kind, gap) AS gaps
    FROM (SELECT region, image_id, 0 AS kind, gap FROM outside
          UNION ALL
          SELECT u.region, u.image_id, 1,
                 CASE WHEN a.status IS NULL THEN 'references of ' || u.account_id || ' never synced'
                      ELSE 'references of ' || u.account_id || ' last failed' END
          FROM users u
          LEFT JOIN asked a ON a.account_id = u.account_id AND a.region = u.region
          WHERE a.status IS DISTINCT FROM 'completed')
    GROUP BY region, image_id
), refs AS (
    SELECT r.* FROM image_references_as_of(t) r
    SEMI JOIN owned o ON o.region = r.region AND o.image_id = r.image_id
), live_instances AS (
    -- Instances on the image, by either dataset; an instance counts once.
    SELECT region, image_id, account_id, regexp_extract(arn, 'instance/(.+)$', 1) AS instance_id
    FROM refs WHERE resource_type = 'ec2:Instance'
    UNION
    SELECT i.region, i.image_id, i.account_id, i.instance_id FROM instances_as_of(t) i
    SEMI JOIN owned o ON o.region = i.region AND o.image_id = i.image_id
    WHERE i.instance_state IN ('pending', 'running', 'stopping', 'stopped')
), uses AS (
    -- `n` resources of a kind: one per reference, or the count of a usage report's
    -- entry for an account outside the synced set (the synced ones' own references
    -- are newer than any report).
    SELECT region, image_id, account_id, 'instance' AS what, 1 AS n, false AS outside
    FROM live_instances
    UNION ALL
    SELECT region, image_id, account_id,
           CASE resource_type WHEN 'ec2:LaunchTemplate' THEN 'launch template'
                              WHEN 'ssm:Parameter' THEN 'ssm parameter'
                              WHEN 'imagebuilder:ImageRecipe' THEN 'image recipe'
                              WHEN 'imagebuilder:ContainerRecipe' THEN 'container recipe'
                              ELSE resource_type END,
           1, false
    FROM refs WHERE resource_type <> 'ec2:Instance'
    UNION ALL
    SELECT region, image_id, e.account_id,
           CASE e.resource_type WHEN 'ec2:Instance' THEN 'instance'
                                WHEN 'ec2:LaunchTemplate' THEN 'launch template'
                                ELSE e.resource_type END,
           e.usage_count, true
    FROM (SELECT region, image_id, unnest(entries) AS e FROM report)
    WHERE e.usage_count > 0 AND e.account_id NOT IN (SELECT account_id FROM synced)
), evidence AS (
    SELECT region, image_id,
           count(*) FILTER (WHERE what = 'instance' AND NOT outside) AS instances,
           count(*) FILTER (WHERE what = 'launch template' AND NOT outside) AS launch_templates,
           count(*) FILTER (WHERE what = 'ssm parameter') AS ssm_parameters,
           count(*) FILTER (WHERE what IN ('image recipe', 'container recipe')) AS recipes,
           coalesce(sum(n) FILTER (WHERE what = 'instance' AND outside), 0)::BIGINT
               AS outside_instances,
           coalesce(sum(n) FILTER (WHERE what = 'launch template' AND outside), 0)::BIGINT
               AS outside_launch_templates,
           list(DISTINCT account_id ORDER BY account_id) AS used_by_accounts
    FROM uses GROUP BY region, image_id
), shared_with AS (
    -- The accounts each shared image is shared with, synced or not (most images are
    -- not shared).
    SELECT region, image_id, list(DISTINCT account_id ORDER BY account_id) AS accounts
    FROM (SELECT u.region, u.image_id, u.account_id
          FROM users u JOIN owned o ON o.region = u.region AND o.image_id = u.image_id
          WHERE u.account_id <> o.owner_id
          UNION ALL
          SELECT region, image_id, grantee FROM grants WHERE grantee_type = 'user')
    GROUP BY region, image_id
), verdicts AS MATERIALIZED (
    SELECT o.*,
           CASE WHEN e.image_id IS NOT NULL THEN 'in use'
                WHEN g.gaps IS NOT NULL THEN 'unknown'
                ELSE 'idle' END AS verdict,
           CASE WHEN e.image_id IS NOT NULL THEN
                    concat_ws(', ',
                        CASE WHEN e.instances > 0 THEN e.instances || ' instance(s)' END,
                        CASE WHEN e.launch_templates > 0 THEN e.launch_templates || ' launch template version(s)' END,
                        CASE WHEN e.ssm_parameters > 0 THEN e.ssm_parameters || ' SSM parameter(s)' END,
                        CASE WHEN e.recipes > 0 THEN e.recipes || ' Image Builder recipe(s)' END,
                        CASE WHEN e.outside_instances > 0 THEN e.outside_instances
                             || ' instance(s) outside the synced accounts' END,
                        CASE WHEN e.outside_launch_templates > 0 THEN e.outside_launch_templates
                             || ' launch template(s) outside the synced accounts' END)
                    || ' in ' || array_to_string(e.used_by_accounts, ', ')
                    || CASE WHEN e.outside_instances + e.outside_launch_templates > 0
                            THEN ' (usage report ' || r.report_id || ')' ELSE '' END
                WHEN g.gaps IS NOT NULL THEN g.gaps
                ELSE 'no resource names it in '
                     || array_to_string(list_prepend(o.owner_id, coalesce(a.accounts, [])), ', ')
                     || CASE WHEN r.report_id IS NOT NULL
                             THEN '; usage report ' || r.report_id || ' counts no use elsewhere'
                             ELSE '' END
           END AS why,
           coalesce(e.instances, 0) AS instances,
           coalesce(e.launch_templates, 0) AS launch_templates,
           coalesce(e.ssm_parameters, 0) AS ssm_parameters,
           coalesce(e.recipes, 0) AS recipes,
           coalesce(e.outside_instances, 0) AS outside_instances,
           coalesce(e.outside_launch_templates, 0) AS outside_launch_templates,
           r.report_id AS usage_report_id,
           coalesce(e.used_by_accounts, []) AS used_by_accounts,
           coalesce(a.accounts, []) AS shared_with_accounts
    FROM owned o
    LEFT JOIN evidence e ON e.region = o.region AND e.image_id = o.image_id
    LEFT JOIN gaps g ON g.region = o.region AND g.image_id = o.image_id
    LEFT JOIN shared_with a ON a.region = o.region AND a.image_id = o.image_id
    LEFT JOIN report r ON r.region = o.region AND r.image_id = o.image_id
), copies_in_use AS (
    -- The images in use that are copies (at any remove) of an owned image: the
    -- lineage dataset's chains.
    SELECT l.ancestor_image_id AS image_id, list(DISTINCT l.image_id ORDER BY l.image_id) AS copies
    FROM image_lineage_as_of(t) l
    JOIN verdicts v ON v.region = l.region AND v.image_id = l.image_id
    WHERE l.position > 0 AND v.verdict = 'in use'
    GROUP BY l.ancestor_image_id
), mapped AS (
    -- Every current image of a synced account that maps a snapshot: only they can map
    -- a synced account's snapshots (an image registered from a snapshot shared with
    -- its account included).
    SELECT region, image_id, m.snapshot_id AS snapshot_id, m.volume_size AS mapping_gib
    FROM (SELECT region, image_id,
                 unnest(list_distinct([m.ebs FOR m IN block_device_mappings
                                       IF m.ebs.snapshot_id IS NOT NULL])) AS m
          FROM image_versions
          WHERE valid_from <= t AND (valid_to IS NULL OR valid_to > t)
            AND owner_id IN (SELECT account_id FROM synced))
), by_snapshot AS (
    -- An image that is not an owned one of the store counts as in use: nothing says it
    -- is idle. The snapshot is counted at the lowest image id that maps it.
    SELECT m.region, m.snapshot_id,
           count(*) AS images,
           min(m.image_id) AS counted_at,
           bool_and(coalesce(v.verdict = 'idle', false)) AS reclaimable,
           max(m.mapping_gib) AS mapping_gib
    FROM mapped m LEFT JOIN verdicts v ON v.region = m.region AND v.image_id = m.image_id
    GROUP BY m.region, m.snapshot_id
), sized AS (
    SELECT b.region, b.snapshot_id, b.images, b.counted_at, b.reclaimable,
           CASE WHEN s.full_snapshot_size_in_bytes IS NOT NULL
                THEN s.full_snapshot_size_in_bytes / 1073741824.0
                ELSE coalesce(s.volume_size, b.mapping_gib)::DOUBLE END AS gib,
           CASE WHEN s.full_snapshot_size_in_bytes IS NOT NULL THEN 'full snapshot size'
                ELSE 'volume size' END AS size_from,
           coalesce(s.storage_tier, 'standard') AS storage_tier
    FROM by_snapshot b
    LEFT JOIN snapshots_as_of(t) s ON s.region = b.region AND s.snapshot_id = b.snapshot_id
), image_snapshots AS (
    SELECT v.region, v.image_id, z.*, z.counted_at = v.image_id AS counted_here
    FROM (SELECT region, image_id, unnest(snapshot_ids) AS snapshot_id FROM verdicts) v
    JOIN sized z ON z.region = v.region AND z.snapshot_id = v.snapshot_id
), storage AS (
    -- Per image, in plain numbers (reports read these); `freed_*` count each snapshot
    -- that deregistering the idle images frees at one image only, so they add up.
    SELECT region, image_id,
           count(*) AS snapshot_count,
           count(*) FILTER (WHERE images > 1) AS shared_snapshots,
           sum(gib) AS snapshot_gib,
           coalesce(sum(gib) FILTER (WHERE reclaimable), 0) AS reclaimable_gib,
           coalesce(sum(gib) FILTER (WHERE reclaimable AND storage_tier = 'archive'), 0)
               AS reclaimable_archive_gib,
           bool_or(size_from = 'volume size') AS sized_by_volume,
           count(*) FILTER (WHERE reclaimable AND counted_here) AS freed_snapshots,
           coalesce(sum(gib) FILTER (WHERE reclaimable AND counted_here), 0) AS freed_gib,
           coalesce(sum(gib) FILTER (WHERE reclaimable AND counted_here
                                     AND storage_tier = 'archive'), 0) AS freed_archive_gib,
           count(*) FILTER (WHERE reclaimable AND counted_here AND size_from = 'volume size')
               AS freed_sized_by_volume
    FROM image_snapshots
    GROUP BY region, image_id
), snapshot_lists AS (
    SELECT region, image_id,
           list({'snapshot_id': snapshot_id, 'gib': gib, 'size_from': size_from,
                 'storage_tier': storage_tier, 'reclaimable': reclaimable,
                 'images': images, 'counted_here': counted_here}) AS snapshots
    FROM image_snapshots
    GROUP BY region, image_id
)
SELECT v.owner_id AS account_id, v.region, v.image_id, v.name, v.state, v.verdict,
       CASE WHEN c.copies IS NOT NULL
            THEN v.why || '; copies of it in use: ' || array_to_string(c.copies, ', ')
            ELSE v.why END AS why,
       v.instances, v.launch_templates, v.ssm_parameters, v.recipes,
       v.outside_instances, v.outside_launch_templates, v.usage_report_id,
       v.used_by_accounts, v.shared_with_accounts, coalesce(c.copies, []) AS copies_in_use,
       v.public, v.creation_date, v.last_launched_time, v.deprecation_time,
       v.deregistration_protection, v.snapshot_ids,
       coalesce(st.snapshot_count, 0) AS snapshot_count,
       coalesce(st.shared_snapshots, 0) AS shared_snapshots,
       coalesce(st.snapshot_gib, 0) AS snapshot_gib,
       coalesce(st.reclaimable_gib, 0) AS reclaimable_gib,
       coalesce(st.reclaimable_archive_gib, 0) AS reclaimable_archive_gib,
       coalesce(st.sized_by_volume, false) AS sized_by_volume,
       coalesce(st.freed_snapshots, 0) AS freed_snapshots,
       coalesce(st.freed_gib, 0) AS freed_gib,
       coalesce(st.freed_archive_gib, 0) AS freed_archive_gib,
       coalesce(st.freed_sized_by_volume, 0) AS freed_sized_by_volume,
       coalesce(sl.snapshots, []) AS snapshots
FROM verdicts v
LEFT JOIN storage st ON st.region = v.region AND st.image_id = v.image_id
LEFT JOIN snapshot_lists sl ON sl.region = v.region AND sl.image_id = v.image_id
LEFT JOIN copies_in_use c ON c.image_id = v.image_id;

-- Each EBS snapshot an owned image maps (from `image_cleanup_as_of`), once.
CREATE OR REPLACE MACRO snapshot_cleanup_as_of(t) AS TABLE
SELECT account_id, region, s.snapshot_id AS snapshot_id, s.images AS images,
       s.reclaimable AS reclaimable, s.gib AS gib, s.size_from AS size_from,
       s.storage_tier AS storage_tier
FROM (SELECT account_id, region, unnest(snapshots) AS s FROM image_cleanup_as_of(t))
WHERE s.counted_here;
