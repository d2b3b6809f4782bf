-- A round: the partitions one transaction merges (src/store/merge.rs). Their inserts
-- are noted as partition.sql decides them and made by flush.sql, all at once.
--
-- The rows of the round's staging files that open a version, and that open a sighting:
-- file_index is the place of the file in the list flush.sql reads. `key` is
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
