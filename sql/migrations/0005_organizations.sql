-- The organization's member accounts (AWS Organizations), listed once a run when
-- `[organization]` is configured: a dataset kept like those of 0003_datasets.sql, its
-- partition the account that listed it (the management or a delegated administrator
-- account) in region `global`, its records keyed by member account id.
CREATE TABLE accounts_history (
    account_id        VARCHAR NOT NULL,   -- the account that listed the organization
    region            VARCHAR NOT NULL,   -- global
    record_key        VARCHAR NOT NULL,
    content_hash      BIGINT NOT NULL,
    valid_from_run    BIGINT NOT NULL,
    valid_from        TIMESTAMPTZ NOT NULL,
    valid_to_run      BIGINT,
    valid_to          TIMESTAMPTZ,
    member_account_id VARCHAR,
    name              VARCHAR,
    email             VARCHAR,
    status            VARCHAR,            -- ACTIVE | SUSPENDED | PENDING_CLOSURE | ...
    joined_method     VARCHAR,            -- INVITED | CREATED
    joined_time_ts    TIMESTAMPTZ,
    parent_id         VARCHAR,            -- the root or OU it is directly under
    parent_name       VARCHAR,
    ou_path           VARCHAR,            -- Root/Production/Payments
    ou_path_ids       VARCHAR             -- r-ab12/ou-ab12-11111111/ou-ab12-22222222
);

-- What a listing of images was when its partition last merged in full, so that a run
-- of thousands of unchanged listings merges none of them (src/store/merge.rs): its
-- fingerprint (of every image id with its content and view hashes), and the epoch of
-- its region then. A listing with the same fingerprint, in a region no merge has
-- changed since, would change no row.
CREATE TABLE listing_state (
    listing_key  VARCHAR PRIMARY KEY,      -- viewer account id|region|scope
    listing_hash BIGINT,                   -- NULL: not known (stores older than this)
    region_epoch BIGINT NOT NULL
);
-- Bumped by every merge that changes a row of its region.
CREATE TABLE region_epochs (
    region VARCHAR NOT NULL,
    epoch  BIGINT NOT NULL
);
-- Every listing with open sightings has a row: a listing without one has none open.
INSERT INTO listing_state
SELECT DISTINCT viewer_account_id || '|' || region || '|' || scope, NULL, -1
FROM image_sightings
WHERE valid_to IS NULL;
