-- A lineage partition lists a chain the store already holds by a marker (position -1,
-- with the copy's id): a chain never changes, so it is not asked for again, and the
-- sync does not hold it in memory. This is the listing dataset.sql compares with the
-- store, each marker replaced by the chain's stored links. src/store/datasets.rs fills
-- `{listed}` (the staged records, typed), `{file}` (the staging file) and `{columns}`
-- from src/records.rs's schema.
SELECT * FROM ({listed}) WHERE position <> -1
UNION ALL
SELECT {columns}
FROM lineage_history t, dataset_args a
WHERE t.valid_to IS NULL AND t.account_id = a.account_id AND t.region = a.region
  AND t.image_id IN (SELECT image_id FROM {file} WHERE position = -1)
