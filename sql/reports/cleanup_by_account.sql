-- Report `cleanup`, chart: own images per account by verdict.
-- Parameters: as-of (epoch microseconds), account, region.
WITH args AS (
    SELECT make_timestamp(?::BIGINT)::TIMESTAMPTZ AS t, ?::VARCHAR AS only_account,
           ?::VARCHAR AS only_region
)
SELECT c.account_id, c.verdict, count(*) AS images
FROM image_cleanup_as_of((SELECT t FROM args)) c, args a
WHERE (a.only_account IS NULL OR c.account_id = a.only_account)
  AND (a.only_region IS NULL OR c.region = a.only_region)
GROUP BY c.account_id, c.verdict
ORDER BY c.account_id, CASE c.verdict WHEN 'idle' THEN 0 WHEN 'unknown' THEN 1 ELSE 2 END;
