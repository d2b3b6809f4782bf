-- The accounts whose sightings can answer a caller (answer.sql's `seen`): the caller's
-- own, and those of every account that fetched one of the public catalogs, in the
-- region asked about (every region when NULL). The answer reads only their sightings,
-- so that DuckDB skips the row groups of every other account's listings.
SELECT ?::VARCHAR AS account_id
UNION
SELECT DISTINCT p.account_id
FROM sync_partitions p
WHERE (?::VARCHAR IS NULL OR p.region = ?::VARCHAR)
  AND (p.region, p.scope) IN (SELECT region, scope FROM sync_partitions WHERE catalog)
ORDER BY account_id
