-- Report `cleanup`, chart: own images per account by verdict.
-- Parameters: as-of (epoch microseconds), account, region.
SELECT c.account_id, c.verdict, count(*) AS images
FROM image_cleanup_as_of(make_timestamp($1::BIGINT)::TIMESTAMPTZ) c
WHERE ($2::VARCHAR IS NULL OR list_contains(string_split($2::VARCHAR, ','), c.account_id))
  AND ($3::VARCHAR IS NULL OR c.region = $3::VARCHAR)
GROUP BY c.account_id, c.verdict
ORDER BY c.account_id, CASE c.verdict WHEN 'idle' THEN 0 WHEN 'unknown' THEN 1 ELSE 2 END;
