-- The datasets beside images, each synced per (account, region) and kept with history
-- like image versions: a row is one version of one record of one account's listing in
-- a region, valid from the merge that first saw it until the merge that saw it change
-- or go away (valid_to NULL: still valid). `record_key` identifies the record within its
-- listing (an instance id, a snapshot id, an image id and resource ARN, '' for the
-- settings, an image id and a position for lineage); `content_hash` is xxh3 of the
-- record as src/records.rs encodes it.
-- Their ledger rows are sync_partitions rows whose scope is the dataset's name.

-- DescribeImageReferences: the account's resources that name an image it owns or that
-- is shared with it.
CREATE TABLE image_references_history (
    account_id     VARCHAR NOT NULL,
    region         VARCHAR NOT NULL,
    record_key     VARCHAR NOT NULL,
    content_hash   BIGINT NOT NULL,
    valid_from_run BIGINT NOT NULL,
    valid_from     TIMESTAMPTZ NOT NULL,
    valid_to_run   BIGINT,
    valid_to       TIMESTAMPTZ,
    image_id       VARCHAR,
    resource_type  VARCHAR,   -- ec2:Instance | ec2:LaunchTemplate | ssm:Parameter | imagebuilder:ImageRecipe | imagebuilder:ContainerRecipe
    arn            VARCHAR
);

-- DescribeInstanceImageMetadata: instances, with what EC2 remembers of their image
-- even after it was deregistered or unshared.
CREATE TABLE instances_history (
    account_id             VARCHAR NOT NULL,
    region                 VARCHAR NOT NULL,
    record_key             VARCHAR NOT NULL,
    content_hash           BIGINT NOT NULL,
    valid_from_run         BIGINT NOT NULL,
    valid_from             TIMESTAMPTZ NOT NULL,
    valid_to_run           BIGINT,
    valid_to               TIMESTAMPTZ,
    instance_id            VARCHAR,
    instance_type          VARCHAR,
    instance_state         VARCHAR,
    launch_time_ts         TIMESTAMPTZ,
    availability_zone      VARCHAR,
    zone_id                VARCHAR,
    instance_owner_id      VARCHAR,
    tags                   STRUCT(key VARCHAR, value VARCHAR)[],
    image_id               VARCHAR,
    image_name             VARCHAR,
    image_owner_id         VARCHAR,
    image_owner_alias      VARCHAR,
    image_state            VARCHAR,
    image_creation_date    VARCHAR,
    image_deprecation_time VARCHAR,
    image_allowed          BOOLEAN,
    image_is_public        BOOLEAN
);

-- DescribeSnapshots OwnerIds=self.
CREATE TABLE snapshots_history (
    account_id                  VARCHAR NOT NULL,
    region                      VARCHAR NOT NULL,
    record_key                  VARCHAR NOT NULL,
    content_hash                BIGINT NOT NULL,
    valid_from_run              BIGINT NOT NULL,
    valid_from                  TIMESTAMPTZ NOT NULL,
    valid_to_run                BIGINT,
    valid_to                    TIMESTAMPTZ,
    snapshot_id                 VARCHAR,
    volume_id                   VARCHAR,
    volume_size                 INTEGER,   -- GiB
    full_snapshot_size_in_bytes BIGINT,
    storage_tier                VARCHAR,   -- standard | archive
    start_time_ts               TIMESTAMPTZ,
    encrypted                   BOOLEAN,
    state                       VARCHAR,
    description                 VARCHAR,
    owner_id                    VARCHAR,
    tags                        STRUCT(key VARCHAR, value VARCHAR)[]
);

-- ListImagesInRecycleBin: deregistered images kept (and billed) until they leave it.
CREATE TABLE recycle_bin_history (
    account_id                VARCHAR NOT NULL,
    region                    VARCHAR NOT NULL,
    record_key                VARCHAR NOT NULL,
    content_hash              BIGINT NOT NULL,
    valid_from_run            BIGINT NOT NULL,
    valid_from                TIMESTAMPTZ NOT NULL,
    valid_to_run              BIGINT,
    valid_to                  TIMESTAMPTZ,
    image_id                  VARCHAR,
    name                      VARCHAR,
    description               VARCHAR,
    recycle_bin_enter_time_ts TIMESTAMPTZ,
    recycle_bin_exit_time_ts  TIMESTAMPTZ
);

-- GetAllowedImagesSettings and GetImageBlockPublicAccessState: one row per account and
-- region.
CREATE TABLE account_settings_history (
    account_id                           VARCHAR NOT NULL,
    region                               VARCHAR NOT NULL,
    record_key                           VARCHAR NOT NULL,
    content_hash                         BIGINT NOT NULL,
    valid_from_run                       BIGINT NOT NULL,
    valid_from                           TIMESTAMPTZ NOT NULL,
    valid_to_run                         BIGINT,
    valid_to                             TIMESTAMPTZ,
    allowed_images_state                 VARCHAR,   -- enabled | disabled | audit-mode
    allowed_images_criteria              STRUCT(
                                             image_providers VARCHAR[], image_names VARCHAR[],
                                             marketplace_product_codes VARCHAR[],
                                             maximum_days_since_created INTEGER,
                                             maximum_days_since_deprecated INTEGER)[],
    allowed_images_managed_by            VARCHAR,   -- account | declarative-policy
    image_block_public_access_state      VARCHAR,   -- unblocked | block-new-sharing
    image_block_public_access_managed_by VARCHAR
);

-- GetImageAncestry for the owned images that are copies: one row per link of each
-- image's chain, position 0 being the image itself, then the image it was copied from,
-- up to the root. A chain never changes, so a sync asks only about copies it has no
-- chain for and lists the stored chains again.
CREATE TABLE lineage_history (
    account_id                   VARCHAR NOT NULL,
    region                       VARCHAR NOT NULL,
    record_key                   VARCHAR NOT NULL,
    content_hash                 BIGINT NOT NULL,
    valid_from_run               BIGINT NOT NULL,
    valid_from                   TIMESTAMPTZ NOT NULL,
    valid_to_run                 BIGINT,
    valid_to                     TIMESTAMPTZ,
    image_id                     VARCHAR,
    position                     INTEGER,
    ancestor_image_id            VARCHAR,
    ancestor_creation_date       VARCHAR,   -- the API's time as text
    ancestor_owner_alias         VARCHAR,
    ancestor_source_image_id     VARCHAR,
    ancestor_source_image_region VARCHAR
);
