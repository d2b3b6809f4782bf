-- The documented read surface. Re-created (CREATE OR REPLACE) whenever the store is
-- opened for writing, so a new release's views replace the old ones; the tables under
-- them change only through numbered migrations.

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
CREATE OR REPLACE VIEW coverage AS
SELECT account_id, any_value(account_name) AS account_name, region, scope,
       bool_or(catalog) AS catalog,
       max(run_id) FILTER (WHERE status = 'completed') AS last_completed_run,
       max(finished_at) FILTER (WHERE status = 'completed') AS last_completed_at,
       max(run_id) AS last_run,
       arg_max(status, run_id) AS last_status,
       arg_max(error, run_id) AS last_error
FROM sync_partitions
GROUP BY account_id, region, scope;
