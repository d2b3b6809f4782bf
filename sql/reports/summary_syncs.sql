-- Report `summary`, syncs: per account, region and scope, the last successful sync
-- before the instant and its age, and the last attempt's status.
-- Parameters: as-of (epoch microseconds), account, region.
WITH args AS (
    SELECT make_timestamp(?::BIGINT)::TIMESTAMPTZ AS t, string_split(?::VARCHAR, ',') AS only_accounts,
           ?::VARCHAR AS only_region
)
SELECT p.account_id, any_value(p.account_name) AS account_name, p.region, p.scope,
       max(p.run_id) FILTER (WHERE p.status = 'completed') AS last_completed_run,
       strftime(max(p.finished_at) FILTER (WHERE p.status = 'completed')::TIMESTAMP,
                '%Y-%m-%dT%H:%M:%SZ') AS last_completed_at,
       (any_value(a.t)::TIMESTAMP
        - max(p.finished_at) FILTER (WHERE p.status = 'completed')::TIMESTAMP)::VARCHAR AS age,
       arg_max(p.status, p.finished_at) AS last_status,
       arg_max(p.error, p.finished_at) AS last_error
FROM sync_partitions p, args a
WHERE p.finished_at <= a.t
  AND (a.only_accounts IS NULL OR list_contains(a.only_accounts, p.account_id))
  AND (a.only_region IS NULL OR p.region = a.only_region)
GROUP BY p.account_id, p.region, p.scope
ORDER BY p.account_id, p.region, p.scope;
