-- Report `summary`, counts: images by account, region, scope, state, owner alias and
-- architecture at the instant. Parameters: as-of (epoch microseconds), account, region.
WITH args AS (
    SELECT make_timestamp(?::BIGINT)::TIMESTAMPTZ AS t, string_split(?::VARCHAR, ',') AS only_accounts,
           ?::VARCHAR AS only_region
)
SELECT s.viewer_account_id AS account_id, s.region, s.scope, s.state,
       coalesce(s.image_owner_alias, '') AS owner_alias, s.architecture,
       count(*) AS images
FROM image_views_as_of((SELECT t FROM args)) s, args a
WHERE (a.only_accounts IS NULL OR list_contains(a.only_accounts, s.viewer_account_id))
  AND (a.only_region IS NULL OR s.region = a.only_region)
GROUP BY ALL
ORDER BY ALL;
