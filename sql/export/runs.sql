-- Export `runs`: the ledger, one row per partition of each run, with its run's status;
-- with `since`, only later runs. `$since` is replaced with the number, or NULL for
-- all, by src/export/mod.rs before the text runs (COPY takes no bound parameters).
SELECT p.account_id AS account, p.*, r.status AS run_status, r.started_at AS run_started_at,
       r.finished_at AS run_finished_at, r.amiq_version
FROM sync_partitions p JOIN sync_runs r USING (run_id)
WHERE $since IS NULL OR p.run_id > $since
