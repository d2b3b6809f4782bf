-- A lineage partition lists a chain the store already holds by a marker (position -1,
-- with the copy's id): a chain never changes, so it is not asked for again, and the
-- sync does not hold it in memory. Here, before dataset.sql compares the listing with
-- the store, each marker becomes the chain's stored links. `{columns}` is filled from
-- src/records.rs's schema by src/store/datasets.rs.
INSERT INTO staged_records
SELECT {columns}
FROM lineage_history t, dataset_args a
WHERE t.valid_to IS NULL AND t.account_id = a.account_id AND t.region = a.region
  AND t.image_id IN (SELECT image_id FROM staged_records WHERE position = -1);

DELETE FROM staged_records WHERE position = -1;
