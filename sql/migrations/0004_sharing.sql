-- Who may launch the owned images, and who uses them outside the synced accounts:
-- two more datasets kept like those of 0003_datasets.sql (history per account and
-- region, ledger rows under the dataset's name).

-- DescribeImageAttribute launchPermission for each owned image: one row per grant.
CREATE TABLE launch_permissions_history (
    account_id     VARCHAR NOT NULL,
    region         VARCHAR NOT NULL,
    record_key     VARCHAR NOT NULL,
    content_hash   BIGINT NOT NULL,
    valid_from_run BIGINT NOT NULL,
    valid_from     TIMESTAMPTZ NOT NULL,
    valid_to_run   BIGINT,
    valid_to       TIMESTAMPTZ,
    image_id       VARCHAR,
    grantee_type   VARCHAR,   -- group | user | organization | organizational-unit
    grantee        VARCHAR    -- all | an account id | an ARN
);

-- DescribeImageUsageReports with each available report's entries
-- (DescribeImageUsageReportEntries): one row per report of the account in the region.
CREATE TABLE usage_reports_history (
    account_id         VARCHAR NOT NULL,
    region             VARCHAR NOT NULL,
    record_key         VARCHAR NOT NULL,
    content_hash       BIGINT NOT NULL,
    valid_from_run     BIGINT NOT NULL,
    valid_from         TIMESTAMPTZ NOT NULL,
    valid_to_run       BIGINT,
    valid_to           TIMESTAMPTZ,
    report_id          VARCHAR,
    image_id           VARCHAR,
    state              VARCHAR,   -- pending | available | error
    state_reason       VARCHAR,
    creation_time_ts   TIMESTAMPTZ,
    expiration_time_ts TIMESTAMPTZ,
    account_ids        VARCHAR[],   -- NULL: every account
    resource_types     VARCHAR[],
    entries            STRUCT(account_id VARCHAR, resource_type VARCHAR, usage_count BIGINT)[],
    tags               STRUCT(key VARCHAR, value VARCHAR)[]
);
