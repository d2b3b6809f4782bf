-- A round: the partitions one transaction merges (src/store/merge.rs). Their inserts
-- are noted as partition.sql decides them and made by flush.sql, all at once.
--
-- One row per partition of the round, in the order of the round's files: file_index is
-- the place of its staging file in the list flush.sql reads.
CREATE OR REPLACE TEMP TABLE round_partitions (
    file_index        UBIGINT NOT NULL,
    run_id            BIGINT NOT NULL,
    viewer_account_id VARCHAR NOT NULL,
    scope             VARCHAR NOT NULL
);

-- The rows of those files that open a version, and that open a sighting. `key` is
-- hash(region, image_id): conflicts.sql compares it, flush.sql does not need it.
CREATE OR REPLACE TEMP TABLE pending_versions (
    file_index      UBIGINT NOT NULL,
    file_row_number BIGINT NOT NULL,
    key             UBIGINT NOT NULL
);
CREATE OR REPLACE TEMP TABLE pending_sightings (
    file_index      UBIGINT NOT NULL,
    file_row_number BIGINT NOT NULL,
    key             UBIGINT NOT NULL
);
