-- The members EC2 added to the Image shape that 0001 did not keep, and the elements
-- the reader does not know. Every row of an earlier store is then rehashed with the
-- name-keyed hashes (src/batch/hash.rs) by the migration's Rust step
-- (src/store/rehash.rs), inside the same transaction: a store written before this
-- release keeps its history, and its next sync records no change.

ALTER TABLE image_versions ADD COLUMN public_ssm_parameter_name VARCHAR;
ALTER TABLE image_versions ADD COLUMN image_watermarks STRUCT(
    watermark_key VARCHAR, source_image_region VARCHAR, source_image_id VARCHAR,
    source_image_creation_time VARCHAR, source_image_creation_time_ts TIMESTAMPTZ,
    watermark_creation_time VARCHAR, watermark_creation_time_ts TIMESTAMPTZ)[];
ALTER TABLE image_versions ADD COLUMN instance_type_specification STRUCT(
    supported_instance_types STRUCT(instance_type VARCHAR)[],
    unsupported_instance_types STRUCT(instance_type VARCHAR)[]);
-- Amazon Inspector's findings: shown to every account that can use the image.
ALTER TABLE image_versions ADD COLUMN scan_results STRUCT(
    highest_finding_severity_label VARCHAR,
    finding_scan_date VARCHAR, finding_scan_date_ts TIMESTAMPTZ,
    informational_fix_available_since VARCHAR, informational_fix_available_since_ts TIMESTAMPTZ,
    low_fix_available_since VARCHAR, low_fix_available_since_ts TIMESTAMPTZ,
    medium_fix_available_since VARCHAR, medium_fix_available_since_ts TIMESTAMPTZ,
    high_fix_available_since VARCHAR, high_fix_available_since_ts TIMESTAMPTZ,
    critical_fix_available_since VARCHAR, critical_fix_available_since_ts TIMESTAMPTZ);
-- Elements of the item the reader did not know, as they came: where (element names
-- and 1-based item numbers below the item) and the markup.
ALTER TABLE image_versions ADD COLUMN unknown_members STRUCT(path VARCHAR, xml VARCHAR)[];
