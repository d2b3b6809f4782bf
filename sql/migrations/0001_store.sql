-- The store: the run ledger, image versions and sightings.
-- Applied once, in a transaction, by `store::migrate`; never edited after release:
-- a later change is a new numbered file.

-- Run ledger -------------------------------------------------------------------------

CREATE SEQUENCE sync_run_ids START 1;

-- One row per `amiq sync` invocation. A run whose process died keeps status
-- 'running' and no finished_at; `amiq runs` shows it as interrupted.
CREATE TABLE sync_runs (
    run_id               BIGINT PRIMARY KEY,
    started_at           TIMESTAMPTZ NOT NULL,
    finished_at          TIMESTAMPTZ,
    status               VARCHAR NOT NULL,   -- running | completed | partial | failed | interrupted
    partitions_planned   INTEGER,
    partitions_completed INTEGER,
    partitions_failed    INTEGER,
    amiq_version         VARCHAR NOT NULL
);

-- One row per (account, region, scope) listing of a run, written in the same
-- transaction as the partition's changes (completed) or alone (failed).
CREATE TABLE sync_partitions (
    run_id            BIGINT NOT NULL,
    account_id        VARCHAR NOT NULL,      -- the viewer whose view the listing is
    account_name      VARCHAR NOT NULL,
    region            VARCHAR NOT NULL,
    scope             VARCHAR NOT NULL,
    catalog           BOOLEAN NOT NULL,      -- a public catalog, fetched once for every account
    status            VARCHAR NOT NULL,      -- completed | failed
    started_at        TIMESTAMPTZ NOT NULL,
    finished_at       TIMESTAMPTZ NOT NULL,
    pages             INTEGER NOT NULL,
    images            BIGINT NOT NULL,
    retries           INTEGER NOT NULL,
    throttles         INTEGER NOT NULL,
    images_added      BIGINT,                -- sightings opened
    images_changed    BIGINT,                -- new versions of images already present
    images_gone       BIGINT,                -- sightings ended: no longer returned
    error             VARCHAR,
    PRIMARY KEY (run_id, account_id, region, scope)
);

-- History ----------------------------------------------------------------------------

-- Every distinct content of an image in a region, stored once. The members every
-- viewer is shown alike; tags, last launched time and image allowed are per viewer and
-- live in image_sightings. A version is valid from the merge that first saw it until
-- the merge that saw it change or go away (valid_to NULL: still valid).
CREATE TABLE image_versions (
    region                    VARCHAR NOT NULL,
    image_id                  VARCHAR NOT NULL,
    content_hash              BIGINT NOT NULL,
    valid_from_run            BIGINT NOT NULL,
    valid_from                TIMESTAMPTZ NOT NULL,
    valid_to_run              BIGINT,
    valid_to                  TIMESTAMPTZ,
    image_location            VARCHAR,
    state                     VARCHAR,
    owner_id                  VARCHAR,
    creation_date             VARCHAR,       -- the API's text, e.g. 2021-09-29T11:04:43.305Z
    creation_date_ts          TIMESTAMPTZ,
    public                    BOOLEAN,
    product_codes             STRUCT(product_code_id VARCHAR, product_code_type VARCHAR)[],
    architecture              VARCHAR,
    image_type                VARCHAR,
    kernel_id                 VARCHAR,
    ramdisk_id                VARCHAR,
    platform                  VARCHAR,
    platform_details          VARCHAR,
    usage_operation           VARCHAR,
    block_device_mappings     STRUCT(
                                  device_name VARCHAR, virtual_name VARCHAR, no_device VARCHAR,
                                  ebs STRUCT(
                                      delete_on_termination BOOLEAN, iops INTEGER,
                                      snapshot_id VARCHAR, volume_size INTEGER,
                                      volume_type VARCHAR, kms_key_id VARCHAR,
                                      throughput INTEGER, outpost_arn VARCHAR,
                                      availability_zone VARCHAR, encrypted BOOLEAN,
                                      volume_initialization_rate INTEGER,
                                      availability_zone_id VARCHAR, ebs_card_index INTEGER))[],
    description               VARCHAR,
    ena_support               BOOLEAN,
    hypervisor                VARCHAR,
    image_owner_alias         VARCHAR,
    name                      VARCHAR,
    root_device_name          VARCHAR,
    root_device_type          VARCHAR,
    sriov_net_support         VARCHAR,
    state_reason              STRUCT(code VARCHAR, message VARCHAR),
    virtualization_type       VARCHAR,
    boot_mode                 VARCHAR,
    tpm_support               VARCHAR,
    deprecation_time          VARCHAR,
    deprecation_time_ts       TIMESTAMPTZ,
    imds_support              VARCHAR,
    source_instance_id        VARCHAR,
    deregistration_protection VARCHAR,
    source_image_id           VARCHAR,
    source_image_region       VARCHAR,
    free_tier_eligible        BOOLEAN
);

-- Which viewer account was shown which image under which scope, and what that viewer
-- alone was shown of it. A sighting is open (valid_to NULL) while every completed
-- listing of its partition returns the image with the same view; it ends when a
-- completed listing no longer returns it, or returns another view (which opens a new
-- sighting). An image is present while any of its sightings is open.
CREATE TABLE image_sightings (
    region                VARCHAR NOT NULL,
    image_id              VARCHAR NOT NULL,
    viewer_account_id     VARCHAR NOT NULL,
    scope                 VARCHAR NOT NULL,
    view_hash             BIGINT NOT NULL,
    valid_from_run        BIGINT NOT NULL,
    valid_from            TIMESTAMPTZ NOT NULL,
    valid_to_run          BIGINT,
    valid_to              TIMESTAMPTZ,
    tags                  STRUCT(key VARCHAR, value VARCHAR)[],
    last_launched_time    VARCHAR,
    last_launched_time_ts TIMESTAMPTZ,
    image_allowed         BOOLEAN
);
