-- Inserts the rows the round's partitions noted (partition.sql) and forgets them: run
-- before the round commits, and before a partition whose merge could see them
-- (conflicts.sql).
--
-- `round_file` is a view of every staging file of the round, as the batch schema in
-- src/batch.rs has them, with file_index and file_row_number. Every row carries its
-- partition's run, region, viewer account and scope. The wide rows stream from
-- the files through a semi join on the narrow noted rows, one INSERT per table: DuckDB
-- then writes them on all its threads, in full row groups but for a few at the seams
-- between its threads' work. The rows keep the files' order only roughly: each thread
-- fills row groups of its own.

INSERT INTO image_versions
SELECT s.region, s.image_id, s.content_hash, s.run_id, now(), NULL, NULL,
       s.image_location, s.state, s.owner_id, s.creation_date, s.creation_date_ts,
       s.public, s.product_codes, s.architecture, s.image_type, s.kernel_id,
       s.ramdisk_id, s.platform, s.platform_details, s.usage_operation,
       s.block_device_mappings, s.description, s.ena_support, s.hypervisor,
       s.image_owner_alias, s.name, s.root_device_name, s.root_device_type,
       s.sriov_net_support, s.state_reason, s.virtualization_type, s.boot_mode,
       s.tpm_support, s.deprecation_time, s.deprecation_time_ts, s.imds_support,
       s.source_instance_id, s.deregistration_protection, s.source_image_id,
       s.source_image_region, s.free_tier_eligible
FROM round_file s
SEMI JOIN pending_versions p
    ON p.file_index = s.file_index AND p.file_row_number = s.file_row_number;

INSERT INTO image_sightings
SELECT s.region, s.image_id, s.viewer_account_id, s.scope, s.view_hash,
       s.run_id, now(), NULL, NULL,
       s.tags, s.last_launched_time, s.last_launched_time_ts, s.image_allowed
FROM round_file s
SEMI JOIN pending_sightings p
    ON p.file_index = s.file_index AND p.file_row_number = s.file_row_number;

DELETE FROM pending_versions;
DELETE FROM pending_sightings;
