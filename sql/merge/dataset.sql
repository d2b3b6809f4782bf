-- One completed partition of a dataset beside images (sql/migrations/0003_datasets.sql),
-- merged into its history table `{table}`; src/store/datasets.rs fills `{table}` and
-- `{members}` (the record's columns) from src/records.rs's schema, never from input.
--
-- Runs inside the round's transaction with two temporary tables: `staged_records` (the
-- partition's records as the listing gave them, key columns first) and `dataset_args`
-- (run_id, account_id, region). now() is the transaction's start: every row this merge
-- opens or ends carries that one instant.

-- One row per key (a record listed twice, on two pages, with two contents: the one
-- with the lower hash, so that the choice does not depend on the order of the rows).
CREATE OR REPLACE TEMP TABLE staged_keys AS
SELECT record_key, min(content_hash) AS content_hash
FROM staged_records
GROUP BY record_key;

CREATE OR REPLACE TEMP TABLE open_keys AS
SELECT t.record_key, t.content_hash
FROM {table} t, dataset_args a
WHERE t.valid_to IS NULL AND t.account_id = a.account_id AND t.region = a.region;

-- Counted before anything changes: keys new to the listing, keys listed with other
-- content, keys no longer listed.
CREATE OR REPLACE TEMP TABLE dataset_counts AS
SELECT
    (SELECT count(*) FROM staged_keys s ANTI JOIN open_keys o USING (record_key)) AS added,
    (SELECT count(*) FROM staged_keys s JOIN open_keys o USING (record_key)
        WHERE o.content_hash <> s.content_hash) AS changed,
    (SELECT count(*) FROM open_keys o ANTI JOIN staged_keys s USING (record_key)) AS gone;

-- End the versions the listing no longer returns, or returns with other content.
UPDATE {table} AS t
SET valid_to_run = a.run_id, valid_to = now()
FROM dataset_args a
WHERE t.valid_to IS NULL AND t.account_id = a.account_id AND t.region = a.region
  AND NOT EXISTS (
      SELECT 1 FROM staged_keys s
      WHERE s.record_key = t.record_key AND s.content_hash = t.content_hash);

-- Open a version for every record that has none open with its content.
INSERT INTO {table} (account_id, region, record_key, content_hash,
                     valid_from_run, valid_from, valid_to_run, valid_to{members})
SELECT DISTINCT ON (r.record_key)
       a.account_id, a.region, r.record_key, r.content_hash,
       a.run_id, now(), NULL, NULL{staged_members}
FROM staged_records r
SEMI JOIN staged_keys k ON k.record_key = r.record_key AND k.content_hash = r.content_hash
ANTI JOIN open_keys o ON o.record_key = r.record_key AND o.content_hash = r.content_hash
CROSS JOIN dataset_args a;
