-- Merges what one completed partition adds or changes: new and changed versions, and
-- new sightings. Runs after counts.sql has counted the changes, and after ended.sql when
-- the listing ended any sighting; skipped when nothing was added or changed.
--
-- Runs inside the partition's transaction, after the caller has made `stage` (one
-- narrow row per image id: image_id, content_hash, view_hash and the file_row_number of
-- the row that wins), `stage_file` (a view of the staging file's full rows, as the
-- batch schema in src/batch.rs has them, with their file_row_number) and `merge_args`
-- (one row: run_id, region, viewer_account_id, scope). now() is the transaction's
-- start: every row this merge opens or ends carries that one instant.
--
-- Which rows to insert is always decided on the narrow `stage`; the wide rows then
-- stream from the file through a semi join on file_row_number, so that no hash table
-- ever holds a wide row.

-- 1. Content changed: end the open version.
UPDATE image_versions AS v
SET valid_to_run = a.run_id, valid_to = now()
FROM stage s, merge_args a
WHERE v.valid_to IS NULL AND v.region = a.region AND v.image_id = s.image_id
  AND v.content_hash <> s.content_hash;

-- 2. Seen again, unchanged, after an earlier partition of this same run ended it (the
--    image moved between scopes or viewers): reopen it rather than store it twice.
UPDATE image_versions AS v
SET valid_to_run = NULL, valid_to = NULL
FROM stage s, merge_args a
WHERE v.valid_to_run = a.run_id AND v.region = a.region AND v.image_id = s.image_id
  AND v.content_hash = s.content_hash
  AND NOT EXISTS (
      SELECT 1 FROM image_versions o
      WHERE o.valid_to IS NULL AND o.region = v.region AND o.image_id = v.image_id);

-- 3. New content: one version for each staged image that has no open version.
CREATE OR REPLACE TEMP TABLE stage_insert AS
SELECT s.file_row_number
FROM stage s, merge_args a
WHERE NOT EXISTS (
    SELECT 1 FROM image_versions v
    WHERE v.valid_to IS NULL AND v.region = a.region AND v.image_id = s.image_id);

INSERT INTO image_versions
SELECT s.region, s.image_id, s.content_hash, a.run_id, now(), NULL, NULL,
       s.image_location, s.state, s.owner_id, s.creation_date, s.creation_date_ts,
       s.public, s.product_codes, s.architecture, s.image_type, s.kernel_id,
       s.ramdisk_id, s.platform, s.platform_details, s.usage_operation,
       s.block_device_mappings, s.description, s.ena_support, s.hypervisor,
       s.image_owner_alias, s.name, s.root_device_name, s.root_device_type,
       s.sriov_net_support, s.state_reason, s.virtualization_type, s.boot_mode,
       s.tpm_support, s.deprecation_time, s.deprecation_time_ts, s.imds_support,
       s.source_instance_id, s.deregistration_protection, s.source_image_id,
       s.source_image_region, s.free_tier_eligible
FROM stage_file s, merge_args a
WHERE s.file_row_number IN (SELECT file_row_number FROM stage_insert);

-- 4. Open a sighting for every staged image this partition has no open sighting of.
CREATE OR REPLACE TEMP TABLE stage_insert AS
SELECT s.file_row_number
FROM stage s, merge_args a
WHERE NOT EXISTS (
    SELECT 1 FROM image_sightings g
    WHERE g.valid_to IS NULL AND g.region = a.region
      AND g.viewer_account_id = a.viewer_account_id AND g.scope = a.scope
      AND g.image_id = s.image_id);

INSERT INTO image_sightings
SELECT s.region, s.image_id, a.viewer_account_id, a.scope, s.view_hash,
       a.run_id, now(), NULL, NULL,
       s.tags, s.last_launched_time, s.last_launched_time_ts, s.image_allowed
FROM stage_file s, merge_args a
WHERE s.file_row_number IN (SELECT file_row_number FROM stage_insert);
